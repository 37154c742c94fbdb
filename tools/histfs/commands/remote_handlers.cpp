// The daemon's side of connect, push and pull. Push and pull queue on the remote sync's thread.
#include <memory>
#include <stdexcept>
#include <string>

#include "gitstore/network_guard.hpp"
#include "gitstore/remote.hpp"
#include "tools/histfs/commands/remote_commands.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/github/connect_setup.hpp"
#include "tools/histfs/settings/config.hpp"

namespace histfs::commands {

using daemon::RemoteSync;
using nlohmann::json;

namespace {

std::shared_ptr<RemoteSync> connected(daemon::DaemonContext& d) {
  auto sync = d.remote_sync();
  if (!sync) throw std::invalid_argument("no remote: run `histfs connect --remote URL` first");
  return sync;
}

}  // namespace

json handle_connect(daemon::DaemonContext& d, const json& request) {
  settings::RemoteSettings settings;
  settings.url = request.value("remote", std::string());
  settings.token_file = request.value("token_file", std::string());
  settings.token_env = request.value("token_env", std::string());
  const std::string prefer = request.value("prefer", std::string());
  const settings::Config config = d.current_config();
  if (!prefer.empty() && prefer != "local" && prefer != "remote")
    throw std::invalid_argument("--prefer must be local or remote");
  settings::apply_config(settings, config);
  if (d.remote_sync())
    throw std::invalid_argument("already connected; the remote is set in " + d.git_dir + "/config (histfs.remoteUrl)");
  const auto github = github::ConnectGithub::from_request(request);
  if (settings.url.empty() && github.create_repo.empty()) throw std::invalid_argument("--remote URL is required");
  settings::Config checked = config;
  // The same checks as the config key (no credentials in URLs).
  if (!settings.url.empty()) settings::apply_setting(checked, "git.repo", settings.url);
  // The App's settings; a repository created first when asked (GitHub's URL checked as well).
  const std::string created = github::prepare_connect(settings, github, config);
  settings::apply_setting(checked, "git.repo", settings.url);

  // Reachable, and with the right credentials, before anything is saved.
  gitstore::NetworkGuard network(settings.network_timeout);
  const bool empty =
      gitstore::RemoteClient(nullptr, settings.url, settings::make_token_source(settings)->token(), &network)
          .is_empty();
  if (!empty && prefer.empty())
    throw std::invalid_argument(
        "the remote already has history: choose --prefer remote or --prefer local. Both sides' files are "
        "kept and both histories merged; where both have a file, --prefer says whose version it keeps");
  settings::save_remote_settings(d.git_dir, settings);
  auto sync = std::make_shared<RemoteSync>(d, settings, false);
  sync->start();
  d.set_remote_sync(sync);
  json out = {{"remote", gitstore::redact_url(settings.url)}, {"was_empty", empty}};
  if (!created.empty()) out["created_repo"] = created;
  out["auth"] = sync->token_source().status();
  out["result"] = empty ? sync->push_now(false) : sync->import_now(prefer);
  return out;
}

json handle_push(daemon::DaemonContext& d, const json& request) {
  return connected(d)->push_now(request.value("allow_mass_delete", false));
}

json handle_pull(daemon::DaemonContext& d, const json& request) {
  return connected(d)->pull_now(request.value("allow_mass_delete", false));
}

}  // namespace histfs::commands
