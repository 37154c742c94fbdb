#include "tools/histfs/telemetry/activity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace histfs::telemetry {

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::optional<double> percentile(std::vector<double> values, double percent) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double clamped = std::clamp(percent, 0.0, 100.0);
  const auto rank = static_cast<std::size_t>(std::ceil(clamped / 100.0 * static_cast<double>(values.size())));
  return values[rank == 0 ? 0 : std::min(rank, values.size()) - 1];
}

Activity::Activity(double started) : known_since_(started) {}

void Activity::add(Record record) {
  std::lock_guard lock(mutex_);
  records_.push_back(std::move(record));
  if (records_.size() > kMaxRecords) {
    known_since_ = records_.front().time;  // what went was at or before this
    records_.pop_front();
  }
}

void Activity::push(const std::string& outcome, std::optional<double> seconds) {
  add({unix_now(), Kind::Push, outcome, seconds.value_or(-1)});
}
void Activity::write_to_push(double seconds) { add({unix_now(), Kind::WriteToPush, "", seconds}); }
void Activity::pull(const std::string& kind) { add({unix_now(), Kind::Pull, kind}); }
void Activity::conflicts(std::uint64_t count) { add({unix_now(), Kind::Conflicts, "", 0, count}); }
void Activity::held(const std::string& operation) { add({unix_now(), Kind::Held, operation}); }
void Activity::lfs_upload(std::uint64_t objects, std::uint64_t bytes) {
  add({unix_now(), Kind::LfsUpload, "", static_cast<double>(bytes), objects});
}
void Activity::webhook(const std::string& status) { add({unix_now(), Kind::Webhook, status}); }

ActivitySummary Activity::since(double since) const {
  ActivitySummary summary;
  std::lock_guard lock(mutex_);
  summary.known_since = std::max(since, known_since_);
  for (const Record& record : records_) {
    if (record.time < since) continue;
    switch (record.kind) {
      case Kind::Push:
        ++summary.pushes[record.label];
        if (record.value >= 0) summary.push_seconds.push_back(record.value);
        break;
      case Kind::WriteToPush:
        summary.write_to_push_seconds.push_back(record.value);
        break;
      case Kind::Pull:
        ++summary.pulls[record.label];
        break;
      case Kind::Conflicts:
        summary.conflicts += record.count;
        break;
      case Kind::Held:
        ++summary.held[record.label];
        break;
      case Kind::LfsUpload:
        summary.lfs_objects += record.count;
        summary.lfs_bytes += static_cast<std::uint64_t>(record.value);
        break;
      case Kind::Webhook:
        ++summary.webhooks[record.label];
        break;
    }
  }
  return summary;
}

}  // namespace histfs::telemetry
