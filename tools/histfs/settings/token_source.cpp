#include "tools/histfs/settings/token_source.hpp"

#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "gitstore/github_app.hpp"
#include "gitstore/remote.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::settings {

namespace {

using nlohmann::json;

class StoredTokenSource : public TokenSource {
 public:
  explicit StoredTokenSource(RemoteSettings settings) : settings_(std::move(settings)) {}
  std::string token() override { return read_token(settings_); }
  std::string renew_refused(const std::string&) override { return ""; }
  json status() const override {
    if (!settings_.token_file.empty()) return {{"kind", "token-file"}, {"token_file", settings_.token_file}};
    if (!settings_.token_env.empty()) return {{"kind", "token-env"}, {"token_env", settings_.token_env}};
    return {{"kind", "none"}};
  }

 private:
  RemoteSettings settings_;
};

class GithubAppTokenSource : public TokenSource {
 public:
  explicit GithubAppTokenSource(const RemoteSettings& settings) {
    app_.app_id = settings.github_app_id;
    app_.installation_id = settings.github_installation_id;
    app_.private_key_file = settings.github_private_key_file;
    if (!settings.github_api_url.empty()) app_.api.api_url = settings.github_api_url;
    app_.api.ca_file = settings.ca_file;
    app_.api.timeout = settings.network_timeout;
  }

  std::string token() override {
    return guarded([&](gitstore::GithubAppTokens& tokens) { return tokens.token(); });
  }

  std::string renew_refused(const std::string& token) override {
    return guarded([&](gitstore::GithubAppTokens& tokens) {
      spdlog::info("github_app the server refused the installation token: renewing it");
      tokens.refused(token);
      return tokens.token();
    });
  }

  json status() const override {
    json out = {{"kind", kGithubAppAuth},
                {"app_id", app_.app_id},
                {"installation_id", app_.installation_id},
                {"api_url", app_.api.api_url}};
    const std::lock_guard lock(mutex_);
    std::string last_error = load_error_;
    if (tokens_) {
      const auto status = tokens_->status();
      if (status.token_expires_at) out["token_expires_at"] = gitstore::format_instant(*status.token_expires_at);
      if (!status.last_error.empty()) last_error = status.last_error;
    }
    if (!last_error.empty()) out["last_api_error"] = last_error;
    return out;
  }

  void cancel() override {
    const std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (tokens_) tokens_->api().cancel();
  }

 private:
  // Runs `use` on the tokens (made at the first call), every failure a RemoteError.
  template <typename Use>
  std::string guarded(Use use) {
    gitstore::GithubAppTokens* tokens = nullptr;
    {
      const std::lock_guard lock(mutex_);
      if (!tokens_) {
        try {
          tokens_ = std::make_unique<gitstore::GithubAppTokens>(app_);
          if (cancelled_) tokens_->api().cancel();
        } catch (const std::exception& error) {
          load_error_ = error.what();
          throw gitstore::RemoteError(error.what());
        }
      }
      tokens = tokens_.get();
    }
    try {
      return use(*tokens);
    } catch (const gitstore::GithubApiError& error) {
      throw gitstore::RemoteError(error.what());
    }
  }

  gitstore::GithubAppSettings app_;
  mutable std::mutex mutex_;
  std::unique_ptr<gitstore::GithubAppTokens> tokens_;  // made once; then used without mutex_
  std::string load_error_;
  bool cancelled_ = false;
};

}  // namespace

std::shared_ptr<TokenSource> make_token_source(const RemoteSettings& settings) {
  if (settings.auth == kGithubAppAuth) return std::make_shared<GithubAppTokenSource>(settings);
  return std::make_shared<StoredTokenSource>(settings);
}

}  // namespace histfs::settings
