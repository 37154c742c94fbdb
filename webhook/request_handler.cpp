#include "webhook/request_handler.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "gitstore/printable.hpp"

namespace histfs::webhook {

using gitstore::printable;

namespace http = boost::beast::http;

RequestHandler::RequestHandler(const ServerOptions& options, DeliveryJudge& judge, FetchRequest on_fetch, Health health,
                               BodyBudget& budget)
    : options_(options), judge_(judge), on_fetch_(std::move(on_fetch)), health_(std::move(health)), budget_(budget) {}

void RequestHandler::prepare(Parser& parser) const {
  parser.header_limit(64 * 1024);
  parser.body_limit(options_.body_limit);
}

std::optional<Answer> RequestHandler::after_header(boost::beast::error_code error, Parser& parser,
                                                   std::optional<BodyBudget::Hold>& hold) {
  // A Content-Length over the limit stops the parser at the header: the body is never read.
  if (error == http::error::body_limit) return message_answer(413, "payload too large");
  if (error) return message_answer(400, "bad request");
  const auto& request = parser.get();
  const bool webhook = options_.deliveries && request.target() == "/webhook";
  const bool health = request.target() == "/healthz";
  const bool metrics = metrics_ && request.target() == "/metrics";
  if (webhook && request.method() == http::verb::post) {
    // The budget is taken from the length before a byte of the body is read; a chunked body has none to
    // take it from (GitHub always sends a Content-Length).
    if (parser.chunked()) return message_answer(411, "Content-Length required");
    const size_t length = parser.content_length().value_or(0);
    if (length > options_.body_limit) return message_answer(413, "payload too large");
    hold = budget_.take(length);
    if (!hold) return message_answer(503, "busy receiving other bodies, try again later");
    return std::nullopt;
  }
  if (health && request.method() == http::verb::get) {
    try {
      if (health_) return Answer{200, health_()};
    } catch (const std::exception& e) {
      spdlog::error("webhook: /healthz failed: {}", printable(e.what()));
    }
    return message_answer(500, "health report failed");
  }
  if (metrics && request.method() == http::verb::get) {
    try {
      return Answer{200, nullptr, metrics_(), "text/plain; version=0.0.4; charset=utf-8"};
    } catch (const std::exception& e) {
      spdlog::error("webhook: /metrics failed: {}", printable(e.what()));
    }
    return message_answer(500, "metrics failed");
  }
  if (webhook || health || metrics) return message_answer(405, "method not allowed");
  return message_answer(404, "not found");
}

Answer RequestHandler::after_body(boost::beast::error_code error, Parser& parser) {
  const auto started = std::chrono::steady_clock::now();
  const std::string event = printable(std::string(parser.get()["X-GitHub-Event"]));
  const std::string id = printable(std::string(parser.get()["X-GitHub-Delivery"]));
  Answer answer = judge_delivery(error, parser);
  if (observer_) {
    try {
      observer_(event, id, answer.status,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } catch (const std::exception& e) {
      spdlog::error("webhook: counting a delivery failed: {}", printable(e.what()));
    }
  }
  return answer;
}

Answer RequestHandler::judge_delivery(boost::beast::error_code error, Parser& parser) {
  if (error == http::error::body_limit) return message_answer(413, "payload too large");
  if (error) return message_answer(400, "incomplete body");
  auto& request = parser.get();
  Delivery delivery{std::string(request["X-GitHub-Event"]), std::string(request["X-GitHub-Delivery"]),
                    std::string(request["X-Hub-Signature-256"]), std::string(request[http::field::content_type]),
                    std::move(request.body())};
  const std::string event = delivery.event.empty() ? "-" : printable(delivery.event);
  const std::string id = printable(delivery.id);
  std::optional<Verdict> verdict;
  try {
    verdict = judge_.judge(delivery);
  } catch (const std::exception& e) {  // the judge asks the repository for HEAD; a failure there is ours
    spdlog::error("webhook {} delivery {}: {}", event, id.empty() ? "-" : id, printable(e.what()));
    return message_answer(500, "internal error");
  }
  spdlog::info("webhook {} delivery {}: {} {}", event, id.empty() ? "-" : id, verdict->status, verdict->message);
  // Only asks the sync thread; the answer goes out at once (GitHub waits 10 s at most).
  if (verdict->fetch && on_fetch_) on_fetch_(*verdict, id);
  return message_answer(verdict->status, verdict->message);
}

Answer message_answer(int status, const std::string& message) {
  return {status, {{"status", status}, {"message", message}}};
}

Response make_response(const Answer& answer) {
  Response response{static_cast<http::status>(answer.status), 11};
  response.set(http::field::server, "histfs");
  response.keep_alive(false);
  if (answer.text) {
    response.set(http::field::content_type, answer.content_type);
    response.body() = *answer.text;
  } else {
    response.set(http::field::content_type, "application/json");
    response.body() = answer.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  response.prepare_payload();
  return response;
}

}  // namespace histfs::webhook
