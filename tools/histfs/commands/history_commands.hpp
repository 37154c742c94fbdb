#pragma once
// log, snapshot, snapshots, restore and reconcile: reading and changing the mount's history.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "gitstore/history.hpp"
#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

// One commit as answers show it (log, status's last commit).
nlohmann::json commit_json(const gitstore::CommitInfo& commit);

ClientSide add_log_options(CLI::App& command);
nlohmann::json handle_log(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_log(const nlohmann::json& answer);

ClientSide add_snapshot_options(CLI::App& command);
nlohmann::json handle_snapshot(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_snapshot(const nlohmann::json& answer);

nlohmann::json handle_snapshots(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_snapshots(const nlohmann::json& answer);

ClientSide add_restore_options(CLI::App& command);
nlohmann::json handle_restore(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_restore(const nlohmann::json& answer);

ClientSide add_reconcile_options(CLI::App& command);
nlohmann::json handle_reconcile(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_reconcile(const nlohmann::json& answer);

}  // namespace histfs::commands
