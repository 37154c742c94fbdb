#include "gitstore/time_text.hpp"

#include <cstdio>
#include <ctime>

namespace histfs::gitstore {
namespace {

bool digits(std::string_view text, size_t at, size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_instant(std::string_view text) {
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) text.remove_suffix(1);
  struct tm parts {};
  int year, month, day, hour = 23, minute = 59, second = 59;
  if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day))
    return std::nullopt;
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) || text.size() < 16 ||
        text[13] != ':' || !digits(text, 14, 2, minute))
      return std::nullopt;
    second = 0;
    if (text.size() > 16 && (text.size() != 19 || text[16] != ':' || !digits(text, 17, 2, second))) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  parts.tm_year = year - 1900;
  parts.tm_mon = month - 1;
  parts.tm_mday = day;
  parts.tm_hour = hour;
  parts.tm_min = minute;
  parts.tm_sec = second;
  const time_t seconds = timegm(&parts);
  struct tm check {};
  gmtime_r(&seconds, &check);
  if (check.tm_mday != day) return std::nullopt;  // 2026-02-31 and the like
  return std::int64_t(seconds);
}

std::string format_instant(std::int64_t seconds) {
  const time_t value = time_t(seconds);
  struct tm parts {};
  gmtime_r(&value, &parts);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace histfs::gitstore
