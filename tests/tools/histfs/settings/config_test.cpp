#include "tools/histfs/settings/config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

using namespace histfs::settings;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using std::chrono::milliseconds;

namespace {

// The message of the ConfigError `action` throws; fails the test if it throws nothing.
template <typename Action>
std::string config_error(Action action) {
  try {
    action();
  } catch (const ConfigError& error) {
    return error.what();
  }
  FAIL("no ConfigError thrown");
  return {};
}

std::string parse_error(const std::string& text) {
  return config_error([&] { parse_config_json(text, "cfg.json"); });
}

// Every key set to something other than its default.
const char* const kEveryKey = R"({
  "git": {
    "enabled": false,
    "repo": "https://github.com/owner/notes.git",
    "dir": "/srv/git/notes.git",
    "commitQuiet": "1500ms",
    "commitMaxDelay": "1m",
    "autoPushInterval": "10s",
    "fetchInterval": "1h",
    "networkTimeout": "20s",
    "allowNonFF": true,
    "lfs": { "sizeThreshold": "1MB", "track": ["*.png", "*.pdf"] },
    "maxDelete": 0,
    "authors": { "1000": "Ann Lee <ann@example.com>", "bob": "Bob <bob@example.com>" },
    "committer": { "name": "Notes Bot", "email": "bot@example.com" },
    "gc": { "looseObjects": 500 },
    "ignore": ["*.tmp", "build/"],
    "caFile": "/etc/ssl/own-ca.pem",
    "webhook": { "listen": "0.0.0.0:9000", "secretFile": "/etc/histfs/secret", "repository": "owner/notes",
                 "tlsCert": "/etc/histfs/cert.pem", "tlsKey": "/etc/histfs/key.pem" },
    "github": { "appId": "12345", "installationId": "67890", "privateKeyFile": "/etc/histfs/app.pem",
                "apiUrl": "https://ghe.example.com/api/v3" },
    "metrics": { "listen": "127.0.0.1:9464" }
  },
  "log": { "level": "debug", "file": "/var/log/histfs.log", "format": "json" }
})";

}  // namespace

TEST_CASE("parse_duration reads numbers with units", "[config]") {
  CHECK(parse_duration("5s") == milliseconds(5000));
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("2m") == milliseconds(120000));
  CHECK(parse_duration("1h") == milliseconds(3600000));
  CHECK(parse_duration("1.5s") == milliseconds(1500));
  CHECK(parse_duration("0.25m") == milliseconds(15000));
  CHECK(parse_duration(" 3 s ") == milliseconds(3000));
  CHECK(parse_duration("0s") == milliseconds(0));  // the range is the config's business, not the parser's

  for (const char* junk : {"", " ", "fast", "5", "s", "-5s", "+5s", "5x", "5sec", "1.s", ".5s", "1.5.5s", "5s5",
                           "0.5ms", "1.0001s", "99999999999999999999h", "9999999999999ms", "3000000h"}) {
    INFO(junk);
    CHECK_THROWS_AS(parse_duration(junk), std::invalid_argument);
  }
  CHECK_THROWS_WITH(parse_duration("-5s"), Contains("negative"));
  CHECK_THROWS_WITH(parse_duration("5"), Contains("missing unit"));
  CHECK_THROWS_WITH(parse_duration("5x"), Contains("unknown unit \"x\""));
  CHECK_THROWS_WITH(parse_duration("0.5ms"), Contains("whole number of milliseconds"));
  CHECK_THROWS_WITH(parse_duration("3000000h"), Contains("too large"));
}

TEST_CASE("format_duration picks the largest exact unit", "[config]") {
  CHECK(format_duration(milliseconds(2000)) == "2s");
  CHECK(format_duration(milliseconds(500)) == "500ms");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(300000)) == "5m");
  CHECK(format_duration(milliseconds(90000)) == "90s");
  CHECK(format_duration(milliseconds(7200000)) == "2h");
  CHECK(format_duration(milliseconds(0)) == "0ms");
  for (long long count : {1LL, 999LL, 1000LL, 61000LL, 3600001LL, 86400000LL})
    CHECK(parse_duration(format_duration(milliseconds(count))) == milliseconds(count));
}

