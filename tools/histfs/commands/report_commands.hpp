#pragma once
// report: the seed's "sync report with git stats" for a time window: commits, files and bytes
// committed (from git history, so it survives restarts), pushes with their latency
// percentiles, pulls by kind, conflicts, held operations, LFS bytes and webhook deliveries
// (from the daemon's memory: counted since it started).
#include <nlohmann/json.hpp>

#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

ClientSide add_report_options(CLI::App& command);
nlohmann::json handle_report(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_report(const nlohmann::json& answer);

}  // namespace histfs::commands
