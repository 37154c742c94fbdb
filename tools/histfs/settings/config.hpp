#pragma once
// histfs settings: the JSON config file (`--config FILE`), command-line
// overrides and `histfs config get|set`. Every key lives in one table in
// config.cpp; adding a key is one line there plus its field here.
//
// File format (the appendix of the spec histfs grew from, shared/seed/):
//   { "git": { "enabled": true, "autoPushInterval": "5s",
//              "lfs": { "sizeThreshold": 10485760 } },
//     "log": { "level": "info" } }
//
// Choices worth knowing:
// - Durations are strings with a unit ("500ms", "2s", "1.5s", "2m", "1h").
//   A bare JSON number is rejected: it is ambiguous (ms or s?) and a wrong
//   guess is off by 1000x.
// - Sizes are a byte count (JSON integer, as in that spec) or a string with a
//   unit. Units are binary and case-insensitive: KB = KiB = 2^10, MB = MiB =
//   2^20, GB = GiB = 2^30, TB = TiB = 2^40, because that spec writes "10MB" as
//   10485760.
// - Unknown keys, wrong types and duplicate keys are errors, never ignored:
//   a typo must not silently leave a default in place.
// - Paths (git.dir, log.file) must be absolute: the daemon changes directory
//   when it detaches, so a relative path would mean something else later.
//   Callers turn a command-line relative path into an absolute one first.
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gitstore/lfs_attributes.hpp"

namespace histfs::settings {

// The message always names the key, e.g.
// `git.commitQuiet: expected a duration like 2s or 500ms, got "fast"`;
// errors from a file are prefixed with the file name.
struct ConfigError : std::runtime_error {
  using runtime_error::runtime_error;
};

// "5s", "500ms", "2m", "1h", "1.5s". Throws std::invalid_argument on junk, a
// missing unit, a negative value, a value finer than 1 ms, or one too large
// for std::chrono::nanoseconds (so any clock arithmetic on it is safe).
std::chrono::milliseconds parse_duration(std::string_view text);
// The shortest exact form: "2s", "500ms", "5m", "1h", "1500ms".
std::string format_duration(std::chrono::milliseconds duration);

// "123" (bytes), "512KB", "10MB", "10MiB", "1.5GB"; binary units, see above.
// Throws std::invalid_argument on junk, negative, fractional bytes, overflow.
std::uint64_t parse_size(std::string_view text);

struct GitConfig {
  bool enabled = true;                                 // git.enabled: false = plain passthrough
  std::string repo;                                    // git.repo: "", file://, http(s):// or /abs/path
  std::string dir;                                     // git.dir: "" = BACKING.git beside the backing dir
  std::chrono::milliseconds commit_quiet{2000};        // git.commitQuiet
  std::chrono::milliseconds commit_max_delay{5000};    // git.commitMaxDelay (>= commitQuiet)
  std::chrono::milliseconds auto_push_interval{5000};  // git.autoPushInterval
  std::chrono::milliseconds fetch_interval{300000};    // git.fetchInterval
  std::chrono::milliseconds network_timeout{60000};    // git.networkTimeout: connect, and no progress
  bool allow_non_ff = false;                           // git.allowNonFF
  std::uint64_t lfs_size_threshold = 10485760;         // git.lfs.sizeThreshold
  // git.lfs.track: gitattributes patterns ("*.png"); common media and archives unless set ([] = none)
  std::vector<std::string> lfs_track = gitstore::default_lfs_track();
  int max_delete = 100;                                   // git.maxDelete (>= 0)
  std::vector<std::string> ignore;                        // git.ignore: extra gitignore patterns
  std::string ca_file;                                    // git.caFile: CA bundle for an https remote
  std::string github_app_id;                              // git.github.appId: connect through this GitHub App
  std::string github_installation_id;                     // git.github.installationId
  std::string github_private_key_file;                    // git.github.privateKeyFile: the App's key (PEM, 0600)
  std::string github_api_url = "https://api.github.com";  // git.github.apiUrl (GitHub Enterprise: .../api/v3)
  std::string webhook_listen = "127.0.0.1:8765";          // git.webhook.listen
  std::string webhook_secret_file;                        // git.webhook.secretFile ("" = no webhook server)
  std::string webhook_repository;                         // git.webhook.repository: "owner/name" ("" = any)
  std::string webhook_tls_cert;                           // git.webhook.tlsCert
  std::string webhook_tls_key;                            // git.webhook.tlsKey
  std::string metrics_listen;                             // git.metrics.listen: /metrics on HOST:PORT ("" = off)
  // git.authors: uid ("1000") or user name ("ann") -> "Name <email>", the author of commits of
  // that user's changes; users not listed keep the default "user <user@localhost>".
  std::map<std::string, std::string> authors;
  std::string committer_name = "histfs";             // git.committer.name
  std::string committer_email = "histfs@localhost";  // git.committer.email
  int gc_loose_objects = 6700;                       // git.gc.looseObjects: pack above this many (0 = never)

  friend bool operator==(const GitConfig&, const GitConfig&) = default;
};

struct LogConfig {
  std::string level = "info";   // log.level: trace|debug|info|warn|error|off
  std::string file;             // log.file: also log here ("" = stderr only)
  std::string format = "text";  // log.format: text | json (one object a line, with the events' fields)

  friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct Config {
  GitConfig git;
  LogConfig log;

  friend bool operator==(const Config&, const Config&) = default;
};

// Parses and fully validates (validate() included) a config document;
// missing keys keep their defaults. Errors read "<source_name>: <key>: ...".
Config parse_config_json(std::string_view text, std::string_view source_name);
// A missing, unreadable or oversized (> 1 MiB) file is a ConfigError naming the path.
Config load_config_file(const std::string& path);

// Sets one key from its text form ("5s", "true", "10MB"; lists as a JSON
// array or comma-separated). Checks the value itself but not other keys, so
// overrides can be applied in any order: call validate() after the last one.
void apply_setting(Config& config, std::string_view key, std::string_view value);
// The same from "key=value" (`--set git.autoPushInterval=5s`, `histfs config set`).
void apply_assignment(Config& config, std::string_view assignment);
// The text form of one key; apply_setting() accepts it back. With Config{}
// it gives the default, e.g. for --help.
std::string get_setting(const Config& config, std::string_view key);

// Every per-key check plus the cross-key ones (commitMaxDelay >= commitQuiet).
void validate(const Config& config);

// All keys, nested like the file; parse_config_json() reads it back to an equal Config.
nlohmann::json to_json(const Config& config);

// Known keys (dotted names) with a one-line description, in table order.
const std::vector<std::pair<std::string, std::string>>& config_keys();

// The JSON value of one key (as the file holds it); throws ConfigError for an unknown key.
nlohmann::json get_setting_json(const Config& config, std::string_view key);

// "Name <email>" split into its two parts, or std::invalid_argument saying what is wrong
// (git.authors values and their check).
std::pair<std::string, std::string> parse_identity(std::string_view text);

}  // namespace histfs::settings
