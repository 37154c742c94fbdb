#pragma once
// The Prometheus text exposition format (version 0.0.4), written by hand: a HELP and a TYPE
// line per metric family, then its samples. Only what histfs exposes: counters, gauges and
// histograms, each with optional labels. `promtool check metrics` accepts what this writes
// (tests/integration/observability_test.sh checks it on a live daemon).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace histfs::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

// What a histogram holds at one moment: counts per upper bound (not cumulative), then the
// count above the last bound, the number of observations and their sum.
struct HistogramSnapshot {
  std::vector<double> bounds;          // ascending upper bounds, without +Inf
  std::vector<unsigned long> buckets;  // bounds.size() + 1 counts, the last one for +Inf
  unsigned long count = 0;
  double sum = 0;
};

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Exposition {
 public:
  // type: "counter", "gauge" or "histogram". Call once per family, before its samples.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One line: name{labels} value.
  void sample(std::string_view name, double value, const Labels& labels = {});
  // A whole histogram family with one series (labels may be empty).
  void histogram(std::string_view name, std::string_view help, const HistogramSnapshot& snapshot,
                 const Labels& labels = {});
  // A series of the histogram family started with family(name, "histogram", ...).
  void histogram_series(std::string_view name, const HistogramSnapshot& snapshot, const Labels& labels = {});

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// A sample value as the format wants it: integers without a fraction, +Inf, -Inf, NaN.
std::string format_value(double value);
// A label value with \\, \" and \n escaped.
std::string escape_label_value(std::string_view value);
// HELP text with \\ and \n escaped.
std::string escape_help(std::string_view text);

}  // namespace histfs::telemetry
