#pragma once
// Installation tokens of a GitHub App, for git, LFS and the API: exchanged for
// an App JWT at POST /app/installations/{id}/access_tokens, kept in memory only,
// renewed well before they expire and whenever a server refuses one. Safe to
// use from several threads; a renewal happens once for all of them.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gitstore/github_api.hpp"
#include "gitstore/github_app_jwt.hpp"

namespace histfs::gitstore {

struct GithubAppSettings {
  std::string app_id;
  std::string installation_id;
  std::string private_key_file;
  GithubApiOptions api;
};

struct GithubAppStatus {
  std::string app_id;
  std::string installation_id;
  std::optional<std::int64_t> token_expires_at;  // seconds since the epoch; nullopt before the first token
  std::string last_error;
};

class GithubAppTokens {
 public:
  // Loads the private key now (GithubKeyError when it is unusable); no network yet.
  explicit GithubAppTokens(GithubAppSettings settings);

  // A token valid for a while yet, renewing it first when needed. Throws
  // GithubApiError (status 401: the JWT was refused; 404: no such installation).
  std::string token();
  // A server refused `token`: the next token() asks for a new one (unless it already did).
  void refused(const std::string& token);
  // A fresh installation token (for a server that refused the current one).
  std::string renew();
  // The App JWT, for the App's own endpoints.
  std::string app_jwt() const;
  GithubApi& api() { return api_; }
  GithubAppStatus status() const;

 private:
  std::string exchange();  // renew_mutex_ held

  GithubAppSettings settings_;
  AppPrivateKey key_;
  GithubApi api_;
  std::mutex renew_mutex_;    // one exchange at a time; held across the network call
  mutable std::mutex mutex_;  // the fields below; never held across the network
  std::string token_;
  std::chrono::system_clock::time_point expires_at_{};
  std::chrono::system_clock::time_point renew_at_{};
};

}  // namespace histfs::gitstore
