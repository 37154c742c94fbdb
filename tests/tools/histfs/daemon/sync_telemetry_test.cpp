// A push or pull cycle's outcome read from its answer (tools/histfs/daemon/sync_telemetry.cpp).
#include "tools/histfs/daemon/sync_telemetry.hpp"

#include <catch2/catch.hpp>

namespace histfs::daemon {

using nlohmann::json;

TEST_CASE("push outcomes", "[sync_telemetry]") {
  CHECK(push_outcome({{"pushed", true}, {"head", "abc"}}, "") == "pushed");
  CHECK(push_outcome({{"pushed", false}, {"reason", "already up to date"}}, "") == "up_to_date");
  CHECK(push_outcome({{"pushed", false}, {"reason", "nothing to push yet"}}, "") == "up_to_date");
  CHECK(push_outcome({{"pushed", false}, {"held", "too many deletes"}}, "") == "held");
  CHECK(push_outcome({{"pushed", false}, {"refused", "rewritten"}}, "") == "refused");
  CHECK(push_outcome(json(nullptr), "network down") == "failed");
}

TEST_CASE("pull outcomes", "[sync_telemetry]") {
  CHECK(pull_outcome({{"pulled", true}, {"fast_forward", true}}, "") == "fast_forward");
  CHECK(pull_outcome({{"pulled", true}, {"fast_forward", false}}, "") == "merge");
  CHECK(pull_outcome({{"pulled", false}, {"reason", "already up to date"}}, "") == "up_to_date");
  CHECK(pull_outcome({{"pulled", false}, {"reason", "local is ahead; pushing"}}, "") == "local_ahead");
  CHECK(pull_outcome({{"pulled", false}, {"reason", "the remote has no main branch yet"}}, "") == "empty_remote");
  CHECK(pull_outcome({{"pulled", false}, {"held", "x"}}, "") == "held");
  CHECK(pull_outcome({{"pulled", false}, {"refused", "x"}}, "") == "refused");
  CHECK(pull_outcome(json(nullptr), "timeout") == "failed");
}

TEST_CASE("a webhook's fetch is named after its delivery", "[sync_telemetry]") {
  CHECK(cycle_id("webhook 72d3162e-cc78-11e3-81ab-4c9367dc0958") == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
  const std::string fresh = cycle_id("interval");
  CHECK(fresh.size() == 32);
  CHECK(cycle_id("interval") != fresh);
  CHECK(cycle_id("webhook ").size() == 32);
}

TEST_CASE("cycles feed the metrics: pushes, pulls, holds and write-to-pushed", "[sync_telemetry]") {
  telemetry::Metrics metrics;
  metrics.unpushed_write(std::chrono::system_clock::now());
  record_push_cycle(metrics, {{"pushed", true}, {"head", "abc"}}, "", 0.2);
  record_push_cycle(metrics, {{"pushed", false}, {"held", "x"}}, "", 0.01);
  record_pull_cycle(metrics, {{"pulled", true}, {"fast_forward", true}, {"files_changed", 2}}, "", 0.3, "request");
  record_pull_cycle(metrics, json(nullptr), "timeout", 5, "interval");
  const auto summary = metrics.since(0);
  CHECK(summary.pushes.at("pushed") == 1);
  CHECK(summary.pushes.at("held") == 1);
  CHECK(summary.held.at("push") == 1);
  CHECK(summary.push_seconds == std::vector<double>{0.2});
  CHECK(summary.write_to_push_seconds.size() == 1);
  CHECK(summary.pulls.at("fast_forward") == 1);
  CHECK(summary.pulls.at("failed") == 1);
}

}  // namespace histfs::daemon
