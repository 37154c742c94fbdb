#pragma once
#include <CLI/CLI.hpp>

namespace histfs::cli {

// `histfs mount BACKING MOUNTPOINT [--git-dir DIR] [-f] [-o OPTS] [--config FILE] ...`
void add_mount_command(CLI::App& app);

}  // namespace histfs::cli
