#include "gitstore/github_api.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

#include "gitstore/printable.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::gitstore {

namespace {

constexpr int kAttempts = 3;  // a call and two retries after waits the server asked for

std::optional<long long> header_number(const HttpResponse& response, std::string_view name) {
  const auto value = response.header(name);
  if (!value) return std::nullopt;
  long long number = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (error != std::errc() || end != value->data() + value->size() || number < 0) return std::nullopt;
  return number;
}

}  // namespace

std::string github_message(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("message") || !body["message"].is_string()) return "";
  std::string message = printable(body["message"].get<std::string>());
  if (message.size() > 200) message = message.substr(0, 200) + "...";
  return message;
}

GithubApi::GithubApi(GithubApiOptions options) : options_(std::move(options)) {
  while (!options_.api_url.empty() && options_.api_url.back() == '/') options_.api_url.pop_back();
}

std::optional<std::chrono::milliseconds> GithubApi::wait_asked(const HttpResponse& response) const {
  if (response.status != 403 && response.status != 429) return std::nullopt;
  if (const auto seconds = header_number(response, "Retry-After")) return std::chrono::seconds(*seconds);
  if (header_number(response, "X-RateLimit-Remaining") == 0) {
    const auto reset = header_number(response, "X-RateLimit-Reset");
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // GitHub's advice when the reset is missing: a minute.
    return std::chrono::seconds(reset ? std::max<long long>(*reset - now, 1) : 60);
  }
  return std::nullopt;
}

void GithubApi::wait(std::chrono::milliseconds how_long) {
  const auto until = std::chrono::steady_clock::now() + how_long;
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled_) throw GithubApiError("GitHub API: cancelled");
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

GithubAnswer GithubApi::call(const std::string& method, const std::string& path, const std::string& authorization,
                             const nlohmann::json& body) {
  HttpRequest request;
  request.method = method;
  request.url = options_.api_url + path;
  request.headers = {{"Accept", "application/vnd.github+json"}, {"X-GitHub-Api-Version", "2022-11-28"}};
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  if (!body.is_null()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body.dump();
  }
  const std::string what = method + " " + path;
  for (int attempt = 1;; ++attempt) {
    HttpClientOptions http;
    http.ca_file = options_.ca_file;
    http.timeout = options_.timeout;
    http.max_memory_body = 1 << 20;  // GitHub's answers here are a few KiB
    HttpClient client(http);
    HttpResponse response;
    try {
      {
        const std::lock_guard lock(mutex_);
        if (cancelled_) throw HttpError(what + ": cancelled");
        running_ = &client;
      }
      struct Unregister {
        GithubApi* api;
        ~Unregister() {
          const std::lock_guard lock(api->mutex_);
          api->running_ = nullptr;
        }
      } unregister{this};
      response = client.send(request);
    } catch (const HttpError& error) {
      record_error(std::string("no usable answer from the GitHub API: ") + error.what());
      throw GithubApiError(std::string("no usable answer from the GitHub API: ") + error.what());
    }
    if (const auto delay = wait_asked(response); delay && attempt < kAttempts) {
      if (*delay > options_.max_wait) {
        const std::string error = what + ": rate limited by GitHub for " +
                                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*delay).count()) +
                                  " s more (longer than this call waits)";
        record_error(error);
        throw GithubApiError(error, response.status);
      }
      spdlog::warn("github_api {}: rate limited ({}), retrying in {} ms", what, response.status, delay->count());
      record_error(what + ": rate limited (" + std::to_string(response.status) + "), retried");
      wait(*delay);
      continue;
    }
    if (response.status >= 300 && response.status < 400) {
      const std::string error = what + ": the GitHub API answered " + std::to_string(response.status) +
                                " (a redirect, not followed: check git.github.apiUrl)";
      record_error(error);
      throw GithubApiError(error, response.status);
    }
    GithubAnswer answer;
    answer.status = response.status;
    if (!response.body.empty()) {
      answer.body = nlohmann::json::parse(response.body, nullptr, false);
      if (answer.body.is_discarded()) {
        const std::string error =
            what + ": the GitHub API answered " + std::to_string(response.status) + " with malformed JSON";
        record_error(error);
        throw GithubApiError(error, response.status);
      }
    }
    if (response.status >= 400) {
      const std::string message = github_message(answer.body);
      record_error(what + ": " + std::to_string(response.status) + (message.empty() ? "" : " " + message));
    }
    return answer;
  }
}

void GithubApi::cancel() {
  const std::lock_guard lock(mutex_);
  cancelled_ = true;
  if (running_) running_->cancel();
}

std::string GithubApi::last_error() const {
  const std::lock_guard lock(mutex_);
  return last_error_;
}

void GithubApi::record_error(const std::string& error) {
  const std::lock_guard lock(mutex_);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  last_error_ = format_instant(now.count()) + " " + error;
}

}  // namespace histfs::gitstore
