#include "gitstore/lfs_pointer.hpp"

#include <limits>
#include <vector>

namespace histfs::gitstore {
namespace {

constexpr std::string_view kVersionLine = "version https://git-lfs.github.com/spec/v1";
// The version line of pointers written by git-lfs before 1.0; the spec still reads them.
constexpr std::string_view kOldVersionLine = "version https://hawser.github.com/spec/v1";

bool is_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + std::uint64_t(c - '0');
  }
  if (value > std::uint64_t(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return value;
}

}  // namespace

bool is_lfs_oid(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string format_lfs_pointer(const LfsPointer& pointer) {
  return std::string(kVersionLine) + "\noid sha256:" + pointer.oid + "\nsize " + std::to_string(pointer.size) + "\n";
}

std::optional<LfsPointer> parse_lfs_pointer(std::string_view blob) {
  if (blob.size() >= kLfsPointerMaxSize || blob.empty() || blob.back() != '\n') return std::nullopt;
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < blob.size();) {
    const size_t end = blob.find('\n', start);
    lines.push_back(blob.substr(start, end - start));
    start = end + 1;
  }
  if (lines.size() < 3 || (lines[0] != kVersionLine && lines[0] != kOldVersionLine)) return std::nullopt;
  std::optional<std::string> oid;
  std::optional<std::uint64_t> size;
  std::string_view previous;
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t space = lines[i].find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    const std::string_view key = lines[i].substr(0, space);
    const std::string_view value = lines[i].substr(space + 1);
    if (!is_key(key) || (i > 1 && key <= previous)) return std::nullopt;  // sorted, each once
    previous = key;
    if (key == "oid") {
      if (!value.starts_with("sha256:") || !is_lfs_oid(value.substr(7))) return std::nullopt;
      oid = std::string(value.substr(7));
    } else if (key == "size") {
      size = parse_size(value);
      if (!size) return std::nullopt;
    } else if (value.empty()) {
      return std::nullopt;
    }
  }
  if (!oid || !size) return std::nullopt;
  return LfsPointer{*oid, *size};
}

}  // namespace histfs::gitstore
