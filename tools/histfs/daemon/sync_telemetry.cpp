#include "tools/histfs/daemon/sync_telemetry.hpp"

#include <chrono>
#include <cmath>

#include "fs/op_stats.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::daemon {

using nlohmann::json;
namespace push = telemetry::push_outcome;
namespace pull = telemetry::pull_outcome;

namespace {

std::string reason_of(const json& answer) { return answer.is_object() ? answer.value("reason", "") : ""; }

std::int64_t milliseconds(double seconds) { return std::llround(seconds * 1000); }

}  // namespace

void record_commit(telemetry::Metrics& metrics, fs::OpStats* op_stats, const CommitFacts& notice) {
  if (notice.correlation_id.empty()) return;
  const double seconds = std::chrono::duration<double>(notice.duration).count();
  metrics.commit(seconds, notice.paths);
  // A commit with no write through the mount (a merge, a reconcile) starts its wait now.
  const auto first_write = op_stats ? op_stats->take_first_change() : std::nullopt;
  metrics.unpushed_write(first_write.value_or(std::chrono::system_clock::now()));
  telemetry::Event("git_commit", notice.correlation_id)
      .with("commit", notice.commit)
      .with("subject", notice.subject)
      .with("paths", notice.paths)
      .with("duration_ms", std::round(seconds * 1e6) / 1e3)
      .log_json_only(spdlog::level::info, "git_commit " + notice.commit);
}

std::string cycle_id(const std::string& fetch_reason) {
  constexpr std::string_view kWebhook = "webhook ";
  if (fetch_reason.starts_with(kWebhook) && fetch_reason.size() > kWebhook.size())
    return fetch_reason.substr(kWebhook.size());
  return telemetry::new_event_id();
}

std::string push_outcome(const json& answer, const std::string& error) {
  if (!error.empty()) return push::kFailed;
  if (!answer.is_object()) return push::kFailed;
  if (answer.value("pushed", false)) return push::kPushed;
  if (answer.contains("refused")) return push::kRefused;
  if (answer.contains("held")) return push::kHeld;
  return push::kUpToDate;  // "already up to date", "nothing to push yet"
}

std::string pull_outcome(const json& answer, const std::string& error) {
  if (!error.empty() || !answer.is_object()) return pull::kFailed;
  if (answer.value("pulled", false)) return answer.value("fast_forward", false) ? pull::kFastForward : pull::kMerge;
  if (answer.contains("refused")) return pull::kRefused;
  if (answer.contains("held")) return pull::kHeld;
  const std::string reason = reason_of(answer);
  if (reason.starts_with("local is ahead")) return pull::kLocalAhead;
  if (reason.starts_with("the remote has no main")) return pull::kEmptyRemote;
  return pull::kUpToDate;
}

void record_push_cycle(telemetry::Metrics& metrics, const json& answer, const std::string& error, double seconds) {
  const std::string outcome = push_outcome(answer, error);
  const bool sent = outcome == push::kPushed;
  metrics.push(outcome, sent ? std::optional<double>(seconds) : std::nullopt);
  if (sent) metrics.pushed_writes();
  if (outcome == push::kHeld) metrics.held("push");
  telemetry::Event event("git_push");
  event.with("outcome", outcome).with("duration_ms", milliseconds(seconds));
  if (answer.is_object() && answer.contains("head")) event.with("head", answer["head"]);
  if (!error.empty()) event.with("error", error);
  if (answer.is_object() && answer.contains("held")) event.with("held", answer["held"]);
  event.log_json_only(error.empty() ? spdlog::level::info : spdlog::level::warn, "git_push " + outcome);
}

void record_pull_cycle(telemetry::Metrics& metrics, const json& answer, const std::string& error, double seconds,
                       const std::string& trigger) {
  const std::string outcome = pull_outcome(answer, error);
  metrics.pull(outcome);
  if (outcome == pull::kHeld) metrics.held("pull");
  telemetry::Event event("git_pull");
  event.with("outcome", outcome).with("duration_ms", milliseconds(seconds)).with("trigger", trigger);
  if (answer.is_object()) {
    if (answer.contains("files_changed")) event.with("files_changed", answer["files_changed"]);
    if (answer.contains("conflicts")) event.with("conflicts", answer["conflicts"].size());
    if (answer.contains("refused")) event.with("refused", answer["refused"]);
    if (answer.contains("held")) event.with("held", answer["held"]);
  }
  if (!error.empty()) event.with("error", error);
  event.log_json_only(error.empty() ? spdlog::level::info : spdlog::level::warn, "git_pull " + outcome);
}

}  // namespace histfs::daemon
