#pragma once
#include <CLI/CLI.hpp>

namespace histfs::cli {

// One subcommand per entry of the command table (commands/command_table.hpp): status, flush,
// log, snapshot, snapshots, restore, connect, push, pull, reconcile; each asks the running daemon.
void add_control_commands(CLI::App& app);

}  // namespace histfs::cli
