#include "tools/histfs/github/connect_setup.hpp"

#include <algorithm>
#include <stdexcept>

#include "tools/histfs/github/repo_creation.hpp"
#include "tools/histfs/settings/token_source.hpp"

namespace histfs::github {

namespace {

bool is_id(const std::string& text, bool digits_only) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || (!digits_only && std::isalnum(static_cast<unsigned char>(c)));
  });
}

}  // namespace

ConnectGithub ConnectGithub::from_request(const nlohmann::json& request) {
  ConnectGithub out;
  out.app_id = request.value("github_app_id", std::string());
  out.installation_id = request.value("installation_id", std::string());
  out.private_key_file = request.value("private_key_file", std::string());
  out.api_url = request.value("api_url", std::string());
  out.create_repo = request.value("create_repo", std::string());
  out.use_existing = request.value("use_existing", false);
  return out;
}

nlohmann::json ConnectGithub::to_request() const {
  return {{"github_app_id", app_id}, {"installation_id", installation_id}, {"private_key_file", private_key_file},
          {"api_url", api_url},      {"create_repo", create_repo},         {"use_existing", use_existing}};
}

std::string prepare_connect(settings::RemoteSettings& settings, const ConnectGithub& github,
                            const settings::Config& config) {
  const auto& git = config.git;
  const bool app_asked = !github.app_id.empty() || !github.installation_id.empty() || !github.private_key_file.empty();
  const bool app_configured = !git.github_app_id.empty();
  settings.ca_file = git.ca_file;
  settings.github_api_url = !github.api_url.empty() ? github.api_url : git.github_api_url;
  if (app_asked || app_configured) {
    settings.auth = settings::kGithubAppAuth;
    settings.github_app_id = !github.app_id.empty() ? github.app_id : git.github_app_id;
    settings.github_installation_id =
        !github.installation_id.empty() ? github.installation_id : git.github_installation_id;
    settings.github_private_key_file =
        !github.private_key_file.empty() ? github.private_key_file : git.github_private_key_file;
    if (!is_id(settings.github_app_id, false))
      throw std::invalid_argument("--github-app-id wants the App's id (digits) or client id");
    if (!is_id(settings.github_installation_id, true))
      throw std::invalid_argument("--installation-id wants the installation's id (digits)");
    if (settings.github_private_key_file.empty() || settings.github_private_key_file.front() != '/')
      throw std::invalid_argument("--private-key-file wants the App's private key (a PEM file)");
    if (!settings.token_env.empty()) throw std::invalid_argument("--token-env does not go with a GitHub App");
  }
  if (!settings.github_api_url.starts_with("https://") && !settings.github_api_url.starts_with("http://"))
    throw std::invalid_argument("--api-url (git.github.apiUrl) wants an https:// URL");
  if (github.create_repo.empty()) {
    if (settings.url.empty()) throw std::invalid_argument("--remote URL or --create-repo OWNER/NAME is required");
    if (settings.auth == settings::kGithubAppAuth && !settings.token_file.empty())
      throw std::invalid_argument("--token-file goes with a GitHub App only for --create-repo (a user's token)");
    return "";
  }
  if (!settings.url.empty()) throw std::invalid_argument("--remote and --create-repo exclude each other");
  RepoRequest request{github.create_repo, settings.token_file, github.use_existing};
  auto tokens = settings::make_token_source(settings);
  const CreatedRepo created = create_repo(settings, *tokens, request);
  settings.url = created.clone_url;
  // With the App, git uses its tokens; the user token was for the creation only.
  if (settings.auth == settings::kGithubAppAuth) settings.token_file.clear();
  return github.create_repo;
}

}  // namespace histfs::github
