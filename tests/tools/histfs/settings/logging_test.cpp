// Log lines as JSON objects, timestamps with their offset, and the reopen on SIGHUP
// (tools/histfs/settings/logging.cpp with telemetry/events.cpp).
#include "tools/histfs/settings/logging.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::settings {
namespace {

std::vector<nlohmann::json> json_lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::istringstream text(test::read_file(file));
  for (std::string line; std::getline(text, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The unit tests log to stderr as before once a case is done.
struct RestoreLogging {
  ~RestoreLogging() { setup_logging("warn", ""); }
};

// A case that logs to DIR/histfs.log in the given format.
struct LogFile {
  RestoreLogging restore;
  test::TempDir dir;
  std::filesystem::path file = dir / "histfs.log";
  explicit LogFile(const std::string& format) { setup_logging("info", file.string(), format); }
};

}  // namespace

TEST_CASE("log.format json: one object a line, events with their id and fields", "[logging]") {
  const LogFile log("json");
  spdlog::info("a plain line");
  telemetry::Event("git_push", "cycle-1")
      .with("outcome", "pushed")
      .with("duration_ms", 12)
      .log(spdlog::level::info, "git_push abc");
  {
    const telemetry::CycleScope cycle("cycle-2");
    telemetry::Event("git_pull").with("outcome", "merge").log(spdlog::level::info, "git_pull merged");
    spdlog::info("a line of the pull");
  }
  spdlog::error("something broke");
  telemetry::Event("webhook", "d-1").log_json_only(spdlog::level::info, "webhook push delivery d-1");
  spdlog::default_logger()->flush();

  const auto lines = json_lines(log.file);
  REQUIRE(lines.size() == 6);
  // Local time with milliseconds and the offset: 2026-11-30T10:04:17.123+00:00.
  const std::regex iso(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d)");
  for (const auto& line : lines) CHECK(std::regex_match(line["time"].get<std::string>(), iso));
  CHECK(lines[0]["event"] == "log");
  CHECK(lines[0]["message"] == "a plain line");
  CHECK(lines[1]["event"] == "git_push");
  CHECK(lines[1]["id"] == "cycle-1");
  CHECK(lines[1]["outcome"] == "pushed");
  CHECK(lines[1]["duration_ms"] == 12);
  CHECK(lines[1]["message"] == "git_push abc");
  CHECK(lines[2]["event"] == "git_pull");
  CHECK(lines[2]["id"] == "cycle-2");  // the cycle's id when the event has none of its own
  CHECK(lines[3]["event"] == "log");
  CHECK(lines[3]["id"] == "cycle-2");
  CHECK(lines[4]["event"] == "error");
  CHECK(lines[4]["level"] == "error");
  CHECK(lines[4]["id"].get<std::string>().size() == 32);
  CHECK(lines[5]["event"] == "webhook");
  CHECK(lines[5]["id"] == "d-1");
}

TEST_CASE("log.format text: an event is its message; json-only events stay out", "[logging]") {
  const LogFile log("text");
  telemetry::Event("git_push", "c").with("outcome", "pushed").log(spdlog::level::info, "git_push abc to origin");
  telemetry::Event("git_commit", "c").log_json_only(spdlog::level::info, "git_commit abc");
  spdlog::default_logger()->flush();
  const std::string text = test::read_file(log.file);
  CHECK(std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT[0-9:.]+[+-]\d\d:\d\d info git_push abc to origin\n)")));
}

TEST_CASE("reopen_log_file starts a new file where logrotate moved the old one", "[logging]") {
  const LogFile log("text");
  spdlog::info("before the rotation");
  std::filesystem::rename(log.file, log.dir / "histfs.log.1");
  spdlog::info("still to the old file");
  reopen_log_file();
  spdlog::info("after the rotation");
  spdlog::default_logger()->flush();
  const std::string old_text = test::read_file(log.dir / "histfs.log.1");
  const std::string new_text = test::read_file(log.file);
  CHECK(old_text.find("before the rotation") != std::string::npos);
  CHECK(old_text.find("still to the old file") != std::string::npos);
  CHECK(new_text.find("after the rotation") != std::string::npos);
  CHECK(new_text.find("before the rotation") == std::string::npos);
}

TEST_CASE("set_log_level changes the level at once and refuses an unknown one", "[logging]") {
  RestoreLogging restore;
  setup_logging("info", "", "text");
  set_log_level("debug");
  CHECK(spdlog::default_logger()->level() == spdlog::level::debug);
  CHECK_THROWS(set_log_level("loud"));
}

}  // namespace histfs::settings
