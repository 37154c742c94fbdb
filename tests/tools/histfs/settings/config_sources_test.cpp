#include "tools/histfs/settings/config_sources.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "support/temp_dir.hpp"

using namespace histfs::settings;
using Catch::Matchers::Contains;

TEST_CASE("keys_in_document flattens the nesting to key names", "[config]") {
  const auto names = keys_in_document(
      R"({"git": {"autoPushInterval": "5s", "lfs": {"track": []}, "authors": {"1000": "A <a@b>"}}, "log": {}})");
  CHECK(std::set<std::string>(names.begin(), names.end()) ==
        std::set<std::string>{"git.autoPushInterval", "git.lfs.track", "git.authors"});
  CHECK(names.size() == 3);
  CHECK(keys_in_document("not json").empty());
}

TEST_CASE("load_sourced_config says where every key came from", "[config]") {
  histfs::test::TempDir dir;
  const std::string file = (dir / "histfs.json").string();
  histfs::test::write_file(file, R"({"git": {"autoPushInterval": "7s", "maxDelete": 5}})");
  const SourcedConfig sourced = load_sourced_config(file, {{"git.maxDelete", "9"}, {"log.level", "debug"}});
  CHECK(sourced.file == file);
  CHECK(sourced.config.git.auto_push_interval == std::chrono::seconds(7));
  CHECK(sourced.config.git.max_delete == 9);  // the command line wins over the file
  CHECK(sourced.origins.at("git.autoPushInterval") == Origin::File);
  CHECK(sourced.origins.at("git.maxDelete") == Origin::CommandLine);
  CHECK(sourced.origins.at("log.level") == Origin::CommandLine);
  CHECK(sourced.origins.at("git.fetchInterval") == Origin::Default);
  CHECK(sourced.origins.size() == config_keys().size());
  CHECK(origin_name(Origin::CommandLine) == "command line");
  CHECK(origin_name(Origin::Set) == "set");

  const SourcedConfig none = load_sourced_config("", {});
  CHECK(none.config == Config{});
  CHECK(none.origins.at("git.autoPushInterval") == Origin::Default);
}

TEST_CASE("load_sourced_config checks as start-up does", "[config]") {
  histfs::test::TempDir dir;
  const std::string file = (dir / "histfs.json").string();
  histfs::test::write_file(file, R"({"git": {"commitQuiet": "9s"}})");
  CHECK_THROWS_WITH(load_sourced_config(file, {}), Contains("git.commitMaxDelay: must be at least git.commitQuiet"));
  histfs::test::write_file(file, "{}");
  CHECK_THROWS_WITH(load_sourced_config(file, {{"git.autoPushIntervall", "5s"}}),
                    Contains("did you mean git.autoPushInterval?"));
  CHECK_THROWS_WITH(load_sourced_config((dir / "missing.json").string(), {}), Contains("cannot read config file"));
}
