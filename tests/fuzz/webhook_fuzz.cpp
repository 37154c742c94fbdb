// Fuzz target: one HTTP request into the webhook handling, as a connection of
// webhook::Server runs it (header, budget, body, delivery verdict, answer, log
// line), from the bytes a client sends; no network (tests/webhook/exchange.hpp).
// Two words in the input are filled in first, so that mutated inputs get past
// what a fuzzer cannot guess: "Content-Length: auto" becomes the length of what
// follows the header, "sha256=auto" the body's signature with the secret below.
// Checked for every input: nothing throws or crashes, the answer is valid JSON
// in valid UTF-8 with a status from the documented set (a 500 means an
// exception was caught: a bug), every log line is printable, the budget is
// given back, and a fetch is asked for only for a signed push.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "gitstore/printable.hpp"
#include "webhook/exchange.hpp"
#include "webhook/signature.hpp"

namespace {

using namespace histfs::webhook;
using histfs::gitstore::is_utf8;
using histfs::gitstore::printable;
using histfs::gitstore::unprintable;

const std::string kSecret = "fuzz-secret";

void require(bool condition, const char* what, const std::string& detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "webhook_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string fill_in(std::string input) {
  const auto header_end = input.find("\r\n\r\n");
  if (header_end == std::string::npos) return input;
  const std::string body = input.substr(header_end + 4);
  std::string header = input.substr(0, header_end);
  const auto replace = [&](const std::string& word, const std::string& value) {
    if (const auto at = header.find(word); at != std::string::npos) header.replace(at, word.size(), value);
  };
  replace("Content-Length: auto", "Content-Length: " + std::to_string(body.size()));
  replace("sha256=auto", "sha256=" + hmac_sha256_hex(kSecret, body));
  return header + "\r\n\r\n" + body;
}

std::ostringstream& log_text() {
  static std::ostringstream text;
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::ostream_sink_st>(log_text()));
  logger->set_pattern("%l %v");
  spdlog::set_default_logger(logger);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  log_text().str("");
  const std::string input = fill_in(std::string(reinterpret_cast<const char*>(data), size));

  ServerOptions options;
  options.body_limit = 16 * 1024;  // small, so that inputs reach the 413 and 503 paths
  BodyBudget budget(input.size() % 3 == 0 ? 64 : 32 * 1024);
  // A fresh judge for each input: its memory of delivery ids would make a crash depend on earlier inputs.
  DeliveryJudge judge({kSecret, input.size() % 2 ? "owner/notes" : "", "main"},
                      [](const std::string& after) { return after.starts_with("ff"); });
  bool fetched = false;
  RequestHandler handler(
      options, judge,
      [&](const Verdict& verdict, const std::string& id) {
        fetched = true;
        require(verdict.after.size() == 40, "a fetch without a commit id");
        require(is_utf8(id) && id == printable(unprintable(id)), "a delivery id that is not printable", id);
      },
      [] {
        return nlohmann::json{{"status", "ok"}, {"odd", std::string("\xff\x00\\", 3)}};
      },
      budget);

  const testing::Exchange result = testing::exchange(handler, input);

  static const std::set<int> kStatuses = {200, 202, 400, 401, 404, 405, 411, 413, 503};
  require(kStatuses.count(result.answer.status) == 1, "an unexpected status", result.wire);
  require(is_utf8(result.wire), "an answer that is not UTF-8", printable(result.wire));
  const auto body_at = result.wire.find("\r\n\r\n");
  require(body_at != std::string::npos, "an answer without a header end", printable(result.wire));
  const auto body = nlohmann::json::parse(result.wire.substr(body_at + 4), nullptr, false);
  require(!body.is_discarded() && body.is_object(), "an answer that is not a JSON object", printable(result.wire));
  require(budget.in_use() == 0, "the body budget was not given back");
  require(!fetched || (result.answer.status == 202 && input.find("sha256=") != std::string::npos),
          "a fetch without a signed push", printable(input));
  for (unsigned char c : log_text().str())
    require(c >= 0x20 || c == '\n', "a control character in the log", printable(log_text().str()));
  require(is_utf8(log_text().str()), "a log line that is not UTF-8", printable(log_text().str()));
  return 0;
}