TEST_CASE("parse_size reads bytes and binary units", "[config]") {
  CHECK(parse_size("123") == 123);
  CHECK(parse_size("0") == 0);
  CHECK(parse_size("10MB") == 10485760);  // as the seed: MB means MiB
  CHECK(parse_size("10MiB") == 10485760);
  CHECK(parse_size("10mb") == 10485760);
  CHECK(parse_size("512KB") == 524288);
  CHECK(parse_size("1GB") == 1073741824);
  CHECK(parse_size("2TiB") == 2199023255552);
  CHECK(parse_size("1.5KB") == 1536);
  CHECK(parse_size("64B") == 64);
  CHECK(parse_size("10 MB") == 10485760);
  CHECK(parse_size("18446744073709551615") == 18446744073709551615ULL);

  for (const char* junk : {"", "MB", "-1MB", "-1", "10XB", "1.5", "0.1KB", "ten", "1e6", "18446744073709551616",
                           "16777216TB", "1.0000000000000000001KB"}) {
    INFO(junk);
    CHECK_THROWS_AS(parse_size(junk), std::invalid_argument);
  }
  CHECK_THROWS_WITH(parse_size("16777216TB"), Contains("too large"));
  CHECK_THROWS_WITH(parse_size("0.1KB"), Contains("whole number of bytes"));
}

TEST_CASE("defaults", "[config]") {
  const Config config;
  CHECK(config.git.enabled);
  CHECK(config.git.repo.empty());
  CHECK(config.git.dir.empty());
  CHECK(config.git.commit_quiet == milliseconds(2000));
  CHECK(config.git.commit_max_delay == milliseconds(5000));
  CHECK(config.git.auto_push_interval == milliseconds(5000));
  CHECK(config.git.fetch_interval == milliseconds(300000));
  CHECK(config.git.network_timeout == milliseconds(60000));
  CHECK_FALSE(config.git.allow_non_ff);
  CHECK(config.git.lfs_size_threshold == 10485760);
  CHECK(config.git.lfs_track == histfs::gitstore::default_lfs_track());
  CHECK(config.git.max_delete == 100);
  CHECK(config.git.ignore.empty());
  CHECK(config.log.level == "info");
  CHECK(config.log.file.empty());
  CHECK_NOTHROW(validate(config));

  CHECK(parse_config_json("{}", "cfg.json") == config);
  CHECK(parse_config_json(R"({"git": {"lfs": {}}, "log": {}})", "cfg.json") == config);
}

TEST_CASE("webhook settings are checked", "[config]") {
  CHECK_THROWS_WITH(parse_config_json(R"({"git": {"webhook": {"listen": "8765"}}})", "cfg.json"),
                    Catch::Contains("git.webhook.listen"));
  CHECK_THROWS_WITH(parse_config_json(R"({"git": {"webhook": {"listen": "h:99999"}}})", "cfg.json"),
                    Catch::Contains("git.webhook.listen"));
  CHECK_THROWS_WITH(parse_config_json(R"({"git": {"webhook": {"secretFile": "rel/secret"}}})", "cfg.json"),
                    Catch::Contains("git.webhook.secretFile"));
  CHECK_THROWS_WITH(parse_config_json(R"({"git": {"webhook": {"tlsCert": "/c.pem"}}})", "cfg.json"),
                    Catch::Contains("git.webhook.tlsKey"));
}

TEST_CASE("the seed's sample config parses", "[config]") {
  const Config config = parse_config_json(R"({
    "git": {
      "enabled": true,
      "repo": "https://github.com/owner/repo.git",
      "autoPushInterval": "5s",
      "allowNonFF": false,
      "lfs": { "sizeThreshold": 10485760 }
    }
  })",
                                          "seed.json");
  CHECK(config.git.repo == "https://github.com/owner/repo.git");
  CHECK(config.git.auto_push_interval == milliseconds(5000));
  CHECK(config.git.lfs_size_threshold == 10485760);
}

