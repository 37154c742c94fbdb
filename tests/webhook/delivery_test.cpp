#include "webhook/delivery.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "webhook/signature.hpp"

namespace histfs::webhook {
namespace {

const std::string kSecret = "s3cret";
const std::string kAfter = "0123456789abcdef0123456789abcdef01234567";

Delivery signed_delivery(const std::string& event, const std::string& body, const std::string& id = "d-1",
                         const std::string& type = "application/json") {
  return {event, id, "sha256=" + hmac_sha256_hex(kSecret, body), type, body};
}

std::string push_body(const std::string& ref = "refs/heads/main", const std::string& repo = "owner/notes",
                      const std::string& after = kAfter) {
  return R"({"ref":")" + ref + R"(","before":"0000000000000000000000000000000000000000","after":")" + after +
         R"(","repository":{"full_name":")" + repo + R"(","default_branch":"main","created_at":1,"pushed_at":2}})";
}

struct Judge {
  std::string head = "ffffffffffffffffffffffffffffffffffffffff";
  DeliveryJudge judge{{kSecret, "owner/notes", "main"}, [this](const std::string& after) { return after == head; }};
};

TEST_CASE("a signed push for our branch asks for a fetch", "[webhook]") {
  Judge j;
  Verdict v = j.judge.judge(signed_delivery("push", push_body()));
  CHECK(v.status == 202);
  CHECK(v.fetch);
  CHECK(v.after == kAfter);
}

TEST_CASE("form-encoded bodies carry the same payload", "[webhook]") {
  Judge j;
  std::string encoded;
  for (char c : push_body()) {
    char hex[4];
    snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
    encoded += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : std::string(hex);
  }
  Verdict v = j.judge.judge(signed_delivery("push", "payload=" + encoded, "d-2", "application/x-www-form-urlencoded"));
  CHECK(v.status == 202);
  CHECK(v.fetch);
}

TEST_CASE("what is refused or ignored", "[webhook]") {
  Judge j;
  SECTION("missing signature") {
    Delivery d = signed_delivery("push", push_body());
    d.signature.clear();
    CHECK(j.judge.judge(d).status == 401);
  }
  SECTION("wrong signature") {
    Delivery d = signed_delivery("push", push_body());
    d.body += " ";
    CHECK(j.judge.judge(d).status == 401);
  }
  SECTION("garbage, signed") { CHECK(j.judge.judge(signed_delivery("push", "{not json")).status == 400); }
  SECTION("form body without payload") {
    CHECK(j.judge.judge(signed_delivery("push", "x=1", "d", "application/x-www-form-urlencoded")).status == 400);
  }
  SECTION("no event header") { CHECK(j.judge.judge(signed_delivery("", push_body())).status == 400); }
  SECTION("ping") {
    CHECK(j.judge.judge(signed_delivery("ping", R"({"zen":"Keep it simple.","hook_id":1})")).status == 200);
  }
  SECTION("other events") {
    Verdict v = j.judge.judge(signed_delivery("issues", R"({"action":"opened"})"));
    CHECK(v.status == 202);
    CHECK_FALSE(v.fetch);
  }
  SECTION("other branch") { CHECK_FALSE(j.judge.judge(signed_delivery("push", push_body("refs/heads/dev"))).fetch); }
  SECTION("tags") { CHECK_FALSE(j.judge.judge(signed_delivery("push", push_body("refs/tags/v1"))).fetch); }
  SECTION("other repository") {
    CHECK_FALSE(j.judge.judge(signed_delivery("push", push_body("refs/heads/main", "x/y"))).fetch);
  }
  SECTION("branch deleted") {
    CHECK_FALSE(
        j.judge.judge(signed_delivery("push", push_body("refs/heads/main", "owner/notes", std::string(40, '0'))))
            .fetch);
  }
  SECTION("our own push coming back") {
    j.head = kAfter;
    Verdict v = j.judge.judge(signed_delivery("push", push_body()));
    CHECK(v.status == 202);
    CHECK_FALSE(v.fetch);
  }
  SECTION("a delivery seen before is not done twice") {
    CHECK(j.judge.judge(signed_delivery("push", push_body(), "same")).fetch);
    Verdict again = j.judge.judge(signed_delivery("push", push_body(), "same"));
    CHECK(again.status == 202);
    CHECK_FALSE(again.fetch);
  }
  SECTION("an after that is not a commit id") {
    CHECK(j.judge.judge(signed_delivery("push", push_body("refs/heads/main", "owner/notes", "../../etc"))).status ==
          400);
  }
}

TEST_CASE("a signed push whose fields have the wrong type or are missing is a 400, never an exception", "[webhook]") {
  Judge j;
  const std::string repo = R"("repository":{"full_name":"owner/notes"})";
  const std::string after = R"("after":")" + kAfter + R"(")";
  for (const std::string& body : std::vector<std::string>{
           R"({"ref":1,)" + after + "," + repo + "}",
           R"({"ref":null,)" + after + "," + repo + "}",
           R"({"ref":["refs/heads/main"],)" + after + "," + repo + "}",
           R"({"ref":"refs/heads/main","after":null,)" + repo + "}",
           R"({"ref":"refs/heads/main","after":40,)" + repo + "}",
           R"({"ref":"refs/heads/main","after":{},)" + repo + "}",
           R"({"ref":"refs/heads/main",)" + after + R"(,"repository":[]})",
           R"({"ref":"refs/heads/main",)" + after + R"(,"repository":"owner/notes"})",
           R"({"ref":"refs/heads/main",)" + after + R"(,"repository":{"full_name":7}})",
           R"({"ref":"refs/heads/main",)" + after + R"(,"repository":{}})",
           R"({"ref":"refs/heads/main",)" + after + "}",
           R"({)" + after + "," + repo + "}",
           R"({"ref":"refs/heads/main",)" + repo + "}",
           R"({})",
       }) {
    INFO(body);
    Verdict v{0, ""};
    REQUIRE_NOTHROW(v = j.judge.judge(signed_delivery("push", body)));
    CHECK(v.status == 400);
    CHECK_FALSE(v.fetch);
    CHECK(v.message.starts_with("push without"));
  }
}

TEST_CASE("an event or delivery id that is not UTF-8 comes back printable, and JSON can hold it", "[webhook]") {
  Judge j;
  Verdict other = j.judge.judge(signed_delivery("iss\\ues\\xff\xff\xfe", R"({"action":"opened"})"));
  CHECK(other.status == 202);
  CHECK(other.message == "ignored event iss\\\\ues\\\\xff\\xff\\xfe");
  CHECK_NOTHROW(nlohmann::json{{"message", other.message}}.dump());

  CHECK(j.judge.judge(signed_delivery("push", push_body(), "id-\xc3(")).fetch);
  Verdict again = j.judge.judge(signed_delivery("push", push_body(), "id-\xc3("));
  CHECK(again.status == 202);
  CHECK(again.message == "duplicate delivery id-\\xc3(");
  CHECK_NOTHROW(nlohmann::json{{"message", again.message}}.dump());
}

TEST_CASE("form decoding", "[webhook]") {
  CHECK(form_decode("a+b%20c%2Fd") == "a b c/d");
  CHECK(form_decode("100%") == "100%");
  CHECK(form_decode("%zz") == "%zz");
}

}  // namespace
}  // namespace histfs::webhook
