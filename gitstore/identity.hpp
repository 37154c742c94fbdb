#pragma once
// Who commits are by: the author of a user's changes (git.authors maps a uid or a user name to
// "Name <email>", so a forge links the commit to an account) and the committer of every commit
// (git.committer.name/.email). Process-wide, like configure_libgit2(): the daemon sets it at
// mount and again when the keys change (daemon/live_config.cpp); commits read it.
#include <sys/types.h>

#include <algorithm>
#include <map>
#include <string>

#include "gitstore/repository.hpp"

namespace histfs::gitstore {

struct Identities {
  std::map<std::string, Person> authors;  // "1000" (a uid) or "ann" (a user name) -> the author
  Person committer{"histfs", "histfs@localhost"};

  friend bool operator==(const Identities& a, const Identities& b) {
    auto same = [](const Person& x, const Person& y) { return x.name == y.name && x.email == y.email; };
    return same(a.committer, b.committer) && a.authors.size() == b.authors.size() &&
           std::equal(a.authors.begin(), a.authors.end(), b.authors.begin(),
                      [&](const auto& x, const auto& y) { return x.first == y.first && same(x.second, y.second); });
  }
};

// Thread-safe.
void set_identities(Identities identities);
Identities current_identities();

// The author of changes made by `uid` (user name `name`): git.authors by uid first, then by
// user name; otherwise "name <name@localhost>", as before git.authors existed.
Person author_for(uid_t uid, const std::string& name);
// The committer of every commit, and the author of a commit no user caused (the daemon's own).
Person committer_identity();

}  // namespace histfs::gitstore
