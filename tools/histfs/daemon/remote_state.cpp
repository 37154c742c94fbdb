#include "tools/histfs/daemon/remote_state.hpp"

#include "gitstore/time_text.hpp"

namespace histfs::daemon {

const char* to_string(SyncPhase phase) {
  switch (phase) {
    case SyncPhase::Starting:
      return "starting";
    case SyncPhase::InSync:
      return "in sync";
    case SyncPhase::Pushing:
      return "pushing";
    case SyncPhase::Fetching:
      return "fetching";
    case SyncPhase::Merging:
      return "merging";
    case SyncPhase::Importing:
      return "importing";
    case SyncPhase::Retrying:
      return "retrying";
    case SyncPhase::Held:
      return "held";
    case SyncPhase::Refused:
      return "refused";
  }
  return "?";
}

nlohmann::json RemoteState::to_json() const {
  using nlohmann::json;
  auto instant = [](const std::optional<std::int64_t>& t) {
    return t ? json(gitstore::format_instant(*t)) : json(nullptr);
  };
  auto text = [](const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); };
  json list = json::array();
  for (const auto& c : conflicts)
    list.push_back({{"path", c.path}, {"copy", c.copy}, {"time", gitstore::format_instant(c.time)}});
  return {{"url", url},
          {"state", to_string(phase)},
          {"last_push", instant(last_push)},
          {"last_fetch", instant(last_fetch)},
          {"last_webhook", instant(last_webhook)},
          {"last_error", last_error},
          {"held", text(held)},
          {"pull_held", text(pull_held)},
          {"refused", text(refused)},
          {"head_warning", text(head_warning)},
          {"conflicts", list},
          {"unpushed_commits", unpushed_commits},
          {"lfs",
           {{"unpushed_objects", lfs_unpushed_objects},
            {"unpushed_bytes", lfs_unpushed_bytes},
            {"progress", lfs_progress ? json{{"objects_done", lfs_progress->objects_done},
                                             {"objects_total", lfs_progress->objects_total},
                                             {"bytes_done", lfs_progress->bytes_done},
                                             {"bytes_total", lfs_progress->bytes_total}}
                                      : json(nullptr)}}},
          {"progress",
           progress && (phase == SyncPhase::Pushing || phase == SyncPhase::Fetching || phase == SyncPhase::Importing)
               ? json{{"objects_done", progress->done}, {"objects_total", progress->total}, {"bytes", progress->bytes}}
               : json(nullptr)}};
}

}  // namespace histfs::daemon