TEST_CASE("every key is parsed", "[config]") {
  const Config config = parse_config_json(kEveryKey, "cfg.json");
  CHECK_FALSE(config.git.enabled);
  CHECK(config.git.repo == "https://github.com/owner/notes.git");
  CHECK(config.git.dir == "/srv/git/notes.git");
  CHECK(config.git.commit_quiet == milliseconds(1500));
  CHECK(config.git.commit_max_delay == milliseconds(60000));
  CHECK(config.git.auto_push_interval == milliseconds(10000));
  CHECK(config.git.fetch_interval == milliseconds(3600000));
  CHECK(config.git.network_timeout == milliseconds(20000));
  CHECK(config.git.allow_non_ff);
  CHECK(config.git.lfs_size_threshold == 1048576);
  CHECK(config.git.lfs_track == std::vector<std::string>{"*.png", "*.pdf"});
  CHECK(config.git.max_delete == 0);
  CHECK(config.git.ignore == std::vector<std::string>{"*.tmp", "build/"});
  CHECK(config.log.level == "debug");
  CHECK(config.log.file == "/var/log/histfs.log");
  CHECK(config.git.ca_file == "/etc/ssl/own-ca.pem");
  CHECK(config.git.webhook_listen == "0.0.0.0:9000");
  CHECK(config.git.webhook_secret_file == "/etc/histfs/secret");
  CHECK(config.git.webhook_repository == "owner/notes");
  CHECK(config.git.webhook_tls_cert == "/etc/histfs/cert.pem");
  CHECK(config.git.webhook_tls_key == "/etc/histfs/key.pem");
  CHECK(config.git.authors.at("1000") == "Ann Lee <ann@example.com>");
  CHECK(config.git.committer_name == "Notes Bot");
  CHECK(config.git.committer_email == "bot@example.com");
  CHECK(config.git.gc_loose_objects == 500);
  CHECK(config.git.github_app_id == "12345");
  CHECK(config.git.github_installation_id == "67890");
  CHECK(config.git.github_private_key_file == "/etc/histfs/app.pem");
  CHECK(config.git.github_api_url == "https://ghe.example.com/api/v3");
  CHECK(config.git.metrics_listen == "127.0.0.1:9464");
  CHECK(config.log.format == "json");

  // The sample really covers the whole table: each key differs from its default.
  for (const auto& [name, description] : config_keys()) {
    INFO(name);
    CHECK_FALSE(description.empty());
    CHECK(get_setting(config, name) != get_setting(Config{}, name));
  }
}

TEST_CASE("accepted values for the remote and paths", "[config]") {
  for (const char* repo :
       {"", "https://github.com/o/r.git", "http://localhost:8080/r.git", "file:///srv/r.git", "/srv/r.git"}) {
    INFO(repo);
    Config config;
    CHECK_NOTHROW(apply_setting(config, "git.repo", repo));
    CHECK(config.git.repo == repo);
  }
  for (const char* level : {"trace", "debug", "info", "warn", "error", "off"}) {
    Config config;
    CHECK_NOTHROW(apply_setting(config, "log.level", level));
  }
}

