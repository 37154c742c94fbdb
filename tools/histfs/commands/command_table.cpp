#include "tools/histfs/commands/command_table.hpp"

#include <algorithm>
#include <array>

#include <CLI/CLI.hpp>

#include "tools/histfs/commands/config_commands.hpp"
#include "tools/histfs/commands/gc_command.hpp"
#include "tools/histfs/commands/history_commands.hpp"
#include "tools/histfs/commands/lfs_commands.hpp"
#include "tools/histfs/commands/remote_commands.hpp"
#include "tools/histfs/commands/report_commands.hpp"
#include "tools/histfs/commands/status_commands.hpp"

namespace histfs::commands {
namespace {

using nlohmann::json;
using protocol::FieldType;

// A command with no options of its own (--mount and --json are every command's: cli/commands.cpp).
ClientSide no_options(CLI::App&) {
  return {[](const cli::MountRef&) { return json::object(); }};
}

const std::array<Command, 14> kCommands = {{
    {"status", "Show the mount, its git dir, HEAD and pending changes", {}, no_options, handle_status, print_status},
    {"flush", "Commit pending changes now", {}, no_options, handle_flush, print_flush},
    {"log",
     "List commits, newest first, or those that changed PATH",
     {{"path", FieldType::String}, {"limit", FieldType::Count}},
     add_log_options,
     handle_log,
     print_log},
    {"snapshot",
     "Commit pending changes, then tag HEAD as a named snapshot",
     {{"name", FieldType::String}, {"message", FieldType::String}},
     add_snapshot_options,
     handle_snapshot,
     print_snapshot,
     true},
    {"snapshots", "List snapshots, newest first", {}, no_options, handle_snapshots, print_snapshots},
    {"restore",
     "Bring a file, a folder or . back to how it was at REV",
     {{"path", FieldType::String},
      {"rev", FieldType::String},
      {"dry_run", FieldType::Bool},
      {"allow_mass_delete", FieldType::Bool}},
     add_restore_options,
     handle_restore,
     print_restore,
     true},
    {"connect",
     "Back this mount up to a remote (and pull from it)",
     {{"remote", FieldType::String},
      {"token_file", FieldType::String},
      {"token_env", FieldType::String},
      {"prefer", FieldType::String},
      {"github_app_id", FieldType::String},
      {"installation_id", FieldType::String},
      {"private_key_file", FieldType::String},
      {"api_url", FieldType::String},
      {"create_repo", FieldType::String},
      {"use_existing", FieldType::Bool}},
     add_connect_options,
     handle_connect,
     print_connect,
     true},
    {"push",
     "Push to the remote now",
     {{"allow_mass_delete", FieldType::Bool}},
     add_push_options,
     handle_push,
     print_push},
    {"pull",
     "Fetch from the remote now and bring its changes into the files",
     {{"allow_mass_delete", FieldType::Bool}},
     add_pull_options,
     handle_pull,
     print_pull},
    {"reconcile",
     "Commit changes that reached the backing dir without the mount",
     {{"path", FieldType::String}},
     add_reconcile_options,
     handle_reconcile,
     print_reconcile,
     true},
    {"config",
     "Get, set or list settings: config get KEY, config set KEY=VALUE, config list",
     {{"action", FieldType::String}, {"key", FieldType::String}, {"value", FieldType::String}},
     add_config_options,
     handle_config,
     print_config},
    {"gc", "Pack the git dir's loose objects now", {}, no_options, handle_gc, print_gc},
    {"lfs",
     "Git LFS: lfs fsck checks every LFS file of HEAD has its object, whole",
     {{"action", FieldType::String}},
     add_lfs_options,
     handle_lfs,
     print_lfs},
    {"report",
     "Commits, files and bytes committed, push latency, pulls, conflicts and LFS bytes over a window",
     {{"since", FieldType::String}},
     add_report_options,
     handle_report,
     print_report},
}};

}  // namespace

std::span<const Command> command_table() { return kCommands; }

const Command* find_command(std::string_view name) {
  const auto found = std::find_if(kCommands.begin(), kCommands.end(), [&](const Command& c) { return c.name == name; });
  return found == kCommands.end() ? nullptr : &*found;
}

}  // namespace histfs::commands
