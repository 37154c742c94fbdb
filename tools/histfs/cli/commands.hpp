#pragma once
#include <CLI/CLI.hpp>

namespace histfs::cli {

// status, flush, log, snapshot, snapshots, restore, reconcile: each asks the running daemon.
void add_control_commands(CLI::App& app);

}  // namespace histfs::cli
