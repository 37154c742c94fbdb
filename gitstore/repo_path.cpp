#include "gitstore/repo_path.hpp"

#include <strings.h>

#include <cstdio>

namespace histfs::gitstore {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

std::string parent_path(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_safe_git_name(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) return false;
  // fsck rejects ".git" in any case, and the NTFS short name of it.
  if (name.size() == 4 && strncasecmp(name.data(), ".git", 4) == 0) return false;
  if (name.size() == 5 && strncasecmp(name.data(), "git~1", 5) == 0) return false;
  return true;
}

bool is_storable_path(std::string_view path) {
  const auto parts = split_path(path);
  if (parts.front() == kHistoryDirName) return false;
  for (auto part : parts)
    if (!is_safe_git_name(part)) return false;
  return true;
}

UnsafePathError::UnsafePathError(const std::string& shown_path, const std::string& reason)
    : std::runtime_error("unsafe path \"" + shown_path + "\": " + reason), path(shown_path), why(reason) {}

void check_tree_path(std::string_view path) {
  const auto parts = split_path(path);
  if (parts.front() == kHistoryDirName)
    throw UnsafePathError(printable_path(path), "the root .history is the read-only history view");
  for (auto part : parts) {
    if (part.empty() || part == "." || part == "..")
      throw UnsafePathError(printable_path(path), "an empty, . or .. component");
    if (part.find('\0') != std::string_view::npos) throw UnsafePathError(printable_path(path), "a NUL byte");
    if (!is_safe_git_name(part)) throw UnsafePathError(printable_path(path), "a .git component");
  }
}

std::string printable_path(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  auto hex = [&](unsigned char byte) {
    char text[5];
    std::snprintf(text, sizeof text, "\\x%02x", byte);
    out += text;
  };
  for (size_t i = 0; i < path.size();) {
    const auto byte = static_cast<unsigned char>(path[i]);
    if (byte == '\\') {
      out += "\\\\";
      ++i;
    } else if (byte < 0x20 || byte == 0x7f) {
      hex(byte);
      ++i;
    } else if (byte < 0x80) {
      out += char(byte);
      ++i;
    } else {
      // A well-formed UTF-8 sequence (no overlong forms, no surrogates, <= U+10FFFF) is kept.
      size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 0;
      bool valid = length > 0 && byte <= 0xf4 && i + length <= path.size();
      for (size_t k = 1; valid && k < length; ++k) valid = (static_cast<unsigned char>(path[i + k]) & 0xc0) == 0x80;
      if (valid && length == 3) {
        const auto second = static_cast<unsigned char>(path[i + 1]);
        valid = !(byte == 0xe0 && second < 0xa0) && !(byte == 0xed && second >= 0xa0);
      }
      if (valid && length == 4) {
        const auto second = static_cast<unsigned char>(path[i + 1]);
        valid = !(byte == 0xf0 && second < 0x90) && !(byte == 0xf4 && second >= 0x90);
      }
      if (valid) {
        out.append(path.substr(i, length));
        i += length;
      } else {
        hex(byte);
        ++i;
      }
    }
  }
  return out;
}

}  // namespace histfs::gitstore
