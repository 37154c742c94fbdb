#include "webhook/server.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <optional>
#include <stdexcept>

namespace histfs::webhook {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Shared {
  ServerOptions options;
  DeliveryJudge& judge;
  Server::FetchRequest on_fetch;
  Server::Health health;
};

http::response<http::string_body> make_response(unsigned version, int status, const nlohmann::json& body) {
  http::response<http::string_body> response{static_cast<http::status>(status), version};
  response.set(http::field::server, "histfs");
  response.set(http::field::content_type, "application/json");
  response.keep_alive(false);
  response.body() = body.dump() + "\n";
  response.prepare_payload();
  return response;
}

// One connection: read one request (header first), answer, close. Stream is a
// beast::tcp_stream or an ssl_stream over one.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared& shared) : stream_(std::move(stream)), shared_(shared) {}

  void run() {
    lowest().expires_after(shared_.options.timeout);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_header();
    } else {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (!error) self->read_header();
                              });
    }
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(64 * 1024);
    parser_->body_limit(shared_.options.body_limit);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code error, size_t) { self->on_header(error); });
  }

  void on_header(beast::error_code error) {
    // A Content-Length over the limit stops the parser at the header: the body is never read.
    if (error == http::error::body_limit) return answer(413, "payload too large");
    if (error) return answer(400, "bad request");
    auto& request = parser_->get();
    // Refused from its Content-Length alone: a huge body is never read.
    if (parser_->content_length() && *parser_->content_length() > shared_.options.body_limit)
      return answer(413, "payload too large");
    if (request.method() == http::verb::post && request.target() == "/webhook") {
      http::async_read(stream_, buffer_, *parser_,
                       [self = this->shared_from_this()](beast::error_code e, size_t) { self->on_body(e); });
      return;
    }
    if (request.target() == "/healthz" && request.method() == http::verb::get)
      return reply(200, shared_.health());
    if (request.target() == "/webhook" || request.target() == "/healthz") return answer(405, "method not allowed");
    answer(404, "not found");
  }

  void on_body(beast::error_code error) {
    if (error == http::error::body_limit) return answer(413, "payload too large");
    if (error) return answer(400, "incomplete body");
    auto& request = parser_->get();
    Delivery delivery{std::string(request["X-GitHub-Event"]), std::string(request["X-GitHub-Delivery"]),
                      std::string(request["X-Hub-Signature-256"]), std::string(request[http::field::content_type]),
                      request.body()};
    Verdict verdict = shared_.judge.judge(delivery);
    spdlog::info("webhook {} {} delivery {}: {} {}", delivery.event.empty() ? "-" : delivery.event,
                 delivery.id.empty() ? "-" : delivery.id, verdict.status, verdict.message, "");
    answer(verdict.status, verdict.message);
    // Answered first (GitHub waits 10 s at most); the fetch happens on the sync thread.
    if (verdict.fetch) shared_.on_fetch(verdict, delivery.id);
  }

  void answer(int status, const std::string& text) { reply(status, {{"status", status}, {"message", text}}); }

  void reply(int status, const nlohmann::json& body) {
    response_ = make_response(11, status, body);
    http::async_write(stream_, *response_, [self = this->shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
  }

  Stream stream_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

struct Server::Impl {
  explicit Impl(Shared shared_in) : shared(std::move(shared_in)) {}
  Shared shared;
  asio::io_context io{1};
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::thread thread;

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
      if (error) {
        if (error != asio::error::operation_aborted) accept();
        return;
      }
      beast::tcp_stream stream(std::move(socket));
      if (tls)
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls), shared)
            ->run();
      else
        std::make_shared<Session<beast::tcp_stream>>(std::move(stream), shared)->run();
      accept();
    });
  }
};

void parse_listen(const std::string& text, std::string& host, unsigned short& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got \"" + text + "\"");
  host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(digits) > 65535)
    throw std::invalid_argument("bad port in \"" + text + "\"");
  port = static_cast<unsigned short>(std::stoul(digits));
}

Server::Server(ServerOptions options, DeliveryJudge& judge, FetchRequest on_fetch, Health health)
    : impl_(std::make_unique<Impl>(Shared{std::move(options), judge, std::move(on_fetch), std::move(health)})) {}

Server::~Server() { stop(); }

void Server::check() const {
  Server probe(impl_->shared.options, impl_->shared.judge, nullptr, nullptr);
  probe.start();
  probe.stop();
}

void Server::start() {
  auto& o = impl_->shared.options;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    try {
      impl_->tls->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                              asio::ssl::context::no_tlsv1_1);
      impl_->tls->use_certificate_chain_file(o.tls_cert);
      impl_->tls->use_private_key_file(o.tls_key, asio::ssl::context::pem);
    } catch (const std::exception& error) {
      throw std::runtime_error("webhook TLS: cannot load " + o.tls_cert + " / " + o.tls_key + ": " + error.what());
    }
  }
  beast::error_code error;
  const auto address = asio::ip::make_address(o.host, error);
  if (error) throw std::runtime_error("webhook: bad listen address " + o.host);
  const tcp::endpoint endpoint(address, o.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw std::runtime_error("webhook: cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + error.message());
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

void Server::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
  impl_->thread.join();
}

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace histfs::webhook
