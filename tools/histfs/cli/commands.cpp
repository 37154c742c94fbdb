#include "tools/histfs/cli/commands.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "tools/histfs/cli/control_client.hpp"
#include "tools/histfs/cli/progress_line.hpp"
#include "tools/histfs/commands/command_table.hpp"
#include "tools/histfs/commands/progress_json.hpp"

namespace histfs::cli {
namespace {

using nlohmann::json;

// The options every control command has.
struct Common {
  std::string mount;  // --mount
  bool as_json = false;
};

// Sends the command's request (or answers without a daemon) and prints the answer.
void run(const commands::Command& command, const commands::ClientSide& client, const Common& common) {
  std::optional<json> offline = client.without_daemon ? client.without_daemon() : std::nullopt;
  json answer = offline ? *offline : [&] {
    const MountRef mount = locate_mount(common.mount);
    json request = client.request(mount);
    request["command"] = std::string(command.name);
    // A long restore, import or push shows its progress here when stderr is a terminal.
    const ProgressLine progress([&mount] {
      return commands::tasks_in_status(call_daemon(mount, {{"command", "status"}}));
    });
    return call_daemon(mount, request);
  }();
  answer.erase("ok");
  if (common.as_json)
    printf("%s\n", answer.dump(2).c_str());
  else
    command.print(answer);
  // A push that is held or a pull that is refused did not do what it says: scripts must see it.
  if (answer.contains("held") || answer.contains("refused") || answer.value("failed", false))
    throw CLI::RuntimeError(1);
}

void add(CLI::App& app, const commands::Command& command) {
  const std::string name(command.name);
  CLI::App* sub = app.add_subcommand(name, std::string(command.help));
  auto common = std::make_shared<Common>();
  sub->add_option("--mount", common->mount, "The mount point (default: the mount holding the current directory)");
  sub->add_flag("--json", common->as_json, "Print the answer as JSON");
  auto client = std::make_shared<commands::ClientSide>(command.add_options(*sub));
  sub->callback([&command, name, client, common] {
    try {
      run(command, *client, *common);
    } catch (const CLI::RuntimeError&) {
      throw;
    } catch (const std::exception& error) {
      fprintf(stderr, "histfs %s: %s\n", name.c_str(), error.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace

void add_control_commands(CLI::App& app) {
  for (const commands::Command& command : commands::command_table()) add(app, command);
}

}  // namespace histfs::cli
