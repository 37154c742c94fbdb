#include "tools/histfs/settings/remote_settings.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gitstore/remote.hpp"
#include "gitstore/repo_config.hpp"

namespace histfs::settings {

std::optional<RemoteSettings> load_remote_settings(const std::string& git_dir) {
  auto values = gitstore::read_config_strings(
      git_dir,
      {"histfs.remoteurl", "histfs.tokenfile", "histfs.tokenenv", "histfs.importprefer", "histfs.auth",
       "histfs.githubappid", "histfs.githubinstallationid", "histfs.githubprivatekeyfile", "histfs.githubapiurl"});
  RemoteSettings settings;
  settings.url = values["histfs.remoteurl"];
  if (settings.url.empty()) return std::nullopt;
  settings.token_file = values["histfs.tokenfile"];
  settings.token_env = values["histfs.tokenenv"];
  settings.import_prefer = values["histfs.importprefer"];
  settings.auth = values["histfs.auth"];
  settings.github_app_id = values["histfs.githubappid"];
  settings.github_installation_id = values["histfs.githubinstallationid"];
  settings.github_private_key_file = values["histfs.githubprivatekeyfile"];
  settings.github_api_url = values["histfs.githubapiurl"];
  return settings;
}

void save_remote_settings(const std::string& git_dir, const RemoteSettings& settings) {
  gitstore::write_config_strings(git_dir, {{"histfs.remoteUrl", settings.url},
                                           {"histfs.tokenFile", settings.token_file},
                                           {"histfs.tokenEnv", settings.token_env},
                                           {"histfs.importPrefer", settings.import_prefer},
                                           {"histfs.auth", settings.auth},
                                           {"histfs.githubAppId", settings.github_app_id},
                                           {"histfs.githubInstallationId", settings.github_installation_id},
                                           {"histfs.githubPrivateKeyFile", settings.github_private_key_file},
                                           {"histfs.githubApiUrl", settings.github_api_url}});
}

void apply_config(RemoteSettings& settings, const Config& config) {
  settings.push_interval = config.git.auto_push_interval;
  settings.fetch_interval = config.git.fetch_interval;
  settings.network_timeout = config.git.network_timeout;
  settings.allow_non_ff = config.git.allow_non_ff;
  settings.max_delete = size_t(config.git.max_delete);
  settings.ca_file = config.git.ca_file;
}

std::string read_token(const RemoteSettings& settings) {
  if (!settings.token_file.empty()) {
    std::ifstream in(settings.token_file);
    if (!in) throw gitstore::RemoteError("cannot read the token file " + settings.token_file);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.empty()) throw gitstore::RemoteError("the token file " + settings.token_file + " is empty");
    return token;
  }
  if (!settings.token_env.empty()) {
    const char* token = std::getenv(settings.token_env.c_str());
    if (!token || !*token)
      throw gitstore::RemoteError("the environment variable " + settings.token_env + " is not set");
    return token;
  }
  return "";
}

}  // namespace histfs::settings
