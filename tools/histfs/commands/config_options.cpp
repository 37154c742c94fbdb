// The CLI side of config: its three actions, and --config FILE, which reads or edits a config
// file without asking any mount (a mount reading that file sees the change at its next mount, or
// at SIGHUP for the keys that change live).
#include <filesystem>
#include <memory>
#include <string>

#include "tools/histfs/commands/config_commands.hpp"
#include "tools/histfs/settings/config_file_writer.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

struct ConfigArgs {
  std::string action;      // get, set or list: the nested subcommand given
  std::string key;         // get's KEY
  std::string assignment;  // set's KEY=VALUE
  std::string file;        // --config FILE
};

std::pair<std::string, std::string> split_assignment(const std::string& assignment) {
  const std::size_t equals = assignment.find('=');
  if (equals == std::string::npos)
    throw settings::ConfigError("expected KEY=VALUE, like git.autoPushInterval=5s; got \"" + assignment + "\"");
  return {assignment.substr(0, equals), assignment.substr(equals + 1)};
}

json without_daemon(const ConfigArgs& args) {
  const std::string file = std::filesystem::absolute(args.file).string();
  if (args.action == "set") {
    const auto [key, value] = split_assignment(args.assignment);
    const settings::Config written = settings::set_in_config_file(file, key, value);
    return {{"action", "set"}, {"key", key},         {"value", settings::get_setting(written, key)},
            {"file", file},    {"applied", false},   {"next_mount", false},
            {"offline", true}, {"overridden", false}};
  }
  const settings::SourcedConfig sources = settings::load_sourced_config(file, {});
  return args.action == "get" ? config_get_answer(sources, args.key) : config_list_answer(sources);
}

}  // namespace

ClientSide add_config_options(CLI::App& command) {
  auto args = std::make_shared<ConfigArgs>();
  command.add_option("--config", args->file,
                     "Read or edit this config file instead of a running mount's (no mount needed)");
  command.require_subcommand(1);
  CLI::App* get = command.add_subcommand("get", "Print one key's value");
  get->add_option("KEY", args->key, "A key, like git.autoPushInterval")->required();
  CLI::App* set = command.add_subcommand("set", "Set a key in the config file, and apply it now when it can be");
  set->add_option("KEY=VALUE", args->assignment, "Like git.autoPushInterval=5s")->required();
  CLI::App* list = command.add_subcommand("list", "Every key, its value and where it came from");
  for (CLI::App* action : {get, set, list}) {
    action->fallthrough();  // --json, --mount and --config may come after the action too
    action->parse_complete_callback([args, action] { args->action = action->get_name(); });
  }
  return {[=](const cli::MountRef&) {
            json request = {{"action", args->action}};
            if (args->action == "get") request["key"] = args->key;
            if (args->action == "set") {
              const auto [key, value] = split_assignment(args->assignment);
              request["key"] = key;
              request["value"] = value;
            }
            return request;
          },
          [=]() -> std::optional<json> {
            if (args->file.empty()) return std::nullopt;
            return without_daemon(*args);
          }};
}

}  // namespace histfs::commands
