#include "gitstore/http_client.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>

namespace histfs::gitstore {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr std::size_t kChunk = 64 * 1024;

struct Url {
  bool tls = false;
  std::string host;  // without brackets for an IPv6 literal
  std::string port;
  std::string target;  // path and query
  std::string user_info;
  std::string redacted;  // scheme://host[:port]/path: safe for messages
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Splits an http(s) URL; the message of a bad one never repeats the URL (it may carry a secret).
Url parse_url(const std::string& text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    throw HttpError("not an http:// or https:// URL");
  }
  const std::size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path_query = path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  if (const std::size_t fragment = path_query.find('#'); fragment != std::string_view::npos) {
    path_query = path_query.substr(0, fragment);
  }
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    url.user_info = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) throw HttpError("bad IPv6 host in URL");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (after.starts_with(":"))
      port = after.substr(1);
    else if (!after.empty())
      throw HttpError("bad host in URL");
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) throw HttpError("no host in URL");
  if (!port.empty() && (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) {
                          return std::isdigit(static_cast<unsigned char>(c));
                        }))) {
    throw HttpError("bad port in URL");
  }
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  url.target =
      path_query.empty() || path_query.front() == '?' ? "/" + std::string(path_query) : std::string(path_query);
  const std::string host_text = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const std::size_t query = url.target.find('?');
  url.redacted = std::string(url.tls ? "https://" : "http://") + host_text + (port.empty() ? "" : ":" + url.port) +
                 url.target.substr(0, query);
  return url;
}

std::string host_header(const Url& url) {
  const std::string host_text = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port = url.port == (url.tls ? "443" : "80");
  return default_port ? host_text : host_text + ":" + url.port;
}

// A file descriptor closed on every path out.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

// The per-client state cancel() reaches: the io_context of the request in progress.
struct HttpClient::Impl {
  std::mutex mutex;
  asio::io_context* running = nullptr;
};

namespace {

// One request on one connection. Every asynchronous step runs the io_context
// on the calling thread until it completes; the stream's expiry bounds it, and
// cancel() stops the io_context from another thread.
class Exchange {
 public:
  Exchange(const HttpClientOptions& options, const std::atomic<bool>& cancelled, const HttpRequest& request,
           const Url& url)
      : options_(options), cancelled_(cancelled), request_(request), url_(url) {}

  HttpResponse run(asio::io_context& io) {
    io_ = &io;
    tcp::resolver resolver(io);
    tcp::resolver::results_type endpoints;
    step(
        "resolve",
        [&](auto done) {
          resolver.async_resolve(
              url_.host, url_.port,
              [done](beast::error_code e, tcp::resolver::results_type r) mutable { done(e, std::move(r)); });
        },
        &endpoints, [&] { resolver.cancel(); });
    if (url_.tls) {
      ssl::context context(ssl::context::tls_client);
      configure_tls(context);
      beast::ssl_stream<beast::tcp_stream> stream(io, context);
      connect(beast::get_lowest_layer(stream), endpoints);
      prepare_handshake(stream);
      beast::get_lowest_layer(stream).expires_after(options_.timeout);
      step_plain(
          "TLS handshake", [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); },
          [&] { beast::get_lowest_layer(stream).close(); },
          [&](beast::error_code e) { return tls_failure(stream, e); });
      return exchange(stream);
    }
    beast::tcp_stream stream(io);
    connect(stream, endpoints);
    return exchange(stream);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw HttpError(request_.method + " " + url_.redacted + ": " + what);
  }

  // Runs one asynchronous operation to completion (or timeout, or cancel).
  template <typename Start, typename Result>
  void step(const char* what, Start start, Result* result, const std::function<void()>& abort) {
    bool finished = false;
    beast::error_code error;
    start([&](beast::error_code e, Result r) {
      finished = true;
      error = e;
      *result = std::move(r);
    });
    drive(what, finished, abort);
    if (error) fail(std::string(what) + " failed: " + error.message());
  }

  template <typename Start>
  std::size_t step_plain(const char* what, Start start, const std::function<void()>& abort,
                         const std::function<std::string(beast::error_code)>& describe = {}) {
    bool finished = false;
    beast::error_code error;
    std::size_t bytes = 0;
    start([&](beast::error_code e, auto... n) {
      finished = true;
      error = e;
      if constexpr (sizeof...(n) == 1) bytes = (n + ...);
    });
    drive(what, finished, abort);
    if (error && error != http::error::need_buffer) {
      if (error == beast::error::timeout) fail(std::string(what) + " timed out");
      fail(std::string(what) + " failed: " + (describe ? describe(error) : error.message()));
    }
    return bytes;
  }

