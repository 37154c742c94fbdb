#pragma once
// The webhook HTTP(S) server, inside the daemon: POST /webhook for GitHub
// deliveries, GET /healthz and GET /metrics. One thread runs all connections asynchronously;
// every connection has a deadline, bodies over the limit are refused from
// their Content-Length before they are read, all bodies being read share one
// byte budget, and nothing a client sends can block the filesystem: a fetch is
// only requested, never run here. What to answer is request_handler's part.
#include <memory>
#include <string>

#include "webhook/delivery.hpp"
#include "webhook/request_handler.hpp"
#include "webhook/server_options.hpp"

namespace histfs::webhook {

class Server {
 public:
  using FetchRequest = RequestHandler::FetchRequest;
  using Health = RequestHandler::Health;
  using MetricsPage = RequestHandler::MetricsPage;
  using DeliveryObserver = RequestHandler::DeliveryObserver;

  Server(ServerOptions options, DeliveryJudge& judge, FetchRequest on_fetch, Health health);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Before start(): GET /metrics answers with `page` (the daemon's Prometheus text; webhook/ knows no
  // counters of its own), and `observer` hears of every delivery answered.
  void serve_metrics(MetricsPage page);
  void observe_deliveries(DeliveryObserver observer);

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
