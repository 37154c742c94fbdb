#pragma once
// What `histfs connect` adds for GitHub: the App's settings (from the command,
// else the config's git.github.* keys), checked, and a repository created first
// when --create-repo asks. Shared by the daemon's connect and `connect --git-dir`.
#include <string>

#include <nlohmann/json.hpp>

#include "tools/histfs/settings/config.hpp"
#include "tools/histfs/settings/remote_settings.hpp"

namespace histfs::github {

struct ConnectGithub {
  std::string app_id;
  std::string installation_id;
  std::string private_key_file;  // absolute
  std::string api_url;
  std::string create_repo;  // "owner/name", or "" to use settings.url
  bool use_existing = false;

  static ConnectGithub from_request(const nlohmann::json& request);
  nlohmann::json to_request() const;
};

// Completes `settings` (auth kind, App ids, key file, API URL, CA file) and, for
// --create-repo, creates the repository and sets settings.url to it. Throws
// std::invalid_argument for bad options, gitstore::RemoteError when GitHub refuses;
// nothing is saved here. Returns the created repository's full name, or "".
std::string prepare_connect(settings::RemoteSettings& settings, const ConnectGithub& github,
                            const settings::Config& config);

}  // namespace histfs::github
