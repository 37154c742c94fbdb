#include "gitstore/repo_path.hpp"

#include <strings.h>

#include "gitstore/printable.hpp"

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

bool is_same_or_below(std::string_view path, std::string_view dir) {
  if (dir.empty()) return true;
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
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

std::string printable_path(std::string_view path) { return printable(path); }

}  // namespace histfs::gitstore
