#pragma once
// lfs: the Git LFS store of the mount's git dir. `histfs lfs fsck` checks that every LFS
// file of HEAD has its object in the local store, whole (size and SHA-256).
#include <nlohmann/json.hpp>

#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

ClientSide add_lfs_options(CLI::App& command);
nlohmann::json handle_lfs(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_lfs(const nlohmann::json& answer);

// What status shows of the local store: {"objects": N, "bytes": B}.
nlohmann::json lfs_store_totals(const daemon::DaemonContext& daemon);

}  // namespace histfs::commands
