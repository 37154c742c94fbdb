// The CLI options of report and the request they make.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/histfs/commands/report_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

ClientSide add_report_options(CLI::App& command) {
  auto since = std::make_shared<std::string>("24h");
  command.add_option("--since", *since, "The window: the last DURATION, like 30m, 24h or 168h (default 24h)");
  return {[=](const cli::MountRef&) { return json{{"since", *since}}; }};
}

}  // namespace histfs::commands