TEST_CASE("every bad value names its key", "[config]") {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"git": {"enabled": "yes"}})", "git.enabled"},
      {R"({"git": {"enabled": 1}})", "git.enabled"},
      {R"({"git": {"repo": 5}})", "git.repo"},
      {R"({"git": {"repo": "git@github.com:o/r.git"}})", "git.repo"},
      {R"({"git": {"repo": "relative/path"}})", "git.repo"},
      {R"({"git": {"repo": "ftp://host/r.git"}})", "git.repo"},
      {R"({"git": {"repo": "https://"}})", "git.repo"},
      {R"({"git": {"repo": "file://relative"}})", "git.repo"},
      {R"({"git": {"repo": "/srv/r.git\n"}})", "git.repo"},
      {R"({"git": {"dir": "relative.git"}})", "git.dir"},
      {R"({"git": {"dir": null}})", "git.dir"},
      {R"({"git": {"commitQuiet": "fast"}})", "git.commitQuiet"},
      {R"({"git": {"commitQuiet": 2000}})", "git.commitQuiet"},
      {R"({"git": {"commitQuiet": "0s"}})", "git.commitQuiet"},
      {R"({"git": {"commitQuiet": "-1s"}})", "git.commitQuiet"},
      {R"({"git": {"commitMaxDelay": "200h"}})", "git.commitMaxDelay"},
      {R"({"git": {"commitMaxDelay": true}})", "git.commitMaxDelay"},
      {R"({"git": {"autoPushInterval": "5"}})", "git.autoPushInterval"},
      {R"({"git": {"autoPushInterval": ["5s"]}})", "git.autoPushInterval"},
      {R"({"git": {"fetchInterval": "1d"}})", "git.fetchInterval"},
      {R"({"git": {"networkTimeout": "0s"}})", "git.networkTimeout"},
      {R"({"git": {"allowNonFF": "false"}})", "git.allowNonFF"},
      {R"({"git": {"lfs": {"sizeThreshold": -1}}})", "git.lfs.sizeThreshold"},
      {R"({"git": {"lfs": {"sizeThreshold": 1.5}}})", "git.lfs.sizeThreshold"},
      {R"({"git": {"lfs": {"sizeThreshold": "10XB"}}})", "git.lfs.sizeThreshold"},
      {R"({"git": {"lfs": {"sizeThreshold": 0}}})", "git.lfs.sizeThreshold"},
      {R"({"git": {"lfs": {"track": "*.png"}}})", "git.lfs.track"},
      {R"({"git": {"lfs": {"track": ["*.png", 5]}}})", "git.lfs.track"},
      {R"({"git": {"lfs": {"track": [""]}}})", "git.lfs.track"},
      {R"({"git": {"lfs": {"track": ["!*.png"]}}})", "git.lfs.track"},
      {R"({"git": {"lfs": {"track": ["my file.png"]}}})", "git.lfs.track"},
      {R"({"git": {"lfs": 5}})", "git.lfs"},
      {R"({"git": {"maxDelete": -1}})", "git.maxDelete"},
      {R"({"git": {"maxDelete": 1.5}})", "git.maxDelete"},
      {R"({"git": {"maxDelete": "100"}})", "git.maxDelete"},
      {R"({"git": {"maxDelete": 3000000000}})", "git.maxDelete"},
      {R"({"git": {"maxDelete": 18446744073709551615}})", "git.maxDelete"},
      {R"({"git": {"ignore": {"a": 1}}})", "git.ignore"},
      {R"({"git": {"ignore": ["# note"]}})", "git.ignore"},
      {R"({"git": {"ignore": ["a\nb"]}})", "git.ignore"},
      {R"({"git": "on"})", "git"},
      {R"({"log": {"level": "verbose"}})", "log.level"},
      {R"({"log": {"level": "INFO"}})", "log.level"},
      {R"({"log": {"file": "histfs.log"}})", "log.file"},
      {R"({"log": {"file": false}})", "log.file"},
      {R"({"log": []})", "log"},
  };
  for (const auto& [text, key] : cases) {
    INFO(text);
    const std::string message = parse_error(text);
    CHECK_THAT(message, Contains(std::string("cfg.json: ") + key + ": "));
  }
}

TEST_CASE("bad value messages say what was expected", "[config]") {
  CHECK_THAT(parse_error(R"({"git": {"commitQuiet": "fast"}})"),
             Equals(R"(cfg.json: git.commitQuiet: expected a duration like 2s or 500ms, got "fast")"));
  CHECK_THAT(parse_error(R"({"git": {"commitQuiet": 2000}})"),
             Equals(R"(cfg.json: git.commitQuiet: expected a duration like 2s or 500ms, got the number 2000 )"
                    R"((write "2000ms" or "2000s"))"));
  CHECK_THAT(parse_error(R"({"git": {"autoPushInterval": "5"}})"), Contains("missing unit"));
  CHECK_THAT(parse_error(R"({"git": {"commitQuiet": "0s"}})"), Contains("must be greater than 0, got 0ms"));
  CHECK_THAT(parse_error(R"({"git": {"enabled": "yes"}})"),
             Equals(R"(cfg.json: git.enabled: expected true or false, got "yes")"));
  CHECK_THAT(parse_error(R"({"git": {"maxDelete": "100"}})"),
             Equals(R"(cfg.json: git.maxDelete: expected a non-negative integer, got "100")"));
  CHECK_THAT(parse_error(R"({"git": {"lfs": {"track": ["*.png", 5]}}})"),
             Equals("cfg.json: git.lfs.track: expected a list of strings, but item 2 is 5"));
  CHECK_THAT(parse_error(R"({"git": {"lfs": 5}})"), Equals("cfg.json: git.lfs: expected an object, got 5"));
  CHECK_THAT(parse_error(R"({"log": {"level": "verbose"}})"),
             Equals(R"(cfg.json: log.level: expected one of trace, debug, info, warn, error, off, got "verbose")"));
}

TEST_CASE("credentials in the remote URL are refused without echoing them", "[config]") {
  for (const char* url : {"https://user:s3cr3t@github.com/o/r.git", "https://s3cr3t@github.com/o/r.git"}) {
    INFO(url);
    const std::string message = parse_error(std::string(R"({"git": {"repo": ")") + url + "\"}}");
    CHECK_THAT(message, Contains("git.repo: must not contain credentials"));
    CHECK_THAT(message, !Contains("s3cr3t"));
  }
}

TEST_CASE("unknown keys are errors with a suggestion", "[config]") {
  CHECK_THAT(parse_error(R"({"git": {"comitQuiet": "2s"}})"),
             Equals("cfg.json: unknown config key git.comitQuiet (did you mean git.commitQuiet?)"));
  CHECK_THAT(parse_error(R"({"git": {"allownonff": true}})"), Contains("(did you mean git.allowNonFF?)"));
  CHECK_THAT(parse_error(R"({"git": {"lfs": {"sizeTreshold": 5}}})"),
             Contains("unknown config key git.lfs.sizeTreshold (did you mean git.lfs.sizeThreshold?)"));
  CHECK_THAT(parse_error(R"({"gti": {}})"), Contains("unknown config key gti (did you mean git?)"));
  // Far from every known key: no guess.
  CHECK_THAT(parse_error(R"({"git": {"banana": 1}})"), Equals("cfg.json: unknown config key git.banana"));
  CHECK_THAT(parse_error(R"({"foo": 1})"), Equals("cfg.json: unknown config key foo"));
  CHECK_THAT(parse_error(R"({"log": {"jsonEvents": true}})"), Contains("unknown config key log.jsonEvents"));
  // A leaf is not a section.
  CHECK_THAT(parse_error(R"({"git": {"enabled": {"x": 1}}})"), Contains("git.enabled: expected true or false"));
  // Dotted names in the file: right key, wrong shape.
  CHECK_THAT(parse_error(R"({"git.commitQuiet": "2s"})"),
             Equals(R"(cfg.json: config key git.commitQuiet must be nested, like {"git": {"commitQuiet": ...}})"));
  CHECK_THAT(parse_error(R"({"git": {"lfs.track": []}})"), Contains(R"(like {"git": {"lfs": {"track": ...}}})"));
}

TEST_CASE("bad JSON", "[config]") {
  CHECK_THAT(parse_error("{\n  \"git\": {\n    \"enabled\": true,\n  }\n}"),
             Contains("cfg.json: invalid JSON: parse error at line 4, column 3"));
  CHECK_THAT(parse_error(""), Contains("cfg.json: invalid JSON"));
  CHECK_THAT(parse_error("{\"git\": {}} trailing"), Contains("cfg.json: invalid JSON"));
  CHECK_THAT(parse_error("{\"git\": {\"maxDelete\": 1e999}}"), Contains("cfg.json: "));
  CHECK_THAT(parse_error("[1, 2]"), Equals("cfg.json: the top level must be a JSON object, got an array"));
  CHECK_THAT(parse_error("\"git\""), Contains("the top level must be a JSON object"));
  CHECK_THAT(parse_error("null"), Contains("the top level must be a JSON object, got null"));
  CHECK_THAT(parse_error(R"({"git": {"maxDelete": 1, "maxDelete": 2}})"),
             Equals("cfg.json: duplicate config key git.maxDelete"));
  CHECK_THAT(parse_error(R"({"log": {}, "log": {}})"), Equals("cfg.json: duplicate config key log"));
  CHECK_THAT(parse_error(R"({"git": {"ignore": [{"a": 1, "a": 2}]}})"),
             Equals("cfg.json: duplicate config key git.ignore[].a"));
}

TEST_CASE("config files", "[config]") {
  histfs::test::TempDir dir;

  const auto missing = (dir / "missing.json").string();
  CHECK_THAT(config_error([&] { load_config_file(missing); }),
             Equals("cannot read config file " + missing + ": No such file or directory"));
  CHECK_THAT(config_error([&] { load_config_file(dir.path().string()); }),
             Contains("cannot read config file " + dir.path().string() + ": Is a directory"));

  const auto good = (dir / "histfs.json").string();
  histfs::test::write_file(good, kEveryKey);
  CHECK(load_config_file(good) == parse_config_json(kEveryKey, "x"));

  // Errors inside a file name the file.
  const auto bad = (dir / "bad.json").string();
  histfs::test::write_file(bad, R"({"git": {"commitQuiet": "fast"}})");
  CHECK_THAT(config_error([&] { load_config_file(bad); }), Contains(bad + ": git.commitQuiet: "));

  const auto huge = (dir / "huge.json").string();
  histfs::test::write_file(huge, "{\"git\": {}}" + std::string(2 << 20, ' '));
  CHECK_THAT(config_error([&] { load_config_file(huge); }), Contains("is larger than"));
}

TEST_CASE("to_json round-trips", "[config]") {
  const Config config = parse_config_json(kEveryKey, "cfg.json");
  const nlohmann::json document = to_json(config);
  CHECK(document["git"]["commitQuiet"] == "1500ms");
  CHECK(document["git"]["commitMaxDelay"] == "1m");
  CHECK(document["git"]["fetchInterval"] == "1h");
  CHECK(document["git"]["lfs"]["sizeThreshold"] == 1048576);
  CHECK(document["git"]["lfs"]["track"] == nlohmann::json({"*.png", "*.pdf"}));
  CHECK(document["log"]["level"] == "debug");
  CHECK(parse_config_json(document.dump(2), "round trip") == config);

  const nlohmann::json defaults = to_json(Config{});
  CHECK(defaults["git"]["commitQuiet"] == "2s");
  CHECK(defaults["git"]["autoPushInterval"] == "5s");
  CHECK(defaults["git"]["fetchInterval"] == "5m");
  CHECK(parse_config_json(defaults.dump(), "defaults") == Config{});
}

TEST_CASE("apply_setting overrides one key from text", "[config]") {
  Config config = parse_config_json(R"({"git": {"autoPushInterval": "30s"}})", "cfg.json");
  apply_setting(config, "git.autoPushInterval", "5s");
  CHECK(config.git.auto_push_interval == milliseconds(5000));
  apply_setting(config, "git.lfs.sizeThreshold", "10MB");
  CHECK(config.git.lfs_size_threshold == 10485760);
  apply_setting(config, "git.lfs.sizeThreshold", "4096");
  CHECK(config.git.lfs_size_threshold == 4096);
  apply_setting(config, "git.allowNonFF", "true");
  CHECK(config.git.allow_non_ff);
  apply_setting(config, "git.enabled", "false");
  CHECK_FALSE(config.git.enabled);
  apply_setting(config, "git.maxDelete", "25");
  CHECK(config.git.max_delete == 25);
  apply_setting(config, "git.lfs.track", "*.png, *.jpg,,");
  CHECK(config.git.lfs_track == std::vector<std::string>{"*.png", "*.jpg"});
  apply_setting(config, "git.ignore", R"(["a,b", "c"])");
  CHECK(config.git.ignore == std::vector<std::string>{"a,b", "c"});
  apply_setting(config, "git.ignore", "");
  CHECK(config.git.ignore.empty());
  apply_setting(config, "log.level", "trace");
  CHECK(config.log.level == "trace");
  apply_assignment(config, "git.commitQuiet=1s");
  CHECK(config.git.commit_quiet == milliseconds(1000));
  apply_assignment(config, "git.repo=file:///srv/a=b.git");  // splits at the first '='
  CHECK(config.git.repo == "file:///srv/a=b.git");

  // Same checks and messages as the file, and a rejected value changes nothing.
  const Config before = config;
  CHECK_THAT(config_error([&] { apply_setting(config, "git.commitQuiet", "fast"); }),
             Equals(R"(git.commitQuiet: expected a duration like 2s or 500ms, got "fast")"));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.enabled", "yes"); }),
             Equals(R"(git.enabled: expected true or false, got "yes")"));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.maxDelete", "-3"); }),
             Equals("git.maxDelete: must not be negative, got -3"));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.maxDelete", "12abc"); }), Contains("git.maxDelete: "));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.lfs.track", "[1]"); }), Contains("git.lfs.track: "));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.lfs.track", "[oops"); }), Contains("git.lfs.track: "));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.autoPushIntervall", "5s"); }),
             Equals("unknown config key git.autoPushIntervall (did you mean git.autoPushInterval?)"));
  CHECK_THAT(config_error([&] { apply_setting(config, "git.lfs", "5"); }),
             Equals("git.lfs is a group of keys, not a key: set one of git.lfs.sizeThreshold, git.lfs.track"));
  CHECK_THAT(config_error([&] { apply_assignment(config, "git.enabled"); }), Contains("expected KEY=VALUE"));
  CHECK(config == before);
}

