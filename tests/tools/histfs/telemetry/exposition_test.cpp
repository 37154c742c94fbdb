// The Prometheus text format as histfs writes it (tools/histfs/telemetry/exposition.cpp).
#include "tools/histfs/telemetry/exposition.hpp"

#include <catch2/catch.hpp>
#include <limits>

using histfs::telemetry::escape_help;
using histfs::telemetry::escape_label_value;
using histfs::telemetry::Exposition;
using histfs::telemetry::format_value;
using histfs::telemetry::HistogramSnapshot;

TEST_CASE("values: integers plain, fractions exact, the special values by their names") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(-3) == "-3");
  CHECK(format_value(1764497057) == "1764497057");  // unix seconds keep every digit
  CHECK(format_value(0.25) == "0.25");
  CHECK(std::stod(format_value(0.1)) == 0.1);  // round-trips
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("label values escape backslash, quote and newline; HELP escapes backslash and newline") {
  CHECK(escape_label_value(R"(a\b"c)"
                           "\n") == R"(a\\b\"c\n)");
  CHECK(escape_label_value("plain") == "plain");
  CHECK(escape_help("one\\two\nthree \"q\"") == "one\\\\two\\nthree \"q\"");
}

TEST_CASE("a family is a HELP line, a TYPE line, then its samples with their labels") {
  Exposition out;
  out.family("histfs_pushes_total", "counter", "Push cycles by outcome.");
  out.sample("histfs_pushes_total", 3, {{"outcome", "pushed"}});
  out.sample("histfs_pushes_total", 0, {{"outcome", "held"}, {"note", "a\"b"}});
  out.family("histfs_changes_pending", "gauge", "Changes not committed yet.");
  out.sample("histfs_changes_pending", 7);
  CHECK(out.text() ==
        "# HELP histfs_pushes_total Push cycles by outcome.\n"
        "# TYPE histfs_pushes_total counter\n"
        "histfs_pushes_total{outcome=\"pushed\"} 3\n"
        "histfs_pushes_total{outcome=\"held\",note=\"a\\\"b\"} 0\n"
        "# HELP histfs_changes_pending Changes not committed yet.\n"
        "# TYPE histfs_changes_pending gauge\n"
        "histfs_changes_pending 7\n");
}

TEST_CASE("a histogram's buckets are cumulative and end with +Inf, then _sum and _count") {
  HistogramSnapshot snapshot{{0.1, 1}, {2, 1, 3}, 6, 12.5};
  Exposition out;
  out.histogram("histfs_commit_duration_seconds", "How long a commit took.", snapshot);
  CHECK(out.text() ==
        "# HELP histfs_commit_duration_seconds How long a commit took.\n"
        "# TYPE histfs_commit_duration_seconds histogram\n"
        "histfs_commit_duration_seconds_bucket{le=\"0.1\"} 2\n"
        "histfs_commit_duration_seconds_bucket{le=\"1\"} 3\n"
        "histfs_commit_duration_seconds_bucket{le=\"+Inf\"} 6\n"
        "histfs_commit_duration_seconds_sum 12.5\n"
        "histfs_commit_duration_seconds_count 6\n");
}

TEST_CASE("a histogram series keeps its labels beside le") {
  HistogramSnapshot snapshot{{1}, {0, 0}, 0, 0};
  Exposition out;
  out.histogram_series("x_seconds", snapshot, {{"op", "push"}});
  CHECK(out.text() ==
        "x_seconds_bucket{op=\"push\",le=\"1\"} 0\n"
        "x_seconds_bucket{op=\"push\",le=\"+Inf\"} 0\n"
        "x_seconds_sum{op=\"push\"} 0\n"
        "x_seconds_count{op=\"push\"} 0\n");
}
