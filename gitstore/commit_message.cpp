#include "gitstore/commit_message.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>
#include <vector>

#include "gitstore/identity.hpp"

namespace histfs::gitstore {
namespace {

constexpr size_t kListedPaths = 50;
constexpr size_t kListedActors = 5;

// Identity fields may not hold angle brackets or newlines (git fsck rejects them).
std::string clean_ident(std::string text) {
  std::erase_if(text, [](char c) { return c == '<' || c == '>' || c == '\n' || c == '\r'; });
  return text.empty() ? "unknown" : text;
}

// git's cq_lookup (quote.c): the letter of a byte's escape, 1 for an octal escape, 0 for none.
char escape_of(unsigned char c) {
  switch (c) {
    case '\a':
      return 'a';
    case '\b':
      return 'b';
    case '\t':
      return 't';
    case '\n':
      return 'n';
    case '\v':
      return 'v';
    case '\f':
      return 'f';
    case '\r':
      return 'r';
    case '"':
      return '"';
    case '\\':
      return '\\';
    default:
      return c < 0x20 || c >= 0x7f ? 1 : 0;
  }
}

void append_escaped(std::string& out, unsigned char c, char escape) {
  out += '\\';
  if (escape != 1) {
    out += escape;
    return;
  }
  out += char('0' + ((c >> 6) & 7));
  out += char('0' + ((c >> 3) & 7));
  out += char('0' + (c & 7));
}

// One line whatever the caller passed: control characters (below 0x20, DEL) escaped as git
// would escape them, every other byte as it is. Text already quoted has none, so stays as it is.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f)
      append_escaped(out, c, escape_of(c));
    else
      out += char(c);
  }
  return out;
}

std::string_view directory_of(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? "" : path.substr(0, slash + 1);
}

// The deepest directory holding every changed path ("" when they spread over the root).
std::string common_directory(const ChangeSummary& s) {
  std::optional<std::string_view> common;
  auto narrow = [&](std::string_view path) {
    if (!common) common = directory_of(path);
    while (!common->empty() && !path.starts_with(*common))
      *common = directory_of(common->substr(0, common->size() - 1));
  };
  for (const auto* list : {&s.added, &s.updated, &s.removed})
    for (std::string_view p : *list) narrow(p);
  for (const auto& [from, to] : s.renamed) {
    narrow(from);
    narrow(to);
  }
  return common ? std::string(*common) : "";
}

}  // namespace

std::string quote_path(std::string_view path) {
  if (std::none_of(path.begin(), path.end(), [](unsigned char c) { return escape_of(c) != 0; }))
    return std::string(path);
  std::string out = "\"";
  for (unsigned char c : path) {
    if (const char escape = escape_of(c))
      append_escaped(out, c, escape);
    else
      out += char(c);
  }
  out += '"';
  return out;
}

std::string trailer(std::string_view key, std::string_view value) {
  return std::string(key) + ": " + quote_path(value);
}

std::string summarize(const ChangeSummary& s) {
  if (s.count() == 0) return "no changes";
  if (s.count() == 1) {
    if (!s.added.empty()) return "add " + quote_path(s.added.front());
    if (!s.updated.empty()) return "update " + quote_path(s.updated.front());
    if (!s.removed.empty()) return "delete " + quote_path(s.removed.front());
    return "rename " + quote_path(s.renamed.front().first) + " to " + quote_path(s.renamed.front().second);
  }
  std::string text;
  auto part = [&](size_t n, const char* what) {
    if (n == 0) return;
    if (!text.empty()) text += ", ";
    text += std::to_string(n) + " " + what;
  };
  part(s.added.size(), "added");
  part(s.updated.size(), "updated");
  part(s.removed.size(), "deleted");
  part(s.renamed.size(), "renamed");
  const std::string dir = common_directory(s);
  if (!dir.empty()) text += " in " + quote_path(dir);
  return text;
}

std::string commit_message(const std::string& what, const ChangeSummary& s, const std::set<Actor>& actors,
                           const std::string& correlation_id, const std::string& subject,
                           const std::vector<std::string>& trailers) {
  std::string message = one_line(subject.empty() ? "chore(sync): " + what + summarize(s) : subject) + "\n";
  if (s.count() > 1) {
    // Only the lines shown are formatted: an import lists a million paths in `s`.
    message += "\n";
    size_t lines = 0;
    auto line = [&](const auto& text) {
      if (lines++ < kListedPaths) message += text() + "\n";
    };
    for (const auto& p : s.added) line([&] { return "A " + quote_path(p); });
    for (const auto& p : s.updated) line([&] { return "M " + quote_path(p); });
    for (const auto& p : s.removed) line([&] { return "D " + quote_path(p); });
    for (const auto& rename : s.renamed)
      line([&] { return "R " + quote_path(rename.first) + " -> " + quote_path(rename.second); });
    if (lines > kListedPaths) message += "... and " + std::to_string(lines - kListedPaths) + " more\n";
  }
  message += "\n";
  size_t listed = 0;
  for (const auto& actor : actors) {
    if (listed++ == kListedActors) break;
    message += "Changed-By: " + quote_path(user_name(actor.uid)) + " (uid " + std::to_string(actor.uid) + ") via " +
               quote_path(actor.process) + "\n";
  }
  for (const auto& line : trailers) message += one_line(line) + "\n";
  message += "Correlation-Id: " + one_line(correlation_id) + "\n";
  return message;
}

std::string new_correlation_id() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  char text[33];
  snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(engine()),
           static_cast<unsigned long long>(engine()));
  return text;
}

std::string user_name(uid_t uid) {
  struct passwd entry;
  struct passwd* found = nullptr;
  std::vector<char> buffer(4096);
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) return found->pw_name;
  return "uid-" + std::to_string(uid);
}

Person author_of(const std::set<Actor>& actors) {
  if (actors.empty()) return committer_identity();
  const uid_t uid = actors.begin()->uid;
  return author_for(uid, clean_ident(user_name(uid)));
}

}  // namespace histfs::gitstore
