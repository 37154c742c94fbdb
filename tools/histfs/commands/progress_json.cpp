#include "tools/histfs/commands/progress_json.hpp"

#include <cstdio>

namespace histfs::commands {

using nlohmann::json;

json progress_json(const gitstore::ProgressBoard& board) {
  json out = json::array();
  for (const auto& task : board.list())
    out.push_back({{"task", task.task},
                   {"state", task.state},
                   {"done", task.done},
                   {"total", task.total},
                   {"bytes", task.bytes},
                   {"bytes_total", task.bytes_total},
                   {"seconds", task.seconds}});
  return out;
}

json tasks_in_status(const json& status) {
  json tasks = status.value("progress", json::array());
  if (!status.contains("remote") || !status["remote"].is_object()) return tasks;
  const json& remote = status["remote"];
  auto number = [](const json& object, const char* key) {
    const bool count = object.contains(key) && object[key].is_number_integer() && object[key].get<std::int64_t>() >= 0;
    return count ? object[key].get<std::uint64_t>() : std::uint64_t{0};
  };
  // A Git LFS upload or download (remote.lfs.progress), then the git transfer (remote.progress).
  if (remote.contains("lfs") && remote["lfs"].is_object() && remote["lfs"].contains("progress") &&
      remote["lfs"]["progress"].is_object()) {
    const json& lfs = remote["lfs"]["progress"];
    tasks.push_back({{"task", "lfs transfer"},
                     {"state", "objects"},
                     {"done", number(lfs, "objects_done")},
                     {"total", number(lfs, "objects_total")},
                     {"bytes", number(lfs, "bytes_done")},
                     {"bytes_total", number(lfs, "bytes_total")},
                     {"seconds", 0.0}});
  }
  if (remote.contains("progress") && remote["progress"].is_object()) {
    const json& transfer = remote["progress"];
    tasks.push_back({{"task", remote.value("state", std::string("remote"))},
                     {"state", "objects"},
                     {"done", number(transfer, "objects_done")},
                     {"total", number(transfer, "objects_total")},
                     {"bytes", number(transfer, "bytes")},
                     {"bytes_total", std::uint64_t{0}},
                     {"seconds", 0.0}});
  }
  return tasks;
}

std::string progress_text(const json& task) {
  auto number = [&](const char* key) { return task.value(key, std::uint64_t{0}); };
  auto mib = [](std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    return std::string(text);
  };
  std::string line = task.value("task", std::string()) + ":";
  if (const std::string state = task.value("state", std::string()); !state.empty()) line += " " + state;
  line += " " + std::to_string(number("done"));
  if (number("total")) line += "/" + std::to_string(number("total"));
  if (number("bytes") || number("bytes_total")) {
    line += ", " + mib(number("bytes"));
    if (number("bytes_total")) line += " of " + mib(number("bytes_total"));
  }
  if (const double seconds = task.value("seconds", 0.0); seconds >= 1)
    line += ", " + std::to_string(static_cast<long>(seconds)) + " s";
  return line;
}

}  // namespace histfs::commands
