#pragma once
// What a commit, and one push or pull cycle of the remote sync, tell the metrics and the log: its outcome
// (read from the answer the cycle returns, so the push and pull paths need no counting of
// their own), its duration, and one git_push or git_pull event carrying the cycle's id.
#include <string>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>

#include "tools/histfs/telemetry/metrics.hpp"

namespace histfs::fs {
class OpStats;
}

namespace histfs::daemon {

// After each commit (a Committer subscriber): counted and timed, its first write remembered
// for the write-to-pushed latency, and a git_commit event with the commit's Correlation-Id
// (JSON only: the committer writes the text line). A fast-forward to a remote's commit is a
// pull's, not a commit of ours: not counted.
struct CommitFacts {
  std::string commit;          // hex id
  std::string correlation_id;  // its Correlation-Id trailer; "" for a fast-forward
  std::string subject;
  std::size_t paths = 0;
  std::chrono::microseconds duration{0};
};
void record_commit(telemetry::Metrics& metrics, fs::OpStats* op_stats, const CommitFacts& commit);

// The correlation id of a cycle: the delivery id when a webhook asked for the fetch
// ("webhook <id>"), so a delivery and the pull it caused share one id; else a new id.
std::string cycle_id(const std::string& fetch_reason);

// telemetry::push_outcome / pull_outcome of a cycle's answer ("failed" when error is set).
std::string push_outcome(const nlohmann::json& answer, const std::string& error);
std::string pull_outcome(const nlohmann::json& answer, const std::string& error);

// Counts the cycle, and logs its event (JSON only: the push and pull paths write the text lines).
void record_push_cycle(telemetry::Metrics& metrics, const nlohmann::json& answer, const std::string& error,
                       double seconds);
void record_pull_cycle(telemetry::Metrics& metrics, const nlohmann::json& answer, const std::string& error,
                       double seconds, const std::string& trigger);

}  // namespace histfs::daemon
