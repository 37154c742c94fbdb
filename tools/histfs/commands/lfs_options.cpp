// The CLI side of lfs: its one action.
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/histfs/commands/lfs_commands.hpp"

namespace histfs::commands {

ClientSide add_lfs_options(CLI::App& command) {
  auto action = std::make_shared<std::string>();
  command.require_subcommand(1);
  CLI::App* fsck = command.add_subcommand("fsck", "Check that every LFS file of HEAD has its object, whole");
  fsck->fallthrough();  // --json and --mount may come after the action too
  fsck->parse_complete_callback([action, fsck] { *action = fsck->get_name(); });
  return {[action](const cli::MountRef&) { return nlohmann::json{{"action", *action}}; }};
}

}  // namespace histfs::commands
