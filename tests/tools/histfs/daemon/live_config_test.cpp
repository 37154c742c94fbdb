#include "tools/histfs/daemon/live_config.hpp"

#include <catch2/catch.hpp>

using namespace histfs;

TEST_CASE("the keys a running mount can change", "[config]") {
  for (const char* key : {"git.commitQuiet", "git.commitMaxDelay", "git.autoPushInterval", "git.fetchInterval",
                          "git.maxDelete", "git.allowNonFF", "log.level", "git.authors", "git.committer.name",
                          "git.committer.email", "git.gc.looseObjects"}) {
    INFO(key);
    CHECK(daemon::is_live_key(key));
  }
  for (const char* key : {"git.dir", "git.repo", "git.enabled", "git.ignore", "git.webhook.listen", "log.file"}) {
    INFO(key);
    CHECK_FALSE(daemon::is_live_key(key));
  }
  // Every live key is a key of the table.
  std::size_t live = 0;
  for (const auto& [key, description] : settings::config_keys()) live += daemon::is_live_key(key) ? 1 : 0;
  CHECK(live == 11);
}

TEST_CASE("identities_of reads git.authors and git.committer", "[config]") {
  settings::Config config;
  settings::apply_setting(config, "git.authors", "1000=Ann Lee <ann@example.com>");
  settings::apply_setting(config, "git.committer.name", "Bot");
  const gitstore::Identities identities = daemon::identities_of(config);
  CHECK(identities.authors.at("1000").name == "Ann Lee");
  CHECK(identities.authors.at("1000").email == "ann@example.com");
  CHECK(identities.committer.name == "Bot");
  CHECK(identities.committer.email == "histfs@localhost");
}
