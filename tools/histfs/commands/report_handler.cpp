// The daemon's side of report: git history for the window, the daemon's counters beside it. No key is
// named "held" or "refused": the CLI reads those as a held or refused operation (exit 1).
#include <chrono>
#include <cmath>

#include "gitstore/history_stats.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/commands/report_commands.hpp"
#include "tools/histfs/protocol/control_protocol.hpp"
#include "tools/histfs/settings/config.hpp"
#include "tools/histfs/telemetry/activity.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

json percentiles(const std::vector<double>& samples) {
  auto value = [&](double percent) {
    const auto found = telemetry::percentile(samples, percent);
    return found ? json(std::round(*found * 1000) / 1000) : json(nullptr);
  };
  return {{"samples", samples.size()}, {"p50", value(50)}, {"p99", value(99)}};
}

json counts(const std::map<std::string, std::uint64_t>& values) {
  json out = json::object();
  for (const auto& [key, count] : values) out[key] = count;
  return out;
}

}  // namespace

json handle_report(daemon::DaemonContext& d, const json& request) {
  const std::string since_text = request.value("since", "24h");
  std::chrono::milliseconds window{};
  try {
    window = settings::parse_duration(since_text);
  } catch (const std::invalid_argument& error) {
    throw protocol::RequestError(std::string("--since: ") + error.what());
  }
  const auto now = std::chrono::system_clock::now();
  const std::int64_t since =
      std::chrono::duration_cast<std::chrono::seconds>((now - window).time_since_epoch()).count();
  const auto git = gitstore::history_stats(d.git_dir, since);
  const auto activity = d.metrics.since(static_cast<double>(since));
  std::uint64_t pulls = 0;
  for (const auto& [kind, count] : activity.pulls) pulls += count;
  std::uint64_t held = 0;
  for (const auto& [operation, count] : activity.held) held += count;
  return {{"since", gitstore::format_instant(since)},
          {"window", since_text},
          {"commits", git.commits},
          {"merges", git.merges},
          {"files_changed", git.files_changed()},
          {"files_added", git.files_added},
          {"files_modified", git.files_modified},
          {"files_deleted", git.files_deleted},
          {"bytes_committed", git.bytes},
          {"counted_since", gitstore::format_instant(static_cast<std::int64_t>(activity.known_since))},
          {"pushes", counts(activity.pushes)},
          {"push_latency_seconds", percentiles(activity.write_to_push_seconds)},
          {"push_duration_seconds", percentiles(activity.push_seconds)},
          {"pulls", pulls},
          {"pulls_by_kind", counts(activity.pulls)},
          {"conflicts", activity.conflicts},
          {"held_operations", held},
          {"held_by_operation", counts(activity.held)},
          {"lfs_objects", activity.lfs_objects},
          {"lfs_bytes", activity.lfs_bytes},
          {"webhooks", counts(activity.webhooks)}};
}

}  // namespace histfs::commands
