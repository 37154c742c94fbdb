// git.authors and git.committer.*: the values git accepts, the messages for the others.
#include <catch2/catch.hpp>

#include <string>

#include "tools/histfs/settings/config.hpp"

using namespace histfs::settings;
using Catch::Matchers::Contains;

namespace {

std::string set_error(const std::string& key, const std::string& value) {
  Config config;
  try {
    apply_setting(config, key, value);
  } catch (const ConfigError& error) {
    CHECK(config == Config{});  // a rejected value leaves the config as it was
    return error.what();
  }
  FAIL("no ConfigError for " << key << "=" << value);
  return {};
}

}  // namespace

TEST_CASE("parse_identity splits Name <email>", "[config]") {
  CHECK(parse_identity("Ann Lee <ann@example.com>") ==
        std::pair<std::string, std::string>{"Ann Lee", "ann@example.com"});
  CHECK(parse_identity("  Ann <a@b>  ") == std::pair<std::string, std::string>{"Ann", "a@b"});
  for (const char* bad : {"", "Ann", "<ann@example.com>", "Ann <>", "Ann <a b@c>", "Ann <a@b> more", "Ann >a@b<",
                          "A<nn <a@b>", "Ann <a@b", "Ann\n <a@b>"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_identity(bad), std::invalid_argument);
  }
}

TEST_CASE("git.authors takes a JSON object or NAME=VALUE items", "[config]") {
  Config config;
  apply_setting(config, "git.authors", R"({"1000": "Ann Lee <ann@example.com>", "bob": "Bob <bob@example.com>"})");
  CHECK(config.git.authors.size() == 2);
  CHECK(config.git.authors.at("bob") == "Bob <bob@example.com>");
  apply_setting(config, "git.authors", "1000=Ann <ann@example.com>, carol=Carol C <c@example.com>");
  CHECK(config.git.authors.at("carol") == "Carol C <c@example.com>");
  // get_setting gives a form apply_setting takes back.
  Config copy;
  apply_setting(copy, "git.authors", get_setting(config, "git.authors"));
  CHECK(copy.git.authors == config.git.authors);

  const Config parsed = parse_config_json(R"({"git": {"authors": {"0": "Root <root@example.com>"}}})", "cfg.json");
  CHECK(parsed.git.authors.at("0") == "Root <root@example.com>");
}

TEST_CASE("bad git.authors entries name the user and what is wrong", "[config]") {
  CHECK_THAT(set_error("git.authors", R"({"1000": "Ann"})"),
             Contains("git.authors: \"1000\": expected \"Name <email>\", got \"Ann\""));
  CHECK_THAT(set_error("git.authors", "ann=Ann <a b@c>"), Contains("git.authors: \"ann\": expected an e-mail"));
  CHECK_THAT(set_error("git.authors", R"({"an n": "Ann <a@b>"})"), Contains("without spaces"));
  CHECK_THAT(set_error("git.authors", R"({"1000": 5})"), Contains("expected an object of strings"));
  CHECK_THAT(set_error("git.authors", "1000"), Contains("NAME=VALUE"));
  CHECK_THAT(set_error("git.authors", R"(["Ann <a@b>"])"), Contains("git.authors"));
  CHECK_THROWS_WITH(parse_config_json(R"({"git": {"authors": {"1000": "Ann"}}})", "cfg.json"),
                    Contains("cfg.json: git.authors: \"1000\": expected \"Name <email>\""));
}

TEST_CASE("git.committer.name and .email", "[config]") {
  Config config;
  apply_setting(config, "git.committer.name", "Notes Bot");
  apply_setting(config, "git.committer.email", "bot@example.com");
  CHECK(config.git.committer_name == "Notes Bot");
  CHECK(config.git.committer_email == "bot@example.com");
  CHECK(Config{}.git.committer_name == "histfs");
  CHECK(Config{}.git.committer_email == "histfs@localhost");
  CHECK_THAT(set_error("git.committer.name", ""), Contains("git.committer.name: expected a non-empty name"));
  CHECK_THAT(set_error("git.committer.name", "Bot <x>"), Contains("without < or >"));
  CHECK_THAT(set_error("git.committer.email", "bot at example"), Contains("git.committer.email: expected an e-mail"));
}

TEST_CASE("git.gc.looseObjects is a count", "[config]") {
  Config config;
  CHECK(config.git.gc_loose_objects == 6700);
  apply_setting(config, "git.gc.looseObjects", "0");
  CHECK(config.git.gc_loose_objects == 0);
  CHECK_THAT(set_error("git.gc.looseObjects", "many"),
             Contains("git.gc.looseObjects: expected a non-negative integer"));
  CHECK_THAT(set_error("git.gc.looseObjects", "-1"), Contains("must not be negative"));
}