TEST_CASE("get_setting gives text that apply_setting takes back", "[config]") {
  const Config config = parse_config_json(kEveryKey, "cfg.json");
  CHECK(get_setting(config, "git.commitQuiet") == "1500ms");
  CHECK(get_setting(config, "git.enabled") == "false");
  CHECK(get_setting(config, "git.repo") == "https://github.com/owner/notes.git");
  CHECK(get_setting(config, "git.lfs.track") == R"(["*.png","*.pdf"])");
  CHECK(get_setting(Config{}, "git.lfs.sizeThreshold") == "10485760");
  CHECK_THROWS_AS(get_setting(config, "git.nope"), ConfigError);

  Config copy;
  for (const auto& [name, description] : config_keys()) apply_setting(copy, name, get_setting(config, name));
  CHECK(copy == config);
}

TEST_CASE("cross-key validation", "[config]") {
  CHECK_THAT(parse_error(R"({"git": {"commitQuiet": "10s"}})"),
             Equals("cfg.json: git.commitMaxDelay: must be at least git.commitQuiet (10s), got 5s"));
  CHECK_NOTHROW(parse_config_json(R"({"git": {"commitQuiet": "10s", "commitMaxDelay": "10s"}})", "cfg.json"));

  // Overrides are checked alone, so their order does not matter; validate() sees the result.
  Config config;
  apply_setting(config, "git.commitQuiet", "10s");
  CHECK_THROWS_WITH(validate(config), Contains("git.commitMaxDelay"));
  apply_setting(config, "git.commitMaxDelay", "20s");
  CHECK_NOTHROW(validate(config));

  // validate() also covers values set in code.
  const auto invalid = [](auto change) {
    Config changed;
    change(changed);
    return config_error([&] { validate(changed); });
  };
  CHECK_THAT(invalid([](Config& c) { c.git.fetch_interval = milliseconds(0); }),
             Equals("git.fetchInterval: must be greater than 0, got 0ms"));
  CHECK_THAT(invalid([](Config& c) { c.git.auto_push_interval = milliseconds(-5); }),
             Contains("git.autoPushInterval: must be greater than 0"));
  CHECK_THAT(invalid([](Config& c) { c.git.max_delete = -1; }), Contains("git.maxDelete: "));
  CHECK_THAT(invalid([](Config& c) { c.git.repo = "relative"; }), Contains("git.repo: "));
  CHECK_THAT(invalid([](Config& c) { c.log.level = "loud"; }), Contains("log.level: "));
  CHECK_THAT(invalid([](Config& c) { c.git.lfs_size_threshold = 0; }), Contains("git.lfs.sizeThreshold: "));
}

TEST_CASE("--set refuses a string that is not UTF-8, which the JSON config file could not hold", "[config]") {
  // Found by tests/fuzz/config_fuzz.cpp: git.repo=/srv/\xff.git was accepted and to_json(config).dump() threw.
  Config config;
  CHECK_THROWS_WITH(apply_assignment(config, "git.repo=/srv/\xff.git"), Contains("git.repo: must be UTF-8"));
  CHECK_THROWS_WITH(apply_assignment(config, "git.ignore=*.tmp,\xc3("), Contains("patterns must be UTF-8"));
  CHECK(config == Config{});
  apply_assignment(config, "git.repo=/srv/caf\xc3\xa9.git");
  CHECK(parse_config_json(to_json(config).dump(), "round trip") == config);
}
