#pragma once
// The backup remote's settings: what `histfs connect` remembers in the git dir
// (never the token itself) plus the timing keys from the config.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "tools/histfs/settings/config.hpp"

namespace histfs::settings {

struct RemoteSettings {
  std::string url;
  std::string token_file;  // read at every connection, so a rotated token is picked up
  std::string token_env;
  // How git authenticates: "" = the token above (or none), "github-app" = a GitHub App's
  // installation tokens, made from these (never a token or the key itself in the git dir).
  std::string auth;
  std::string github_app_id;
  std::string github_installation_id;
  std::string github_private_key_file;
  std::string github_api_url;
  std::string ca_file;  // git.caFile, for the GitHub API too (from the config, not remembered)
  std::chrono::milliseconds push_interval{5000};
  std::chrono::milliseconds fetch_interval{300000};
  std::chrono::milliseconds network_timeout{60000};
  bool allow_non_ff = false;
  size_t max_delete = 100;
  std::string import_prefer;  // "local"/"remote": an import `histfs connect --git-dir` left for the next mount
};

// The remote settings remembered in the git dir (never the token itself).
std::optional<RemoteSettings> load_remote_settings(const std::string& git_dir);
void save_remote_settings(const std::string& git_dir, const RemoteSettings& settings);
// The timing and policy keys (git.autoPushInterval, git.fetchInterval, git.networkTimeout,
// git.allowNonFF, git.maxDelete).
void apply_config(RemoteSettings& settings, const Config& config);
inline constexpr const char* kGithubAppAuth = "github-app";

// The token named by the settings; throws gitstore::RemoteError with a clear message when it cannot be read.
std::string read_token(const RemoteSettings& settings);

}  // namespace histfs::settings
