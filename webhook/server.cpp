#include "webhook/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <optional>
#include <stdexcept>
#include <thread>

#include "gitstore/printable.hpp"

namespace histfs::webhook {

using gitstore::printable;
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Shared {
  Shared(ServerOptions options_in, DeliveryJudge& judge_in, Server::FetchRequest on_fetch, Server::Health health)
      : options(std::move(options_in)),
        judge(judge_in),
        budget(options.body_budget),
        handler(options, judge, std::move(on_fetch), std::move(health), budget) {}
  ServerOptions options;
  DeliveryJudge& judge;
  BodyBudget budget;
  RequestHandler handler;
  size_t connections = 0;  // open now; only the io thread touches it
};

// One connection: read one request (header first), answer, close. Stream is a
// beast::tcp_stream or an ssl_stream over one. What to answer is the handler's.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared& shared) : stream_(std::move(stream)), shared_(shared) { ++shared_.connections; }
  ~Session() { --shared_.connections; }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

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
    shared_.handler.prepare(*parser_);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code error, size_t) { self->on_header(error); });
  }

  void on_header(beast::error_code error) {
    if (auto answer = shared_.handler.after_header(error, *parser_, hold_)) return reply(*answer);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, size_t) { self->on_body(e); });
  }

  void on_body(beast::error_code error) {
    const Answer answer = shared_.handler.after_body(error, *parser_);
    // The body is gone (moved out and freed by the handler); what the parser and buffer kept goes now, and
    // only then its share of the budget, whose release may return the memory to the system.
    parser_.reset();
    buffer_ = beast::flat_buffer();
    hold_.reset();
    reply(answer);
  }

  void reply(const Answer& answer) {
    response_ = make_response(answer);
    http::async_write(stream_, *response_, [self = this->shared_from_this()](beast::error_code error, size_t) {
      self->response_.reset();
      if (error) return;
      beast::error_code ignored;
      self->lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

  // Reads and drops whatever the client still sends, until it closes or the deadline: closing with unread
  // data resets the connection, and a client still sending a body we refused (413, 503) would lose the
  // answer. Below TLS on purpose: nothing is decrypted, and the memory is this one small buffer.
  void drain() {
    lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code error, size_t) {
                               if (!error) self->drain();
                             });
  }

  Stream stream_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  std::optional<BodyBudget::Hold> hold_;  // declared before parser_: destroyed after the body it stands for
  std::optional<Parser> parser_;
  std::optional<Response> response_;
  std::array<char, 4096> scratch_{};
};

}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, DeliveryJudge& judge, FetchRequest on_fetch, Health health)
      : shared(std::move(options), judge, std::move(on_fetch), std::move(health)) {}
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
      // Over the limit a connection is closed unread: it would cost a descriptor and up to 64 KB of header.
      if (shared.connections >= shared.options.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);
        return accept();
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

  // The one thread. Handlers do not throw for anything a client sends (request_handler), so an exception
  // here is a bug or an allocation failure: it ends that connection, logged, never the daemon.
  void run() {
    for (;;) {
      try {
        io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("webhook server: {}", printable(e.what()));
      }
    }
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
    : impl_(std::make_unique<Impl>(std::move(options), judge, std::move(on_fetch), std::move(health))) {}

Server::~Server() { stop(); }

void Server::check() const {
  Server probe(impl_->shared.options, impl_->shared.judge, nullptr, nullptr);
  probe.start();
  probe.stop();
}

void Server::serve_metrics(MetricsPage page) { impl_->shared.handler.serve_metrics(std::move(page)); }

void Server::observe_deliveries(DeliveryObserver observer) {
  impl_->shared.handler.observe_deliveries(std::move(observer));
}

void Server::start() {
  auto& o = impl_->shared.options;
  if (!o.tls_cert.empty() || !o.tls_key.empty()) {
    impl_->tls.emplace(asio::ssl::context::tls_server);
    try {
      impl_->tls->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                              asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
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
    throw std::runtime_error("webhook: cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                             error.message());
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->run(); });
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