  // Runs the io_context until the started operation finished. A step the
  // stream's expiry does not cover (resolve) gets its own deadline here.
  void drive(const char* what, const bool& finished, const std::function<void()>& abort) {
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (!finished) {
      io_->restart();
      if (cancelled_) {
        abort();
        io_->restart();
        io_->poll();
        fail(std::string(what) + ": cancelled");
      }
      io_->run_until(deadline);
      if (finished) break;
      if (cancelled_) continue;  // stopped by cancel(): the check above ends it
      if (std::chrono::steady_clock::now() >= deadline) {
        abort();
        io_->restart();
        io_->poll();
        fail(std::string(what) + " timed out");
      }
    }
  }

  void connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints) {
    stream.expires_after(options_.timeout);
    tcp::endpoint connected;
    step(
        "connect",
        [&](auto done) {
          stream.async_connect(endpoints, [done](beast::error_code e, tcp::endpoint ep) mutable { done(e, ep); });
        },
        &connected, [&] { stream.close(); });
  }

  void configure_tls(ssl::context& context) {
    context.set_verify_mode(ssl::verify_peer);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code error;
    if (options_.ca_file.empty()) {
      context.set_default_verify_paths(error);
      if (error) fail("cannot load the system's certificate roots: " + error.message());
    } else {
      context.load_verify_file(options_.ca_file, error);
      if (error) fail("cannot read the CA file " + options_.ca_file + ": " + error.message());
    }
  }

  // SNI and the host name (or IP address) the certificate must carry.
  void prepare_handshake(beast::ssl_stream<beast::tcp_stream>& stream) {
    SSL* ssl_handle = stream.native_handle();
    beast::error_code ignored;
    (void)asio::ip::make_address(url_.host, ignored);
    const bool is_ip = !ignored;
    if (!is_ip && !SSL_set_tlsext_host_name(ssl_handle, url_.host.c_str())) fail("cannot set the TLS server name");
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, url_.host.c_str(), url_.host.size());
    if (ok != 1) fail("cannot set the host name to verify");
  }

  static std::string tls_failure(beast::ssl_stream<beast::tcp_stream>& stream, beast::error_code error) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK) return std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify);
    return error.message();
  }

  template <typename Stream>
  HttpResponse exchange(Stream& stream) {
    beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
    const auto abort = [&] { lowest.close(); };
    write_request(stream, lowest, abort);

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // our own limits below
    parser.header_limit(64 * 1024);
    if (iequals(request_.method, "HEAD")) parser.skip(true);
    beast::flat_buffer buffer;
    lowest.expires_after(options_.timeout);
    step_plain(
        "reading the response header", [&](auto done) { http::async_read_header(stream, buffer, parser, done); },
        abort);
    HttpResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    read_body(stream, lowest, parser, buffer, response, abort);
    return response;
  }

  template <typename Stream>
  void write_request(Stream& stream, beast::tcp_stream& lowest, const std::function<void()>& abort) {
    http::request<http::empty_body> head;
    head.method_string(request_.method);
    head.target(url_.target);
    head.version(11);
    head.set(http::field::host, host_header(url_));
    head.set(http::field::user_agent, options_.user_agent);
    head.set(http::field::connection, "close");
    bool has_authorization = false;
    for (const auto& [name, value] : request_.headers) {
      if (value.find_first_of("\r\n") != std::string::npos || name.find_first_of("\r\n: ") != std::string::npos) {
        fail("header " + name + " holds a line break");
      }
      if (iequals(name, "Authorization")) has_authorization = true;
      head.set(name, value);
    }
    if (!has_authorization && !url_.user_info.empty()) {
      const std::size_t colon = url_.user_info.find(':');
      head.set(http::field::authorization,
               basic_authorization(url_.user_info.substr(0, colon),
                                   colon == std::string::npos ? "" : url_.user_info.substr(colon + 1)));
    }
    std::optional<Fd> file;
    std::uint64_t total = request_.body.size();
    if (request_.body_file) {
      file.emplace(::open(request_.body_file->c_str(), O_RDONLY | O_CLOEXEC));
      if (file->fd < 0) fail("cannot open the body file: " + std::string(std::strerror(errno)));
      struct stat st {};
      if (::fstat(file->fd, &st) != 0 || !S_ISREG(st.st_mode)) fail("the body file is not a regular file");
      total = static_cast<std::uint64_t>(st.st_size);
    }
    if (total > 0 || !(iequals(request_.method, "GET") || iequals(request_.method, "HEAD"))) {
      head.content_length(total);
    }
    http::request_serializer<http::empty_body> serializer(head);
    lowest.expires_after(options_.timeout);
    step_plain(
        "sending the request", [&](auto done) { http::async_write_header(stream, serializer, done); }, abort);

    std::uint64_t sent = 0;
    std::vector<char> chunk(file ? kChunk : 0);
    while (sent < total) {
      asio::const_buffer piece;
      if (file) {
        const ssize_t n = ::read(file->fd, chunk.data(),
                                 static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - sent)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot read the body file: " + std::string(std::strerror(errno)));
        if (n == 0) fail("the body file shrank while being sent");
        piece = asio::buffer(chunk.data(), static_cast<std::size_t>(n));
      } else {
        const std::size_t n = std::min<std::uint64_t>(kChunk, total - sent);
        piece = asio::buffer(request_.body.data() + sent, n);
      }
      lowest.expires_after(options_.timeout);
      step_plain(
          "sending the request body", [&](auto done) { asio::async_write(stream, piece, done); }, abort);
      sent += piece.size();
      if (request_.progress) request_.progress(sent, total);
    }
  }

  template <typename Stream>
  void read_body(Stream& stream, beast::tcp_stream& lowest, http::response_parser<http::buffer_body>& parser,
                 beast::flat_buffer& buffer, HttpResponse& response, const std::function<void()>& abort) {
    const bool to_file = request_.response_file && response.status >= 200 && response.status < 300;
    std::optional<Fd> file;
    if (to_file) {
      file.emplace(
          ::open(request_.response_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
      if (file->fd < 0) fail("cannot create the response file: " + std::string(std::strerror(errno)));
      if (::fchmod(file->fd, 0600) != 0) fail("cannot make the response file private");
    }
    const std::uint64_t total = parser.content_length().value_or(0);
    std::uint64_t received = 0;
    std::vector<char> chunk(kChunk);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      lowest.expires_after(options_.timeout);
      beast::error_code error;
      bool finished = false;
      http::async_read_some(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
        finished = true;
        error = e;
      });
      drive("reading the response body", finished, abort);
      if (error == beast::error::timeout) fail("reading the response body timed out");
      if (error && error != http::error::need_buffer) fail("reading the response body failed: " + error.message());
      const std::size_t n = chunk.size() - parser.get().body().size;
      if (n == 0) continue;
      received += n;
      if (to_file) {
        for (std::size_t off = 0; off < n;) {
          const ssize_t w = ::write(file->fd, chunk.data() + off, n - off);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) fail("cannot write the response file: " + std::string(std::strerror(errno)));
          off += static_cast<std::size_t>(w);
        }
      } else {
        if (received > options_.max_memory_body) {
          fail("the response body exceeds " + std::to_string(options_.max_memory_body) + " bytes");
        }
        response.body.append(chunk.data(), n);
      }
      if (request_.progress) request_.progress(received, total);
    }
    if (file && ::fsync(file->fd) != 0) fail("cannot write the response file: " + std::string(std::strerror(errno)));
  }

  const HttpClientOptions& options_;
  const std::atomic<bool>& cancelled_;
  const HttpRequest& request_;
  const Url& url_;
  asio::io_context* io_ = nullptr;
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)), impl_(new Impl) {}

HttpClient::~HttpClient() { delete impl_; }

HttpResponse HttpClient::send(const HttpRequest& request) {
  const Url url = parse_url(request.url);
  if (cancelled_) throw HttpError(request.method + " " + url.redacted + ": cancelled");
  asio::io_context io(1);
  {
    const std::lock_guard lock(impl_->mutex);
    impl_->running = &io;
  }
  struct Unregister {
    Impl* impl;
    ~Unregister() {
      const std::lock_guard lock(impl->mutex);
      impl->running = nullptr;
    }
  } unregister{impl_};
  Exchange exchange(options_, cancelled_, request, url);
  return exchange.run(io);
}

void HttpClient::cancel() {
  cancelled_ = true;
  const std::lock_guard lock(impl_->mutex);
  if (impl_->running) impl_->running->stop();
}

std::string basic_authorization(const std::string& user, const std::string& password) {
  const std::string plain = user + ":" + password;
  std::string encoded(beast::detail::base64::encoded_size(plain.size()), '\0');
  encoded.resize(beast::detail::base64::encode(encoded.data(), plain.data(), plain.size()));
  return "Basic " + encoded;
}

}  // namespace histfs::gitstore
