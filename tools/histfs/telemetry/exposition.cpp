#include "tools/histfs/telemetry/exposition.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace histfs::telemetry {

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Exact integers (counts, unix seconds) print without an exponent or a fraction.
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  // The shortest form that reads back as the same double: 0.1, not 0.10000000000000001.
  char buffer[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  text_.append("# HELP ").append(name).append(" ").append(escape_help(help)).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Exposition::sample(std::string_view name, double value, const Labels& labels) {
  text_.append(name);
  if (!labels.empty()) {
    text_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) text_ += ',';
      text_.append(labels[i].first).append("=\"").append(escape_label_value(labels[i].second)).append("\"");
    }
    text_ += '}';
  }
  text_.append(" ").append(format_value(value)).append("\n");
}

void Exposition::histogram(std::string_view name, std::string_view help, const HistogramSnapshot& snapshot,
                           const Labels& labels) {
  family(name, "histogram", help);
  histogram_series(name, snapshot, labels);
}

void Exposition::histogram_series(std::string_view name, const HistogramSnapshot& snapshot, const Labels& labels) {
  const std::string base(name);
  // Buckets are cumulative in the format: each counts every observation at or below its bound.
  unsigned long cumulative = 0;
  for (std::size_t i = 0; i <= snapshot.bounds.size(); ++i) {
    cumulative += i < snapshot.buckets.size() ? snapshot.buckets[i] : 0;
    Labels with_le = labels;
    with_le.emplace_back("le", i < snapshot.bounds.size() ? format_value(snapshot.bounds[i]) : "+Inf");
    sample(base + "_bucket", static_cast<double>(cumulative), with_le);
  }
  sample(base + "_sum", snapshot.sum, labels);
  sample(base + "_count", static_cast<double>(snapshot.count), labels);
}

}  // namespace histfs::telemetry
