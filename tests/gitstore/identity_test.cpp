#include "gitstore/identity.hpp"

#include <catch2/catch.hpp>

#include "gitstore/commit_message.hpp"

using namespace histfs::gitstore;

namespace {

// Puts the process-wide identities back as they were when the test ends.
struct RestoreIdentities {
  Identities saved = current_identities();
  ~RestoreIdentities() { set_identities(saved); }
};

}  // namespace

TEST_CASE("author_for looks up the uid, then the user name, then falls back", "[identity]") {
  RestoreIdentities restore;
  set_identities(Identities{});
  CHECK(author_for(1000, "ann").name == "ann");
  CHECK(author_for(1000, "ann").email == "ann@localhost");
  CHECK(committer_identity().name == "histfs");
  CHECK(committer_identity().email == "histfs@localhost");

  Identities identities;
  identities.authors["1000"] = {"Ann Lee", "ann@example.com"};
  identities.authors["bob"] = {"Bob B", "bob@example.com"};
  identities.committer = {"Notes Bot", "bot@example.com"};
  set_identities(identities);
  CHECK(author_for(1000, "whoever").email == "ann@example.com");
  CHECK(author_for(1001, "bob").name == "Bob B");
  CHECK(author_for(1002, "carol").email == "carol@localhost");
  CHECK(committer_identity().name == "Notes Bot");
  CHECK(current_identities() == identities);
}

TEST_CASE("author_of a batch uses the identities", "[identity]") {
  RestoreIdentities restore;
  Identities identities;
  identities.authors["0"] = {"Root Person", "root@example.com"};
  identities.committer = {"Notes Bot", "bot@example.com"};
  set_identities(identities);
  CHECK(author_of({}).name == "Notes Bot");  // no user caused it: the daemon's own commit
  CHECK(author_of({Actor{0, 1, "sh"}}).email == "root@example.com");
}
