// The daemon's named metrics and the page they make (tools/histfs/telemetry/metrics.cpp).
#include "tools/histfs/telemetry/metrics.hpp"

#include <catch2/catch.hpp>
#include <thread>

using histfs::telemetry::Exposition;
using histfs::telemetry::Histogram;
using histfs::telemetry::Metrics;

namespace {

std::string page(const Metrics& metrics) {
  Exposition out;
  metrics.expose(out);
  return out.text();
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

}  // namespace

TEST_CASE("a histogram puts each value in the first bucket at or above it") {
  Histogram histogram({1, 0.1, 10});  // sorted on construction
  histogram.observe(0.1);
  histogram.observe(0.5);
  histogram.observe(100);
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.bounds == std::vector<double>{0.1, 1, 10});
  CHECK(snapshot.buckets == std::vector<unsigned long>{1, 1, 0, 1});
  CHECK(snapshot.count == 3);
  CHECK(snapshot.sum == Approx(100.6));
}

TEST_CASE("every known outcome is a series from the start, at zero") {
  Metrics metrics(1000);
  const std::string text = page(metrics);
  CHECK(has_line(text, "histfs_start_time_seconds 1000"));
  CHECK(has_line(text, "histfs_commits_total 0"));
  CHECK(has_line(text, "histfs_pushes_total{outcome=\"pushed\"} 0"));
  CHECK(has_line(text, "histfs_pushes_total{outcome=\"failed\"} 0"));
  CHECK(has_line(text, "histfs_pulls_total{outcome=\"fast_forward\"} 0"));
  CHECK(has_line(text, "histfs_held_operations_total{operation=\"pull\"} 0"));
  CHECK(has_line(text, "# TYPE histfs_commit_duration_seconds histogram"));
  CHECK(has_line(text, "# TYPE histfs_lfs_uploaded_bytes_total counter"));
  // Never pushed: the timestamp family is there, without a sample.
  CHECK(has_line(text, "# TYPE histfs_last_push_timestamp_seconds gauge"));
  CHECK(text.find("\nhistfs_last_push_timestamp_seconds ") == std::string::npos);
}

TEST_CASE("what the services report moves the counters") {
  Metrics metrics;
  metrics.commit(0.02, 3);
  metrics.commit(0.5, 1);
  metrics.push("pushed", 1.5);
  metrics.pull("merge");
  metrics.conflicts(2);
  metrics.conflicts(0);
  metrics.held("push");
  metrics.lfs_upload(2, 4096);
  metrics.webhook(202);
  metrics.webhook(401);
  const std::string text = page(metrics);
  CHECK(has_line(text, "histfs_commits_total 2"));
  CHECK(has_line(text, "histfs_committed_paths_total 4"));
  CHECK(has_line(text, "histfs_commit_duration_seconds_count 2"));
  CHECK(has_line(text, "histfs_commit_duration_seconds_bucket{le=\"0.025\"} 1"));
  CHECK(has_line(text, "histfs_pushes_total{outcome=\"pushed\"} 1"));
  CHECK(has_line(text, "histfs_push_duration_seconds_count 1"));
  CHECK(has_line(text, "histfs_pulls_total{outcome=\"merge\"} 1"));
  CHECK(has_line(text, "histfs_conflicts_total 2"));
  CHECK(has_line(text, "histfs_held_operations_total{operation=\"push\"} 1"));
  CHECK(has_line(text, "histfs_lfs_uploaded_objects_total 2"));
  CHECK(has_line(text, "histfs_lfs_uploaded_bytes_total 4096"));
  CHECK(has_line(text, "histfs_webhook_deliveries_total{status=\"202\"} 1"));
  CHECK(has_line(text, "histfs_webhook_deliveries_total{status=\"401\"} 1"));
  CHECK(text.find("\nhistfs_last_push_timestamp_seconds ") != std::string::npos);
  CHECK(text.find("\nhistfs_last_fetch_timestamp_seconds ") != std::string::npos);
  CHECK(metrics.commits() == 2);
}

TEST_CASE("write-to-pushed runs from the oldest unpushed write to the push that sent it") {
  Metrics metrics;
  const auto now = std::chrono::system_clock::now();
  metrics.unpushed_write(now - std::chrono::seconds(5));
  metrics.unpushed_write(now - std::chrono::seconds(20));  // older: it is the one waiting longest
  metrics.unpushed_write(now - std::chrono::seconds(1));
  metrics.pushed_writes();
  metrics.pushed_writes();  // nothing waits any more: no second sample
  const auto summary = metrics.since(0);
  REQUIRE(summary.write_to_push_seconds.size() == 1);
  CHECK(summary.write_to_push_seconds[0] == Approx(20).margin(2));
}
