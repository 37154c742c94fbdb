// The daemon's side of lfs fsck.
#include <string>

#include "gitstore/history.hpp"
#include "gitstore/lfs_store.hpp"
#include "gitstore/printable.hpp"
#include "tools/histfs/commands/lfs_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

json lfs_store_totals(const daemon::DaemonContext& d) {
  const auto totals = gitstore::LfsStore::of_git_dir(d.git_dir).totals();
  return {{"objects", totals.objects}, {"bytes", totals.bytes}};
}

json handle_lfs(daemon::DaemonContext& d, const json& request) {
  const std::string action = request.value("action", std::string());
  if (action != "fsck") throw gitstore::HistoryError("unknown lfs action \"" + action + "\"; try: histfs lfs fsck");
  const auto store = gitstore::LfsStore::of_git_dir(d.git_dir);
  json problems = json::array();
  size_t pointers = 0;
  std::uint64_t bytes = 0;
  if (auto head = d.history.head()) {
    const auto tree = d.history.resolve(gitstore::oid_hex(*head)).tree;
    for (const auto& [path, entry] : d.history.files_under(tree, "")) {
      if (entry.mode == GIT_FILEMODE_LINK) continue;
      auto pointer = d.history.lfs_pointer(entry.oid);
      if (!pointer) continue;
      ++pointers;
      bytes += pointer->size;
      const std::string problem = store.check(*pointer);
      if (!problem.empty())
        problems.push_back({{"path", gitstore::printable(path)}, {"oid", pointer->oid}, {"problem", problem}});
    }
  }
  return {{"action", "fsck"},
          {"pointers", pointers},
          {"bytes", bytes},
          {"problems", problems},
          {"failed", !problems.empty()}};
}

}  // namespace histfs::commands
