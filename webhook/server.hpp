#pragma once
// The webhook HTTP(S) server, inside the daemon: POST /webhook for GitHub
// deliveries, GET /healthz. One thread runs all connections asynchronously;
// every connection has a deadline, bodies over the limit are refused from
// their Content-Length before they are read, and nothing a client sends can
// block the filesystem: a fetch is only requested, never run here.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "webhook/delivery.hpp"

namespace histfs::webhook {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8765;  // 0: any free port (tests)
  std::string tls_cert;        // PEM chain; with tls_key, serve HTTPS
  std::string tls_key;
  std::chrono::seconds timeout{10};
  size_t body_limit = 25 * 1024 * 1024;  // GitHub caps payloads at 25 MB
};

class Server {
 public:
  using FetchRequest = std::function<void(const Verdict& verdict, const std::string& delivery_id)>;
  using Health = std::function<nlohmann::json()>;

  Server(ServerOptions options, DeliveryJudge& judge, FetchRequest on_fetch, Health health);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws std::runtime_error with the address on failure) and starts serving.
  void start();
  // Checks, before the daemon detaches, that start() will work: TLS files load, the
  // address can be bound. Throws std::runtime_error saying what is wrong.
  void check() const;
  void stop();
  unsigned short port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1:8765", "[::1]:8765", ":8765" -> host and port; throws std::invalid_argument.
void parse_listen(const std::string& text, std::string& host, unsigned short& port);

}  // namespace histfs::webhook
