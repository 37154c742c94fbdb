#include "tools/histfs/settings/logging.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "tools/histfs/telemetry/events.hpp"

namespace histfs::settings {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v";

spdlog::level::level_enum parse_level(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw std::runtime_error("log.level: expected trace, debug, info, warn, error or off, got \"" + level + "\"");
  return parsed;
}

// "2026-11-30T10:04:17.123+01:00": local time, milliseconds, the offset from UTC.
std::string iso8601(spdlog::log_clock::time_point time) {
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const time_t whole = static_cast<time_t>(seconds.count());
  struct tm local {};
  localtime_r(&whole, &local);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  const long offset = local.tm_gmtoff / 60;
  char text[64];
  std::snprintf(text, sizeof text, "%s.%03lld%c%02ld:%02ld", date, static_cast<long long>(millis),
                offset < 0 ? '-' : '+', std::labs(offset) / 60, std::labs(offset) % 60);
  return text;
}

// One JSON object a line. An event logged through telemetry::Event brings its fields; any
// other line is {"event": "log"}, or {"event": "error", "id": ...} from error level on.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line;
    line["time"] = iso8601(msg.time);
    // The names log.level takes ("warn", where spdlog says "warning").
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = msg.level == spdlog::level::warn ? std::string("warn") : std::string(level.data(), level.size());
    if (const nlohmann::json* event = telemetry::event_being_logged()) {
      line["event"] = event->value("event", "log");
      line["id"] = event->value("id", "");
      for (const auto& [key, value] : event->items())
        if (key != "event" && key != "id") line[key] = value;
    } else if (msg.level >= spdlog::level::err) {
      line["event"] = "error";
      line["id"] = telemetry::current_cycle().empty() ? telemetry::new_event_id() : telemetry::current_cycle();
    } else {
      line["event"] = "log";
      if (!telemetry::current_cycle().empty()) line["id"] = telemetry::current_cycle();  // a line of a push or pull
    }
    line["message"] = std::string(msg.payload.data(), msg.payload.size());
    // A path in a message may not be UTF-8: written with U+FFFD rather than throwing.
    const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// A log file that SIGHUP can reopen by name (spdlog's file sink cannot).
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {
    if (!open()) throw std::runtime_error("log.file: cannot open " + path_ + ": " + std::strerror(errno));
  }
  ~ReopenableFileSink() override {
    if (file_) std::fclose(file_);
  }
  ReopenableFileSink(const ReopenableFileSink&) = delete;
  ReopenableFileSink& operator=(const ReopenableFileSink&) = delete;

  // False (the old file kept) when the path cannot be opened.
  bool reopen() {
    std::lock_guard lock(mutex_);
    return open();
  }
  const std::string& path() const { return path_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override { std::fflush(file_); }

 private:
  bool open() {
    // "e": O_CLOEXEC, so helpers the daemon starts do not inherit it.
    std::FILE* fresh = std::fopen(path_.c_str(), "ae");
    if (!fresh) return false;
    if (file_) std::fclose(file_);
    file_ = fresh;
    return true;
  }
  std::string path_;
  std::FILE* file_ = nullptr;
};

std::unique_ptr<spdlog::formatter> make_formatter(const std::string& format) {
  if (format == "json") return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>(kTextPattern);
}

// The file sink of the default logger, for reopen_log_file(); set before any thread starts.
std::shared_ptr<ReopenableFileSink> file_sink;

}  // namespace

void setup_logging(const std::string& level_name, const std::string& file, const std::string& format) {
  const auto level = parse_level(level_name);
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()};
  file_sink.reset();
  if (!file.empty()) {
    file_sink = std::make_shared<ReopenableFileSink>(file);
    sinks.push_back(file_sink);
  }
  auto logger = std::make_shared<spdlog::logger>("histfs", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_formatter(make_formatter(format));
  logger->flush_on(spdlog::level::info);
  telemetry::set_json_log(format == "json");
  spdlog::set_default_logger(logger);
}

std::string log_to_system_log_if_no_file(const std::string& file, const std::string& format,
                                         const std::string& fallback_file) {
  if (!file.empty()) return file;
  spdlog::sink_ptr sink;
  std::string where;
  auto is_socket = [](const char* path) {
    struct stat st {};
    return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
  };
  if (is_socket("/run/systemd/journal/socket")) {
    // The journal keeps the level, the time and the pid itself: text lines carry just the message.
    sink = std::make_shared<spdlog::sinks::systemd_sink_mt>("histfs", format == "json");
    where = "the journal";
  } else if (is_socket("/dev/log")) {
    sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("histfs", LOG_PID, LOG_DAEMON, true);
    where = "syslog";
  } else if (!fallback_file.empty()) {
    file_sink = std::make_shared<ReopenableFileSink>(fallback_file);
    sink = file_sink;
    where = fallback_file;
  } else {
    return "nowhere";
  }
  if (format == "json")
    sink->set_formatter(std::make_unique<JsonFormatter>());
  else
    // syslog stamps its own time; the text form there needs only the level and the message.
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(where == "syslog" ? "%l %v" : kTextPattern));
  // Still single-threaded here (the daemon has just detached), so the sink list may change.
  spdlog::default_logger()->sinks().push_back(std::move(sink));
  return where;
}

void reopen_log_file() {
  if (!file_sink) return;
  if (file_sink->reopen())
    spdlog::info("reopened the log file {}", file_sink->path());
  else
    spdlog::error("cannot reopen the log file {}: {}; still writing to the old one", file_sink->path(),
                  std::strerror(errno));
}

void set_log_level(const std::string& level) { spdlog::default_logger()->set_level(parse_level(level)); }

}  // namespace histfs::settings
