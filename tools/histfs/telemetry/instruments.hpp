#pragma once
// The three kinds of instrument histfs keeps in memory. A Counter is a relaxed atomic (cheap
// enough for any path); labelled counters and histograms take a small lock, and are fed by
// events that happen at most a few times a second (commits, pushes, webhook deliveries).
// The FUSE operations have their own lock-free table (fs/op_stats.hpp).
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tools/histfs/telemetry/exposition.hpp"

namespace histfs::telemetry {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Counters told apart by the value of one label ("outcome", "status").
class LabeledCounter {
 public:
  void add(const std::string& label_value, std::uint64_t n = 1);
  std::uint64_t value(const std::string& label_value) const;
  // Label value -> count, sorted by label value.
  std::map<std::string, std::uint64_t> values() const;

 private:
  mutable std::mutex mutex_;  // a leaf lock
  std::map<std::string, std::uint64_t> values_;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  HistogramSnapshot snapshot() const;

 private:
  mutable std::mutex mutex_;  // a leaf lock
  HistogramSnapshot data_;
};

}  // namespace histfs::telemetry
