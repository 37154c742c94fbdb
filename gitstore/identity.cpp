#include "gitstore/identity.hpp"

#include <mutex>

namespace histfs::gitstore {
namespace {

std::mutex identities_mutex;  // guards `identities` only; a leaf lock
Identities identities;

}  // namespace

void set_identities(Identities next) {
  std::lock_guard lock(identities_mutex);
  identities = std::move(next);
}

Identities current_identities() {
  std::lock_guard lock(identities_mutex);
  return identities;
}

Person author_for(uid_t uid, const std::string& name) {
  std::lock_guard lock(identities_mutex);
  if (auto found = identities.authors.find(std::to_string(uid)); found != identities.authors.end())
    return found->second;
  if (auto found = identities.authors.find(name); found != identities.authors.end()) return found->second;
  return {name, name + "@localhost"};
}

Person committer_identity() {
  std::lock_guard lock(identities_mutex);
  return identities.committer;
}

}  // namespace histfs::gitstore
