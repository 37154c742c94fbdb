#pragma once
// connect, push and pull: backing the mount up to a remote and bringing the remote's changes in.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

// connect --git-dir DIR works without a daemon (cli/offline_connect.hpp).
ClientSide add_connect_options(CLI::App& command);
nlohmann::json handle_connect(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_connect(const nlohmann::json& answer);

// push and pull answer "held" or "refused" when they did not do what they say: the CLI exits 1.
ClientSide add_push_options(CLI::App& command);
nlohmann::json handle_push(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_push(const nlohmann::json& answer);

ClientSide add_pull_options(CLI::App& command);
nlohmann::json handle_pull(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_pull(const nlohmann::json& answer);

}  // namespace histfs::commands
