#pragma once
// Where the credential for the remote comes from, asked at every connection:
// a token file or variable (read each time, so a rotated token is picked up),
// or a GitHub App's installation tokens (short-lived, renewed in memory). Git,
// Git LFS and the GitHub API all ask the same source, so they use the same token.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/histfs/settings/remote_settings.hpp"

namespace histfs::settings {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // The token for the next connection ("" = none). Throws gitstore::RemoteError with a
  // message safe to log (never a token or key).
  virtual std::string token() = 0;
  // The server refused `token`: a fresh one to retry with, or "" when this kind cannot renew.
  virtual std::string renew_refused(const std::string& token) = 0;
  // For `histfs status`: the auth kind and, for an App, the installation, the token's expiry
  // and the last API error. Never the token.
  virtual nlohmann::json status() const = 0;
  // Ends an API call in progress (the daemon stopping).
  virtual void cancel() {}
};

// The source the settings name. An App's key is read at the first token(), not here.
std::shared_ptr<TokenSource> make_token_source(const RemoteSettings& settings);

}  // namespace histfs::settings
