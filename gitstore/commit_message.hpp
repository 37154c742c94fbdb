#pragma once
// What a batch changed, and the commit message that says so.
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gitstore/change_set.hpp"
#include "gitstore/path_list.hpp"
#include "gitstore/repository.hpp"

namespace histfs::gitstore {

struct ChangeSummary {
  PathList added, updated, removed;
  std::vector<std::pair<std::string, std::string>> renamed;
  size_t count() const { return added.size() + updated.size() + removed.size() + renamed.size(); }
};

// A path (or a process or user name) as git writes it with core.quotePath=true (quote.c's
// quote_c_style): unchanged unless it holds a byte below 0x20, DEL (0x7f), a double quote,
// a backslash or a byte >= 0x80; then it is written in double quotes with \a \b \t \n \v
// \f \r \" \\ for those, and every other such byte as three octal digits (\033, \177,
// \303\251 for "é"). Spaces are not quoted (as in `git diff --name-only`). A quoted text
// is one line, so a name cannot start a line of a commit message, let alone a trailer.
std::string quote_path(std::string_view path);

// "Key: value" with the value quoted as quote_path does (a commit id stays as it is).
std::string trailer(std::string_view key, std::string_view value);

// "update notes/a.md", "rename a.md to b.md", or "2 added, 1 updated in notes/"; paths quoted.
std::string summarize(const ChangeSummary& summary);

// `chore(sync): <what><summary>`, a list of the changed paths, and trailers:
//   Changed-By: <user> (uid N) via <process>   (one per actor; names quoted as paths)
//   Correlation-Id: <id>
// `subject` replaces the whole first line when not empty; `trailers` ("Key: value") go before Correlation-Id.
// Callers quote the paths they put in `subject` and `trailers` (quote_path, trailer); whatever
// they pass, a control character left in `what`, `subject` or a trailer is written escaped
// (\n, \ooo), so each stays one line and the trailer block holds exactly these trailers.
std::string commit_message(const std::string& what, const ChangeSummary& summary, const std::set<Actor>& actors,
                           const std::string& correlation_id, const std::string& subject = {},
                           const std::vector<std::string>& trailers = {});

// A random 128-bit id as 32 hex digits, to follow one batch through logs and commits.
std::string new_correlation_id();

// The author of a batch: its first actor, or the daemon itself.
Person author_of(const std::set<Actor>& actors);

// Login name of a uid, or "uid-N" when it has none.
std::string user_name(uid_t uid);

}  // namespace histfs::gitstore
