#pragma once
// Structured log events: the seed's git_commit, git_push, git_pull and git_conflict, and
// webhook, lfs_upload and error. Each has a name, a correlation id (the commit's
// Correlation-Id trailer, the push or pull cycle, the webhook delivery) and fields such as
// durations and sizes. With log.format "text" an event is its human message, exactly the
// line histfs always wrote; with "json" the log line is one object holding every field
// (settings/logging.cpp's formatter reads the event being logged on this thread, so the
// loggers stay synchronous).
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <nlohmann/json.hpp>

namespace histfs::telemetry {

class Event {
 public:
  // `id` empty: the current cycle's id on this thread (CycleScope), else a new one.
  explicit Event(std::string_view name, std::string id = {});

  Event& with(const std::string& key, nlohmann::json value);
  // Logs it with `message` as its human text.
  void log(spdlog::level::level_enum level, std::string_view message) const;
  // Logs it only when the log is JSON: for an event whose text line another layer already
  // writes (the committer's git_commit line, the webhook server's delivery line).
  void log_json_only(spdlog::level::level_enum level, std::string_view message) const;

  const nlohmann::json& fields() const { return fields_; }

 private:
  nlohmann::json fields_;  // "event", "id", then the fields in the order given
};

// While one lives, events on this thread without an id of their own carry `id`: one push or
// pull cycle of the remote sync, from its start to its last log line.
class CycleScope {
 public:
  explicit CycleScope(std::string id);
  ~CycleScope();
  CycleScope(const CycleScope&) = delete;
  CycleScope& operator=(const CycleScope&) = delete;

 private:
  std::string previous_;
};

// The id of the cycle this thread is in ("" outside one).
const std::string& current_cycle();
// A new random id (32 hex digits, like a commit's Correlation-Id).
std::string new_event_id();

// Set by settings::setup_logging: whether log lines are JSON objects.
void set_json_log(bool json);
bool json_log();
// For the JSON formatter: the fields of the event being logged on this thread, else null.
const nlohmann::json* event_being_logged();

}  // namespace histfs::telemetry
