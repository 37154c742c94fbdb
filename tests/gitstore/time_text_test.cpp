#include "gitstore/time_text.hpp"

#include <catch2/catch.hpp>

namespace histfs::gitstore {
namespace {

TEST_CASE("instants parse in the forms users type", "[time_text]") {
  const std::int64_t ten = 1795428000;  // 2026-11-23T10:00:00Z
  CHECK(parse_instant("2026-11-23T10:00:00Z") == ten);
  CHECK(parse_instant("2026-11-23T10:00:00") == ten);
  CHECK(parse_instant("2026-11-23T10:00") == ten);
  CHECK(parse_instant("2026-11-23 10:00") == ten);
  CHECK(parse_instant("2026-11-23") == ten + 13 * 3600 + 59 * 60 + 59);  // a date alone is its end
  CHECK(format_instant(ten) == "2026-11-23T10:00:00Z");
}

TEST_CASE("malformed instants are refused", "[time_text]") {
  for (const char* bad : {"", "2026", "2026-11", "2026-13-01", "2026-02-30", "2026-11-23T25:00", "2026-11-23T10",
                          "2026-11-23T10:00:00.5Z", "yesterday", "2026-11-23X10:00", "12345678"})
    CHECK_FALSE(parse_instant(bad).has_value());
}

}  // namespace
}  // namespace histfs::gitstore
