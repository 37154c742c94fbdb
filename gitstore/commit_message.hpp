#pragma once
// What a batch changed, and the commit message that says so.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gitstore/change_set.hpp"
#include "gitstore/repository.hpp"

namespace histfs::gitstore {

struct ChangeSummary {
  std::vector<std::string> added, updated, removed;
  std::vector<std::pair<std::string, std::string>> renamed;
  size_t count() const { return added.size() + updated.size() + removed.size() + renamed.size(); }
};

// "update notes/a.md", "rename a.md to b.md", or "2 added, 1 updated in notes/".
std::string summarize(const ChangeSummary& summary);

// `chore(sync): <what><summary>`, a list of the changed paths, and trailers:
//   Changed-By: <user> (uid N) via <process>   (one per actor)
//   Correlation-Id: <id>
// `subject` replaces the whole first line when not empty; `trailers` ("Key: value") go before Correlation-Id.
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
