#include "tools/histfs/telemetry/instruments.hpp"

#include <algorithm>

namespace histfs::telemetry {

void LabeledCounter::add(const std::string& label_value, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  values_[label_value] += n;
}

std::uint64_t LabeledCounter::value(const std::string& label_value) const {
  std::lock_guard lock(mutex_);
  const auto found = values_.find(label_value);
  return found == values_.end() ? 0 : found->second;
}

std::map<std::string, std::uint64_t> LabeledCounter::values() const {
  std::lock_guard lock(mutex_);
  return values_;
}

Histogram::Histogram(std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  data_.bounds = std::move(bounds);
  data_.buckets.assign(data_.bounds.size() + 1, 0);
}

void Histogram::observe(double value) {
  // The first bound at or above the value; past the last one, the +Inf bucket.
  const auto index = static_cast<std::size_t>(std::lower_bound(data_.bounds.begin(), data_.bounds.end(), value) -
                                              data_.bounds.begin());
  std::lock_guard lock(mutex_);
  ++data_.buckets[index];
  ++data_.count;
  data_.sum += value;
}

HistogramSnapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  return data_;
}

}  // namespace histfs::telemetry
