#include "gitstore/lfs_attributes.hpp"

#include <fnmatch.h>

namespace histfs::gitstore {
namespace {

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool segment_matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// Pattern components from `p` on against path components from `n` on; `**` spans any number.
bool components_match(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& path,
                      size_t n) {
  for (; p < pattern.size(); ++p, ++n) {
    if (pattern[p] == "**") {
      if (p + 1 == pattern.size()) return n < path.size();  // "a/**": everything inside a
      for (size_t skip = n; skip <= path.size(); ++skip)
        if (components_match(pattern, p + 1, path, skip)) return true;
      return false;
    }
    if (n >= path.size() || !segment_matches(pattern[p], path[n])) return false;
  }
  return n == path.size();
}

std::string_view trim_end(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

// Splits a line into its pattern and attribute words (a quoted pattern is not supported: skipped).
std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

std::string unescape(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.substr(i).starts_with("[[:space:]]")) {
      out += ' ';
      i += 10;
    } else if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out += pattern[++i];
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& default_lfs_track() {
  static const std::vector<std::string> patterns = {"*.png",  "*.jpg", "*.jpeg", "*.gif", "*.webp", "*.heic",
                                                    "*.pdf",  "*.mp3", "*.m4a",  "*.wav", "*.mp4",  "*.mov",
                                                    "*.webm", "*.zip", "*.gz",   "*.7z"};
  return patterns;
}

bool attribute_pattern_matches(std::string_view pattern, std::string_view path) {
  if (pattern.empty() || pattern.back() == '/') return false;  // a folder-only pattern names no file
  const bool anchored = pattern.front() == '/';
  if (anchored) pattern.remove_prefix(1);
  const std::vector<std::string> names = split(path, '/');
  if (!anchored && pattern.find('/') == std::string_view::npos)
    return segment_matches(std::string(pattern), names.back());
  return components_match(split(pattern, '/'), 0, names, 0);
}

std::string exact_path_pattern(std::string_view path) {
  std::string out = "/";
  for (char c : path) {
    if (c == ' ')
      out += "[[:space:]]";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "";  // no line can name it
    else if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

LfsAttributes::LfsAttributes(std::string_view text) {
  for (const auto& raw : split(text, '\n')) {
    const auto words = words_of(trim_end(raw));
    if (words.size() < 2 || words[0].starts_with("#") || words[0].starts_with("\"") || words[0].starts_with("!"))
      continue;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& word = words[i];
      if (word == "filter=lfs")
        lines_.push_back({words[0], true});
      else if (word.starts_with("filter=") || word == "-filter" || word == "!filter" || word == "filter")
        lines_.push_back({words[0], false});
    }
  }
}

bool LfsAttributes::is_lfs(std::string_view path) const {
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it)
    if (attribute_pattern_matches(it->pattern, path)) return it->lfs;
  return false;
}

std::set<std::string> managed_lfs_paths(std::string_view text) {
  std::set<std::string> paths;
  bool inside = false;
  for (const auto& raw : split(text, '\n')) {
    const std::string_view line = trim_end(raw);
    if (line == kLfsBlockBegin) inside = true;
    if (line == kLfsBlockEnd) inside = false;
    if (!inside || !line.starts_with("/")) continue;
    const auto words = words_of(line);
    if (!words.empty()) paths.insert(unescape(std::string_view(words[0]).substr(1)));
  }
  return paths;
}

std::string with_lfs_block(std::string_view text, const std::vector<std::string>& patterns,
                           const std::set<std::string>& paths) {
  std::string block;
  if (!patterns.empty() || !paths.empty()) {
    block = std::string(kLfsBlockBegin) + "\n";
    for (const auto& pattern : patterns) block += pattern + " " + std::string(kLfsAttributes) + "\n";
    for (const auto& path : paths) {
      const std::string pattern = exact_path_pattern(path);
      if (!pattern.empty()) block += pattern + " " + std::string(kLfsAttributes) + "\n";
    }
    block += std::string(kLfsBlockEnd) + "\n";
  }
  std::string out, held;  // held: the lines of a block not yet known to end
  bool inside = false, placed = false;
  auto lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the text's final newline
  for (const auto& line : lines) {
    if (!inside && !placed && trim_end(line) == kLfsBlockBegin) {
      inside = true;
      continue;
    }
    if (inside) {
      if (trim_end(line) == kLfsBlockEnd) {
        inside = false;
        held.clear();
        out += block;
        placed = true;
      } else {
        held += line + "\n";
      }
      continue;
    }
    out += line + "\n";
  }
  out += held;  // a begin marker without its end: what followed it is the user's
  if (!placed) out += block;
  return out;
}

}  // namespace histfs::gitstore
