// The report's percentile math and its time window (tools/histfs/telemetry/activity.cpp).
#include "tools/histfs/telemetry/activity.hpp"

#include <catch2/catch.hpp>

using histfs::telemetry::Activity;
using histfs::telemetry::percentile;
using histfs::telemetry::unix_now;

TEST_CASE("percentile by nearest rank") {
  CHECK_FALSE(percentile({}, 50).has_value());
  CHECK(*percentile({7}, 50) == 7);
  CHECK(*percentile({7}, 99) == 7);
  // Unsorted input; p50 of four values is the 2nd smallest (ceil(0.5 * 4) = 2).
  CHECK(*percentile({4, 1, 3, 2}, 50) == 2);
  CHECK(*percentile({4, 1, 3, 2}, 99) == 4);
  CHECK(*percentile({4, 1, 3, 2}, 0) == 1);
  CHECK(*percentile({4, 1, 3, 2}, 100) == 4);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  CHECK(*percentile(hundred, 50) == 50);
  CHECK(*percentile(hundred, 99) == 99);
  CHECK(*percentile(hundred, 99.5) == 100);
  // Out-of-range percentages are clamped, never an index past the end.
  CHECK(*percentile(hundred, 250) == 100);
  CHECK(*percentile(hundred, -5) == 1);
}

TEST_CASE("a summary counts what happened at or after `since`") {
  const double start = unix_now();
  Activity activity(start);
  activity.push("pushed", 0.5);
  activity.push("up_to_date", std::nullopt);
  activity.write_to_push(3);
  activity.pull("fast_forward");
  activity.pull("fast_forward");
  activity.pull("merge");
  activity.conflicts(2);
  activity.held("push");
  activity.lfs_upload(3, 3000);
  activity.webhook("202");

  const auto all = activity.since(start - 10);
  CHECK(all.known_since == start);  // nothing from before the start is known
  CHECK(all.pushes.at("pushed") == 1);
  CHECK(all.pushes.at("up_to_date") == 1);
  CHECK(all.push_seconds == std::vector<double>{0.5});  // only pushes that sent something are timed
  CHECK(all.write_to_push_seconds == std::vector<double>{3});
  CHECK(all.pulls.at("fast_forward") == 2);
  CHECK(all.pulls.at("merge") == 1);
  CHECK(all.conflicts == 2);
  CHECK(all.held.at("push") == 1);
  CHECK(all.lfs_objects == 3);
  CHECK(all.lfs_bytes == 3000);
  CHECK(all.webhooks.at("202") == 1);

  const auto later = activity.since(unix_now() + 60);
  CHECK(later.pushes.empty());
  CHECK(later.pulls.empty());
  CHECK(later.conflicts == 0);
}

TEST_CASE("past its bound the oldest records go, and the summary says from when it knows") {
  Activity activity(1.0);
  for (std::size_t i = 0; i < Activity::kMaxRecords + 10; ++i) activity.pull("up_to_date");
  const auto summary = activity.since(0);
  CHECK(summary.pulls.at("up_to_date") == Activity::kMaxRecords);
  CHECK(summary.known_since > 1.0);
}
