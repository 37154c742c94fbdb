#pragma once
// config get KEY, config set KEY=VALUE, config list: a running mount's settings (through its
// daemon, which applies what it can at once), or a config file's with --config FILE (no mount).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/daemon/context.hpp"
#include "tools/histfs/settings/config_sources.hpp"

namespace histfs::commands {

ClientSide add_config_options(CLI::App& command);
nlohmann::json handle_config(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_config(const nlohmann::json& answer);

// The answers of get and list for `sources` (shared by the daemon and --config FILE).
// `next_mount`: values set that wait for the next mount (key -> value).
nlohmann::json config_get_answer(const settings::SourcedConfig& sources, const std::string& key,
                                 const std::map<std::string, std::string>& next_mount = {});
nlohmann::json config_list_answer(const settings::SourcedConfig& sources,
                                  const std::map<std::string, std::string>& next_mount = {});

}  // namespace histfs::commands
