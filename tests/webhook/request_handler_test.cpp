#include "webhook/request_handler.hpp"

#include <catch2/catch.hpp>

#include "gitstore/printable.hpp"
#include "webhook/exchange.hpp"
#include "webhook/signature.hpp"

namespace histfs::webhook {

using gitstore::is_utf8;
namespace {

const std::string kSecret = "s3cret";
const std::string kAfter = "0123456789abcdef0123456789abcdef01234567";

struct Fixture {
  ServerOptions options;
  DeliveryJudge judge{{kSecret, "", "main"}, [](const std::string&) { return false; }};
  std::vector<std::string> fetched;  // delivery ids handed to the fetch request
  BodyBudget budget{1000};
  nlohmann::json health = {{"status", "ok"}};
  RequestHandler handler{options, judge, [this](const Verdict&, const std::string& id) { fetched.push_back(id); },
                         [this] { return health; }, budget};
};

// A POST /webhook with these extra header lines (each ending in \r\n), signed unless the lines have a signature.
std::string post(const std::string& headers, const std::string& body) {
  std::string signature;
  if (headers.find("X-Hub-Signature-256") == std::string::npos)
    signature = "X-Hub-Signature-256: sha256=" + hmac_sha256_hex(kSecret, body) + "\r\n";
  return "POST /webhook HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n" + headers + signature +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string push(const std::string& after = kAfter) {
  return R"({"ref":"refs/heads/main","after":")" + after + R"(","repository":{"full_name":"o/r"}})";
}

// The answer's JSON as a client reads it from the wire (it must be valid UTF-8 and valid JSON).
nlohmann::json answer_json(const testing::Exchange& e) {
  REQUIRE(is_utf8(e.wire));
  return nlohmann::json::parse(e.wire.substr(e.wire.find("\r\n\r\n") + 4));
}

TEST_CASE("headers that are not UTF-8 are answered and logged escaped, never thrown", "[webhook][handler]") {
  Fixture f;
  SECTION("an event that is not UTF-8") {
    auto e = testing::exchange(f.handler, post("X-GitHub-Event: \xff\xfe\tping\r\nX-GitHub-Delivery: d1\r\n", push()));
    CHECK(e.answer.status == 202);
    CHECK(answer_json(e)["message"] == "ignored event \\xff\\xfe\\x09ping");
  }
  SECTION("a delivery id that is not UTF-8, on a push that is fetched") {
    auto e = testing::exchange(f.handler, post("X-GitHub-Event: push\r\nX-GitHub-Delivery: \xc3\x28\x80\r\n", push()));
    CHECK(e.answer.status == 202);
    CHECK(answer_json(e)["message"] == "fetching 0123456789ab");
    REQUIRE(f.fetched.size() == 1);
    CHECK(f.fetched[0] == "\\xc3(\\x80");
    auto again =
        testing::exchange(f.handler, post("X-GitHub-Event: push\r\nX-GitHub-Delivery: \xc3\x28\x80\r\n", push()));
    CHECK(answer_json(again)["message"] == "duplicate delivery \\xc3(\\x80");
  }
  SECTION("a signed push with a field of the wrong type") {
    auto e = testing::exchange(f.handler, post("X-GitHub-Event: push\r\n", R"({"ref":1,"after":null})"));
    CHECK(e.answer.status == 400);
    CHECK(answer_json(e)["message"] == "push without a repository object");
  }
}

TEST_CASE("a health report that is not UTF-8 still makes a valid answer", "[webhook][handler]") {
  Fixture f;
  f.health = {{"status", "ok"}, {"conflict", "name\xff"}};
  auto e = testing::exchange(f.handler, "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
  CHECK(e.answer.status == 200);
  CHECK(answer_json(e)["conflict"] == "name\xef\xbf\xbd");
}

TEST_CASE("bodies take their share of the budget from the Content-Length, before they are read", "[webhook][handler]") {
  Fixture f;
  Parser parser;
  f.handler.prepare(parser);
  const std::string head = "POST /webhook HTTP/1.1\r\nHost: h\r\nContent-Length: 600\r\n\r\n";
  boost::beast::error_code error;
  parser.put(boost::asio::buffer(head), error);
  REQUIRE_FALSE(error);
  std::optional<BodyBudget::Hold> hold;
  CHECK_FALSE(f.handler.after_header({}, parser, hold));
  REQUIRE(hold);
  CHECK(f.budget.in_use() == 600);

  SECTION("a second body that does not fit beside it: 503, and its body is never read") {
    auto e = testing::exchange(f.handler, post("", std::string(600, ' ')));
    CHECK(e.answer.status == 503);
    CHECK_FALSE(e.body_read);
  }
  SECTION("one that fits is read and its share given back") {
    auto e = testing::exchange(f.handler, post("", std::string(400, ' ')));
    CHECK(e.answer.status == 400);  // signed, but no event
    CHECK(e.body_read);
    CHECK(f.budget.in_use() == 600);
  }
  SECTION("given back when the first is done") {
    hold.reset();
    CHECK(f.budget.in_use() == 0);
    CHECK(testing::exchange(f.handler, post("", std::string(600, ' '))).body_read);
  }
}

TEST_CASE("what is refused from the header alone", "[webhook][handler]") {
  Fixture f;
  f.options.body_limit = 100;
  CHECK(testing::exchange(f.handler, post("", std::string(101, ' '))).answer.status == 413);
  auto chunked = testing::exchange(
      f.handler, "POST /webhook HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  CHECK(chunked.answer.status == 411);
  CHECK_FALSE(chunked.body_read);
  CHECK(testing::exchange(f.handler, "GET /webhook HTTP/1.1\r\nHost: h\r\n\r\n").answer.status == 405);
  CHECK(testing::exchange(f.handler, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n").answer.status == 404);
  CHECK(testing::exchange(f.handler, "\xff\xfe garbage\r\n\r\n").answer.status == 400);
  CHECK(testing::exchange(f.handler, post("X-GitHub-Event: push\r\n", push()).substr(0, 150)).answer.status == 400);
  CHECK(f.budget.in_use() == 0);
}

}  // namespace
}  // namespace histfs::webhook
