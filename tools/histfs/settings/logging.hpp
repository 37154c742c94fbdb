#pragma once
// Where the daemon's log goes and in which form (log.level, log.file, log.format).
// - Before detaching: stderr, and log.file when set.
// - Detached with no log.file: the journal (spdlog's systemd sink) where journald runs, else
//   syslog (/dev/log), else (a container with neither) a file in the git dir: a daemon never
//   logs to nowhere.
// - log.format "json": one JSON object a line (time, level, event, id, the event's fields,
//   message); see telemetry/events.hpp. "text": a timestamp, the level and the message.
// Timestamps are local time with their UTC offset (ISO 8601: 2026-11-30T10:04:17.123+01:00).
#include <string>

namespace histfs::settings {

// format: "text" or "json". Throws std::runtime_error naming the bad level or the unwritable file.
void setup_logging(const std::string& level, const std::string& file, const std::string& format = "text");
// After the daemon detached (stderr is /dev/null now): with no log.file, log to the journal or
// syslog, or to `fallback_file` (absolute; reopened on SIGHUP like log.file) where neither runs.
// Returns where the log goes now.
std::string log_to_system_log_if_no_file(const std::string& file, const std::string& format,
                                         const std::string& fallback_file);
// SIGHUP: closes the log file and opens it again by name, so that a file logrotate renamed
// is left behind and a new one starts. Logs an error (and keeps the old file) on failure.
void reopen_log_file();
// A new log.level, effective at once; throws std::runtime_error for an unknown level.
void set_log_level(const std::string& level);

}  // namespace histfs::settings
