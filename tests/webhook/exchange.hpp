#pragma once
// One request through a RequestHandler as a connection of webhook::Server runs
// it (header, then body, then the answer), from bytes in memory instead of a
// socket: for the unit tests and the fuzz target. The server's deadline and
// draining are the only parts left out.
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>

#include "webhook/request_handler.hpp"

namespace histfs::webhook::testing {

struct Exchange {
  Answer answer;
  std::string wire;        // the whole HTTP response as sent
  bool body_read = false;  // the handler asked for the body
};

namespace detail {

// Feeds bytes from `used` on until done() or an error; running out of bytes is the client closing.
template <typename Done>
boost::beast::error_code feed(Parser& parser, std::string_view bytes, size_t& used, Done done) {
  namespace http = boost::beast::http;
  boost::beast::error_code error;
  while (!done()) {
    const size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), error);
    used += n;
    if (error == http::error::need_more || (!error && n == 0)) {
      if (used < bytes.size() && n > 0) {
        error = {};
        continue;
      }
      error = {};
      if (!parser.got_some()) return http::error::end_of_stream;  // as a read gives it (put_eof asserts)
      parser.put_eof(error);
      if (!error && !done()) error = http::error::partial_message;
      break;
    }
    if (error) break;
  }
  return error;
}

}  // namespace detail

inline Exchange exchange(RequestHandler& handler, std::string_view bytes) {
  Parser parser;
  handler.prepare(parser);
  size_t used = 0;
  auto error = detail::feed(parser, bytes, used, [&] { return parser.is_header_done(); });
  std::optional<BodyBudget::Hold> hold;
  Exchange result{{0, nullptr}, {}, false};
  if (auto answer = handler.after_header(error, parser, hold)) {
    result.answer = std::move(*answer);
  } else {
    result.body_read = true;
    error = detail::feed(parser, bytes, used, [&] { return parser.is_done(); });
    result.answer = handler.after_body(error, parser);
  }
  std::ostringstream wire;
  wire << make_response(result.answer);
  result.wire = wire.str();
  return result;
}

}  // namespace histfs::webhook::testing
