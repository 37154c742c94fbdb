#include "tools/histfs/github/repo_creation.hpp"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "gitstore/github_api.hpp"
#include "gitstore/remote.hpp"

namespace histfs::github {

namespace {

using nlohmann::json;

bool valid_part(const std::string& part) {
  return !part.empty() && part.size() <= 100 && part != "." && part != ".." &&
         std::all_of(part.begin(), part.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

// The clone URL of a repository answer, checked: http(s), no credentials, no odd bytes.
std::string clone_url(const json& body, const std::string& what) {
  if (!body.is_object() || !body.contains("clone_url") || !body["clone_url"].is_string())
    throw gitstore::RemoteError(what + ": GitHub's answer has no clone_url");
  const std::string url = body["clone_url"].get<std::string>();
  const bool web = url.starts_with("https://") || url.starts_with("http://");
  const bool clean = url.size() < 2048 && std::none_of(url.begin(), url.end(), [](char c) {
                       return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
                     });
  if (!web || !clean || gitstore::redact_url(url) != url)
    throw gitstore::RemoteError(what + ": GitHub's answer has a clone_url histfs will not use");
  return url;
}

}  // namespace

CreatedRepo create_repo(const settings::RemoteSettings& settings, settings::TokenSource& tokens,
                        const RepoRequest& request) {
  const auto slash = request.full_name.find('/');
  const std::string owner = request.full_name.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : request.full_name.substr(slash + 1);
  if (!valid_part(owner) || !valid_part(name))
    throw std::invalid_argument("--create-repo wants OWNER/NAME (letters, digits, '-', '_', '.'), not " +
                                request.full_name);
  const bool as_user = !request.user_token_file.empty();
  if (!as_user && settings.auth != settings::kGithubAppAuth)
    throw std::invalid_argument(
        "--create-repo needs the GitHub App (--github-app-id ...) for an organization's repository, or "
        "--token-file with a user token for a user's");
  std::string authorization;
  if (as_user) {
    settings::RemoteSettings user = settings;
    user.token_file = request.user_token_file;
    user.token_env.clear();
    authorization = "token " + settings::read_token(user);
  } else {
    authorization = "token " + tokens.token();
  }
  gitstore::GithubApiOptions options;
  if (!settings.github_api_url.empty()) options.api_url = settings.github_api_url;
  options.ca_file = settings.ca_file;
  options.timeout = settings.network_timeout;
  gitstore::GithubApi api(options);
  const std::string what = "creating " + request.full_name;
  const json body = {{"name", name}, {"private", true}, {"auto_init", false}, {"description", "histfs backup"}};
  gitstore::GithubAnswer answer;
  try {
    answer = api.call("POST", as_user ? "/user/repos" : "/orgs/" + owner + "/repos", authorization, body);
    if (answer.status == 201) {
      spdlog::info("github created the private repository {}", request.full_name);
      return {clone_url(answer.body, what), false};
    }
    if (answer.status == 422) {
      if (!request.use_existing)
        throw gitstore::RemoteError("the repository " + request.full_name +
                                    " already exists on GitHub: left untouched (add --use-existing to back up "
                                    "into it)");
      const auto existing = api.call("GET", "/repos/" + owner + "/" + name, authorization);
      if (existing.status != 200)
        throw gitstore::RemoteError(what + ": it exists, but GitHub answers " + std::to_string(existing.status) +
                                    " when asked for it");
      return {clone_url(existing.body, what), true};
    }
  } catch (const gitstore::GithubApiError& error) {
    throw gitstore::RemoteError(what + ": " + error.what());
  }
  const std::string message = gitstore::github_message(answer.body);
  std::string hint;
  if (answer.status == 403 || answer.status == 404)
    hint = as_user ? " (may the token create repositories?)"
                   : " (does the App have Administration write, and is it installed on " + owner + "?)";
  if (answer.status == 401) hint = " (the token was refused)";
  throw gitstore::RemoteError(what + ": GitHub answered " + std::to_string(answer.status) +
                              (message.empty() ? "" : ": " + message) + hint);
}

}  // namespace histfs::github
