#include "gitstore/printable.hpp"

#include <random>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace histfs::gitstore {
namespace {

TEST_CASE("printable keeps printable UTF-8 and escapes everything else as \\xHH", "[gitstore][printable]") {
  CHECK(printable("push") == "push");
  CHECK(printable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  CHECK(printable("a\\b") == "a\\\\b");
  CHECK(printable("\xff\xfe") == "\\xff\\xfe");
  CHECK(printable(std::string("a\0b\n\x1b[31m\x7f", 10)) == "a\\x00b\\x0a\\x1b[31m\\x7f");
  CHECK(printable("\xc2\x85") == "\\xc2\\x85");                          // U+0085, a C1 control character
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");                          // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");                 // a UTF-16 surrogate
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");                          // truncated
  CHECK(printable("\xe2\x82\xe2\x82\xac") == "\\xe2\\x82\xe2\x82\xac");  // a bad start, then a good euro sign
  CHECK(printable("\\xff") == "\\\\xff");                                // the text \xff is not the byte 0xFF
}

TEST_CASE("printable is lossless, valid UTF-8 and safe for JSON for any bytes", "[gitstore][printable]") {
  std::mt19937 random(7);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 24, '\0');
    for (auto& b : bytes) b = static_cast<char>(random() % 4 == 0 ? "\\x\xc3\xe2\xf0"[random() % 5] : random());
    const std::string text = printable(bytes);
    INFO(nlohmann::json(text).dump());
    CHECK(is_utf8(text));
    CHECK(unprintable(text) == bytes);
    CHECK_NOTHROW(nlohmann::json{{"message", text}}.dump());
    for (unsigned char c : text) CHECK((c >= 0x20 && c != 0x7f));
  }
}

TEST_CASE("is_utf8", "[gitstore][printable]") {
  CHECK(is_utf8(""));
  CHECK(is_utf8("plain \xc3\xa9"));
  CHECK_FALSE(is_utf8("\xff"));
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace histfs::gitstore
