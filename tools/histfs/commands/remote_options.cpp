// The CLI options of connect, push and pull, and the requests they make.
#include <filesystem>
#include <memory>
#include <string>

#include "tools/histfs/cli/offline_connect.hpp"
#include "tools/histfs/commands/remote_commands.hpp"
#include "tools/histfs/github/connect_setup.hpp"
#include "tools/histfs/settings/config.hpp"

namespace histfs::commands {

using nlohmann::json;
namespace stdfs = std::filesystem;

namespace {

struct ConnectArgs {
  std::string remote;
  std::string token_file;
  std::string token_env;
  std::string prefer;
  std::string git_dir;
  github::ConnectGithub github;

  // The daemon reads the token file later and from its own directory.
  std::string absolute_token_file() const { return token_file.empty() ? "" : stdfs::absolute(token_file).string(); }
  github::ConnectGithub github_request() const {
    github::ConnectGithub out = github;
    if (!out.private_key_file.empty()) out.private_key_file = stdfs::absolute(out.private_key_file).string();
    return out;
  }
};

// connect --git-dir DIR: checks the remote and remembers it in a git dir that is not mounted now.
json connect_without_daemon(const ConnectArgs& args) {
  settings::RemoteSettings remote;
  remote.url = args.remote;
  remote.token_file = args.absolute_token_file();
  remote.token_env = args.token_env;
  settings::Config checked;
  if (!remote.url.empty()) settings::apply_setting(checked, "git.repo", remote.url);  // no credentials in URLs
  // The config file is not read here: the App's settings come from the options.
  const std::string created = github::prepare_connect(remote, args.github_request(), checked);
  settings::apply_setting(checked, "git.repo", remote.url);
  json out = cli::connect_offline(stdfs::absolute(args.git_dir).lexically_normal().string(), remote, args.prefer);
  if (!created.empty()) out["created_repo"] = created;
  return out;
}

ClientSide allow_mass_delete_option(CLI::App& command, const char* help) {
  auto allow = std::make_shared<bool>(false);
  command.add_flag("--allow-mass-delete", *allow, help);
  return {[=](const cli::MountRef&) { return json{{"allow_mass_delete", *allow}}; }};
}

}  // namespace

ClientSide add_connect_options(CLI::App& command) {
  auto args = std::make_shared<ConnectArgs>();
  auto* remote_option =
      command.add_option("--remote", args->remote, "https://..., http://..., file:///... or /path/to/bare.git");
  auto* file_option = command.add_option("--token-file", args->token_file, "Read the access token from this file");
  command
      .add_option("--token-env", args->token_env, "Read the access token from this environment variable of the daemon")
      ->excludes(file_option);
  command.add_option("--prefer", args->prefer, "For a remote that already has history: local or remote")
      ->check(CLI::IsMember({"local", "remote"}));
  command.add_option("--github-app-id", args->github.app_id, "Authenticate as this GitHub App (short-lived tokens)");
  command.add_option("--installation-id", args->github.installation_id, "The GitHub App's installation id");
  command.add_option("--private-key-file", args->github.private_key_file,
                     "The GitHub App's private key (PEM, readable by you only)");
  command.add_option("--api-url", args->github.api_url, "The GitHub API (default https://api.github.com)");
  command
      .add_option("--create-repo", args->github.create_repo,
                  "Create the private repository OWNER/NAME on GitHub and back up there")
      ->excludes(remote_option);
  command.add_flag("--use-existing", args->github.use_existing,
                   "With --create-repo: back up into OWNER/NAME even when it exists already");
  command.add_option("--git-dir", args->git_dir,
                     "Connect a git dir that is not mounted now (remembered for the next mount)");
  return {[=](const cli::MountRef&) {
            json request = args->github_request().to_request();
            request.update(json{{"remote", args->remote},
                                {"token_file", args->absolute_token_file()},
                                {"token_env", args->token_env},
                                {"prefer", args->prefer}});
            return request;
          },
          [=]() -> std::optional<json> {
            if (args->git_dir.empty()) return std::nullopt;
            return connect_without_daemon(*args);
          }};
}

ClientSide add_push_options(CLI::App& command) {
  return allow_mass_delete_option(command, "Push even though the commits delete more than git.maxDelete files");
}

ClientSide add_pull_options(CLI::App& command) {
  return allow_mass_delete_option(command, "Apply the pull even though it deletes more than git.maxDelete files here");
}

}  // namespace histfs::commands
