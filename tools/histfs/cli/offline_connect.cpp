#include "tools/histfs/cli/offline_connect.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "gitstore/private_dir.hpp"
#include "gitstore/remote.hpp"
#include "gitstore/repository.hpp"
#include "tools/histfs/settings/token_source.hpp"

namespace histfs::cli {

nlohmann::json connect_offline(const std::string& git_dir, const settings::RemoteSettings& remote,
                               const std::string& prefer) {
  gitstore::LibGit2 libgit2;
  umask(077);  // what this command creates in the git dir is private, as the daemon's
  const bool exists = std::filesystem::exists(git_dir);
  if (exists)
    gitstore::ensure_private_git_dir(git_dir, geteuid());
  else
    gitstore::check_parents_of(git_dir, geteuid());
  // The remote is checked before anything is created: a failed connect leaves nothing behind.
  gitstore::NetworkGuard network(remote.network_timeout);
  const bool empty =
      gitstore::RemoteClient(nullptr, remote.url, settings::make_token_source(remote)->token(), &network).is_empty();
  if (!empty && prefer.empty())
    throw std::invalid_argument("the remote already has history: choose --prefer remote or --prefer local");
  auto repo = gitstore::Repository::open_or_create(git_dir);
  gitstore::ensure_private_git_dir(git_dir, geteuid());
  settings::RemoteSettings saved = remote;
  saved.import_prefer = empty ? "" : prefer;
  settings::save_remote_settings(git_dir, saved);
  return {{"remote", gitstore::redact_url(remote.url)},
          {"was_empty", empty},
          {"deferred", true},
          {"result", nlohmann::json::object()}};
}

}  // namespace histfs::cli
