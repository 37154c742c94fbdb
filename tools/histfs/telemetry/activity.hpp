#pragma once
// What the remote sync did lately, each with its time, so that `histfs report --since 1h`
// can count what happened in any window. Kept in memory only (a restart forgets it; the
// commits themselves are counted from git history) and bounded: past kMaxRecords the
// oldest records go, and the report says from when it knows.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace histfs::telemetry {

// The value below which `percent` per cent of the values lie, by nearest rank: the
// ceil(percent/100 * n)-th smallest (the smallest for 0). nullopt for no values.
std::optional<double> percentile(std::vector<double> values, double percent);

struct ActivitySummary {
  double known_since = 0;                         // unix seconds: the oldest time the records cover
  std::map<std::string, std::uint64_t> pushes;    // by outcome
  std::vector<double> push_seconds;               // how long each push that sent something took
  std::vector<double> write_to_push_seconds;      // first unpushed write -> pushed
  std::map<std::string, std::uint64_t> pulls;     // by kind
  std::uint64_t conflicts = 0;                    // conflict copies written
  std::map<std::string, std::uint64_t> held;      // held operations by operation (push, pull)
  std::uint64_t lfs_objects = 0, lfs_bytes = 0;   // uploaded
  std::map<std::string, std::uint64_t> webhooks;  // deliveries by HTTP status
};

class Activity {
 public:
  static constexpr std::size_t kMaxRecords = 20000;

  explicit Activity(double started);  // unix seconds

  void push(const std::string& outcome, std::optional<double> seconds);
  void write_to_push(double seconds);
  void pull(const std::string& kind);
  void conflicts(std::uint64_t count);
  void held(const std::string& operation);
  void lfs_upload(std::uint64_t objects, std::uint64_t bytes);
  void webhook(const std::string& status);

  // Everything recorded at or after `since` (unix seconds).
  ActivitySummary since(double since) const;

 private:
  enum class Kind { Push, WriteToPush, Pull, Conflicts, Held, LfsUpload, Webhook };
  struct Record {
    double time;
    Kind kind;
    std::string label;
    double value = 0;
    std::uint64_t count = 0;
  };
  void add(Record record);

  mutable std::mutex mutex_;  // a leaf lock
  double known_since_;
  std::deque<Record> records_;
};

double unix_now();

}  // namespace histfs::telemetry
