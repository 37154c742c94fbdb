#pragma once
#include <CLI/CLI.hpp>

namespace histfs::cli {

// `histfs unmount MOUNTPOINT [--lazy]`: unmounts with fusermount3 and returns once the daemon
// has committed what was pending and let go of its git dir (a unit's ExecStop).
void add_unmount_command(CLI::App& app);

}  // namespace histfs::cli
