#include "gitstore/commit_message.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <vector>

namespace histfs::gitstore {
namespace {

constexpr size_t kListedPaths = 50;
constexpr size_t kListedActors = 5;

// Identity fields may not hold angle brackets or newlines (git fsck rejects them).
std::string clean_ident(std::string text) {
  std::erase_if(text, [](char c) { return c == '<' || c == '>' || c == '\n' || c == '\r'; });
  return text.empty() ? "unknown" : text;
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// The deepest directory holding every changed path ("" when they spread over the root).
std::string common_directory(const ChangeSummary& s) {
  std::vector<const std::string*> paths;
  for (const auto* list : {&s.added, &s.updated, &s.removed})
    for (const auto& p : *list) paths.push_back(&p);
  for (const auto& [from, to] : s.renamed) {
    paths.push_back(&from);
    paths.push_back(&to);
  }
  if (paths.empty()) return "";
  std::string common = directory_of(*paths.front());
  for (const auto* p : paths)
    while (!common.empty() && p->compare(0, common.size(), common) != 0)
      common = directory_of(common.substr(0, common.size() - 1));
  return common;
}

}  // namespace

std::string summarize(const ChangeSummary& s) {
  if (s.count() == 0) return "no changes";
  if (s.count() == 1) {
    if (!s.added.empty()) return "add " + s.added.front();
    if (!s.updated.empty()) return "update " + s.updated.front();
    if (!s.removed.empty()) return "delete " + s.removed.front();
    return "rename " + s.renamed.front().first + " to " + s.renamed.front().second;
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
  if (!dir.empty()) text += " in " + dir;
  return text;
}

std::string commit_message(const std::string& what, const ChangeSummary& s, const std::set<Actor>& actors,
                           const std::string& correlation_id, const std::string& subject,
                           const std::vector<std::string>& trailers) {
  std::string message = (subject.empty() ? "chore(sync): " + what + summarize(s) : subject) + "\n";
  if (s.count() > 1) {
    std::vector<std::string> lines;
    for (const auto& p : s.added) lines.push_back("A " + p);
    for (const auto& p : s.updated) lines.push_back("M " + p);
    for (const auto& p : s.removed) lines.push_back("D " + p);
    for (const auto& [from, to] : s.renamed) lines.push_back("R " + from + " -> " + to);
    message += "\n";
    for (size_t i = 0; i < lines.size() && i < kListedPaths; ++i) message += lines[i] + "\n";
    if (lines.size() > kListedPaths) message += "... and " + std::to_string(lines.size() - kListedPaths) + " more\n";
  }
  message += "\n";
  size_t listed = 0;
  for (const auto& actor : actors) {
    if (listed++ == kListedActors) break;
    message += "Changed-By: " + clean_ident(user_name(actor.uid)) + " (uid " + std::to_string(actor.uid) + ") via " +
               clean_ident(actor.process) + "\n";
  }
  for (const auto& trailer : trailers) message += trailer + "\n";
  message += "Correlation-Id: " + correlation_id + "\n";
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
  if (actors.empty()) return {"histfs", "histfs@localhost"};
  std::string name = clean_ident(user_name(actors.begin()->uid));
  return {name, name + "@localhost"};
}

}  // namespace histfs::gitstore
