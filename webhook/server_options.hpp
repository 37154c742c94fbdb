#pragma once
// The webhook server's address, TLS files and limits.
#include <chrono>
#include <cstddef>
#include <string>

namespace histfs::webhook {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 8765;  // 0: any free port (tests)
  std::string tls_cert;        // PEM chain; with tls_key, serve HTTPS
  std::string tls_key;
  std::chrono::seconds timeout{10};      // for a whole connection: header, body, answer
  size_t body_limit = 25 * 1024 * 1024;  // GitHub caps payloads at 25 MB
  // All bodies being read at once, on every connection; beyond it: 503. Two bodies of the largest size fit.
  size_t body_budget = 64 * 1024 * 1024;
  // Connections open at once; beyond it a new one is closed at once. With the 64 KB header limit this bounds
  // what headers hold, and keeps the daemon's file descriptors for the filesystem.
  size_t max_connections = 256;
  // false: a metrics-only listener (git.metrics.listen): POST /webhook is 404 there.
  bool deliveries = true;
};

}  // namespace histfs::webhook
