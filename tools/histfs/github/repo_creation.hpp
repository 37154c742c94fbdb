#pragma once
// `histfs connect --create-repo OWNER/NAME`: a new private repository on GitHub
// to back up into. An organization's is made with the App's installation token
// (POST /orgs/{org}/repos, the App needs Administration write); a user's with a
// user token from --token-file (POST /user/repos). A name that exists (422) is
// left untouched, and is an error unless use_existing.
#include <string>

#include "tools/histfs/settings/remote_settings.hpp"
#include "tools/histfs/settings/token_source.hpp"

namespace histfs::github {

struct RepoRequest {
  std::string full_name;        // "owner/name"
  std::string user_token_file;  // a user's token: create under the user account with it
  bool use_existing = false;
};

struct CreatedRepo {
  std::string clone_url;
  bool existed = false;
};

// Throws std::invalid_argument for a bad name, gitstore::RemoteError when GitHub refuses.
CreatedRepo create_repo(const settings::RemoteSettings& settings, settings::TokenSource& tokens,
                        const RepoRequest& request);

}  // namespace histfs::github
