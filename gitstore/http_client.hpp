#pragma once
// One HTTP(S) request at a time over Boost.Beast and OpenSSL, for everything
// histfs says to a server besides git itself: the Git LFS batch API and its
// transfers, and the GitHub REST API (App tokens, repository creation).
//
// What it promises, because every caller relies on it:
// - https:// verifies the server's certificate and host name against the
//   system roots, or only against `ca_file` when one is given (as git.caFile);
//   http:// is plain (tests, local servers).
// - Every request is bounded: connect, TLS handshake, and each read or write
//   must make progress within `timeout`; a stalled server is an HttpError,
//   never a hang. `cancel()` ends a request in progress from another thread.
// - Redirects are never followed: a 3xx comes back as a response, so a caller
//   decides, and credentials never travel to another host.
// - Bodies can stream from and to files, so a 2 GiB LFS object never sits in
//   memory.
// - Error messages name the method and the URL without its query or user
//   info, never a header value (Authorization stays out of logs).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace histfs::gitstore {

// The request could not be sent or no complete response came back (DNS,
// refused, TLS, certificate, timeout, cancelled, malformed response).
struct HttpError : std::runtime_error {
  using runtime_error::runtime_error;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://, with an optional port and query
  HttpHeaders headers;
  std::string body;                                // sent when body_file is not set
  std::optional<std::filesystem::path> body_file;  // streamed as the body (Content-Length from its size)
  // When set, a 2xx response's body is streamed into this file (created or
  // truncated, mode 0600) instead of HttpResponse::body; other statuses keep
  // their (bounded) body in memory for the error message.
  std::optional<std::filesystem::path> response_file;
  // Called as body bytes go out or come in: (bytes so far, total or 0 when unknown).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;  // empty when streamed to response_file
  // The first header of that name (case-insensitive), nullopt when absent.
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpClientOptions {
  std::string ca_file;                          // "" = the system roots
  std::chrono::milliseconds timeout{60000};     // per step: connect, handshake, each read/write
  std::uint64_t max_memory_body = 64ull << 20;  // a larger in-memory response body is an HttpError
  std::string user_agent = "histfs";
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response (any status). Throws
  // HttpError when there is no complete response.
  HttpResponse send(const HttpRequest& request);
  // Ends the request in progress (from any thread) with an HttpError; later ones too.
  void cancel();

 private:
  HttpClientOptions options_;
  std::atomic<bool> cancelled_{false};
  struct Impl;
  Impl* impl_ = nullptr;  // the connection of the request in progress, for cancel()
};

// "user:password" as an Authorization: Basic header value.
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace histfs::gitstore
