#pragma once
// Calls to the GitHub REST API (github.com or an Enterprise server's /api/v3):
// JSON in and out over HttpClient, waiting out Retry-After and an exhausted
// rate limit (up to a bound) instead of hammering, and turning every odd
// answer (a redirect, malformed JSON, a huge body) into a clear GithubApiError.
// Messages carry GitHub's own `message` and the status, never a credential.
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "gitstore/http_client.hpp"

namespace histfs::gitstore {

struct GithubApiError : std::runtime_error {
  GithubApiError(const std::string& what, int status_in = 0) : runtime_error(what), status(status_in) {}
  int status;  // the HTTP status, 0 when no answer came
};

struct GithubApiOptions {
  std::string api_url = "https://api.github.com";
  std::string ca_file;  // git.caFile; "" = the system roots
  std::chrono::milliseconds timeout{60000};
  std::chrono::milliseconds max_wait{60000};  // the longest Retry-After or rate-limit reset waited out
};

struct GithubAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer had no body
};

class GithubApi {
 public:
  explicit GithubApi(GithubApiOptions options);

  // METHOD {api_url}{path} with `authorization` as the Authorization header
  // ("Bearer ..." or "token ..."), a JSON body unless null. Any status comes
  // back; a rate-limited call is retried after the wait the server asks for.
  GithubAnswer call(const std::string& method, const std::string& path, const std::string& authorization,
                    const nlohmann::json& body = nullptr);
  // Ends a call in progress, or a wait, from another thread (the daemon stopping).
  void cancel();

  // The last failure (no answer, or a status >= 400) with its time; "" before any.
  std::string last_error() const;
  void record_error(const std::string& error);
  const GithubApiOptions& options() const { return options_; }

 private:
  // How long to wait before calling again, when the answer says so.
  std::optional<std::chrono::milliseconds> wait_asked(const HttpResponse& response) const;
  void wait(std::chrono::milliseconds how_long);

  GithubApiOptions options_;
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  HttpClient* running_ = nullptr;  // under mutex_
  std::string last_error_;         // under mutex_
};

// GitHub's `message` from an error answer, printable and short, or "" when it has none.
std::string github_message(const nlohmann::json& body);

}  // namespace histfs::gitstore
