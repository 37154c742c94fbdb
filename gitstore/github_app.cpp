#include "gitstore/github_app.hpp"

#include <spdlog/spdlog.h>

#include "gitstore/time_text.hpp"

namespace histfs::gitstore {

namespace {

using Clock = std::chrono::system_clock;

// Renew with a quarter of the token's life left, and at least five minutes
// before a long-lived one ends: a push started just before must still finish.
Clock::time_point renewal_time(Clock::time_point now, Clock::time_point expires_at) {
  const Clock::duration margin = std::min<Clock::duration>((expires_at - now) / 4, std::chrono::minutes(5));
  return expires_at - margin;
}

}  // namespace

GithubAppTokens::GithubAppTokens(GithubAppSettings settings)
    : settings_(std::move(settings)), key_(AppPrivateKey::load(settings_.private_key_file)), api_(settings_.api) {}

std::string GithubAppTokens::app_jwt() const { return key_.app_jwt(settings_.app_id, Clock::now()); }

std::string GithubAppTokens::token() {
  const std::lock_guard renewing(renew_mutex_);
  {
    const std::lock_guard lock(mutex_);
    if (!token_.empty() && Clock::now() < renew_at_) return token_;
  }
  return exchange();
}

void GithubAppTokens::refused(const std::string& token) {
  const std::lock_guard lock(mutex_);
  if (token == token_) renew_at_ = {};
}

std::string GithubAppTokens::renew() {
  const std::lock_guard renewing(renew_mutex_);
  return exchange();
}

std::string GithubAppTokens::exchange() {
  const std::string path = "/app/installations/" + settings_.installation_id + "/access_tokens";
  const GithubAnswer answer = api_.call("POST", path, "Bearer " + app_jwt());
  const std::string who = "GitHub App " + settings_.app_id + ", installation " + settings_.installation_id;
  if (answer.status == 401) {
    throw GithubApiError(who + ": GitHub refused the App's JWT (is the app id right, and the private key this App's?)",
                         401);
  }
  if (answer.status == 404) {
    throw GithubApiError(who + ": no such installation of this App (check the installation id)", 404);
  }
  if (answer.status != 201 && answer.status != 200) {
    const std::string message = github_message(answer.body);
    throw GithubApiError(who + ": the token exchange failed with status " + std::to_string(answer.status) +
                             (message.empty() ? "" : ": " + message),
                         answer.status);
  }
  const nlohmann::json& body = answer.body;
  const auto bad = [&](const std::string& what) {
    api_.record_error("POST " + path + ": " + what);
    return GithubApiError(who + ": " + what);
  };
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
      body["token"].get<std::string>().empty()) {
    throw bad("the token exchange answered without a token");
  }
  const std::string token = body["token"].get<std::string>();
  if (token.size() > 8192 || token.find_first_of("\r\n\t :") != std::string::npos ||
      token.find('\0') != std::string::npos) {
    throw bad("the token exchange answered with a token histfs cannot use");
  }
  if (!body.contains("expires_at") || !body["expires_at"].is_string()) {
    throw bad("the token exchange answered without expires_at");
  }
  const auto expires = parse_instant(body["expires_at"].get<std::string>());
  if (!expires) throw bad("the token exchange answered with an unreadable expires_at");
  const auto now = Clock::now();
  const Clock::time_point expires_at{std::chrono::seconds(*expires)};
  if (expires_at <= now + std::chrono::seconds(1)) {
    throw bad("the token exchange answered with a token that has already expired (is this machine's clock right?)");
  }
  {
    const std::lock_guard lock(mutex_);
    token_ = token;
    expires_at_ = expires_at;
    renew_at_ = renewal_time(now, expires_at);
  }
  spdlog::info("github_app installation token for installation {} renewed, expires {}", settings_.installation_id,
               format_instant(*expires));
  return token;
}

GithubAppStatus GithubAppTokens::status() const {
  GithubAppStatus status{settings_.app_id, settings_.installation_id, std::nullopt, api_.last_error()};
  const std::lock_guard lock(mutex_);
  if (!token_.empty())
    status.token_expires_at = std::chrono::duration_cast<std::chrono::seconds>(expires_at_.time_since_epoch()).count();
  return status;
}

}  // namespace histfs::gitstore
