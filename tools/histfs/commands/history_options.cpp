// The CLI options of log, snapshot, restore and reconcile, and the requests they make.
#include <memory>
#include <string>

#include "tools/histfs/commands/history_commands.hpp"
#include "tools/histfs/commands/request_paths.hpp"

namespace histfs::commands {

using nlohmann::json;

ClientSide add_log_options(CLI::App& command) {
  auto path = std::make_shared<std::string>();
  auto count = std::make_shared<size_t>(20);
  command.add_option("PATH", *path, "A file or folder in the mount");
  command.add_option("-n", *count, "How many commits (default 20)")->check(CLI::PositiveNumber);
  return {[=](const cli::MountRef& m) { return json{{"path", request_path(m, *path)}, {"limit", *count}}; }};
}

ClientSide add_snapshot_options(CLI::App& command) {
  auto name = std::make_shared<std::string>();
  auto message = std::make_shared<std::string>();
  command.add_option("NAME", *name, "Snapshot name (default: the UTC time, like 2026-11-24T10-00-00Z)");
  command.add_option("-m,--message", *message, "What this snapshot is");
  return {[=](const cli::MountRef&) { return json{{"name", *name}, {"message", *message}}; }};
}

ClientSide add_restore_options(CLI::App& command) {
  auto path = std::make_shared<std::string>();
  auto rev = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto mass_delete = std::make_shared<bool>(false);
  command.add_option("PATH", *path, "A file, a folder, or . for everything")->required();
  command.add_option("--to", *rev, "A commit id or prefix, a snapshot, HEAD~N, or a UTC time")->required();
  command.add_flag("--dry-run", *dry_run, "List what would change, change nothing");
  command.add_flag("--allow-mass-delete", *mass_delete, "Allow deleting more than git.maxDelete files");
  return {[=](const cli::MountRef& m) {
    return json{
        {"path", request_path(m, *path)}, {"rev", *rev}, {"dry_run", *dry_run}, {"allow_mass_delete", *mass_delete}};
  }};
}

ClientSide add_reconcile_options(CLI::App& command) {
  auto path = std::make_shared<std::string>();
  command.add_option("PATH", *path, "Only compare this file or folder");
  return {[=](const cli::MountRef& m) { return json{{"path", request_path(m, *path)}}; }};
}

}  // namespace histfs::commands
