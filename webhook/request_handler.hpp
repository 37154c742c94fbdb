#pragma once
// What the webhook server answers to one request, decided without any I/O: a
// connection (server.cpp) only reads, writes and keeps time, so the unit tests
// and the fuzz target (tests/fuzz/webhook_fuzz.cpp) run the very decisions a
// client meets. Nothing here throws for any bytes a client can send, and every
// string that reaches an answer or the log from the request is printable().
#include <functional>
#include <optional>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "webhook/body_budget.hpp"
#include "webhook/delivery.hpp"
#include "webhook/server_options.hpp"

namespace histfs::webhook {

using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct Answer {
  int status;
  nlohmann::json body;  // {"status": N, "message": "..."}, or the health report
  // A plain-text answer instead of the JSON body (/metrics), with its content type.
  std::optional<std::string> text{};
  std::string content_type{};
};

class RequestHandler {
 public:
  // Called for a push to fetch (delivery_id is printable()); must only ask for the fetch, never run it.
  using FetchRequest = std::function<void(const Verdict& verdict, const std::string& delivery_id)>;
  using Health = std::function<nlohmann::json()>;
  // GET /metrics: the Prometheus text; unset = 404. Runs on the server's thread: only reads counters.
  using MetricsPage = std::function<std::string()>;
  // Every delivery answered (POST /webhook): the event and delivery id (printable()), the status and how
  // long judging it took. Called on the server's thread; must only count and log.
  using DeliveryObserver =
      std::function<void(const std::string& event, const std::string& delivery_id, int status, double seconds)>;

  RequestHandler(const ServerOptions& options, DeliveryJudge& judge, FetchRequest on_fetch, Health health,
                 BodyBudget& budget);

  // Limits for a fresh parser, before the header is read.
  void prepare(Parser& parser) const;
  // After the header (error: what reading it gave). An answer means: send it, the body is never read.
  // Nothing means: read the body, keeping `hold` (its share of the body budget) until the body is freed.
  std::optional<Answer> after_header(boost::beast::error_code error, Parser& parser,
                                     std::optional<BodyBudget::Hold>& hold);
  // After the body: judges the delivery, logs it and asks for a fetch. The body is moved out of the
  // parser and freed before this returns.
  Answer after_body(boost::beast::error_code error, Parser& parser);

  // Set before the server starts.
  void serve_metrics(MetricsPage page) { metrics_ = std::move(page); }
  void observe_deliveries(DeliveryObserver observer) { observer_ = std::move(observer); }

 private:
  Answer judge_delivery(boost::beast::error_code error, Parser& parser);
  MetricsPage metrics_;
  DeliveryObserver observer_;
  const ServerOptions& options_;
  DeliveryJudge& judge_;
  FetchRequest on_fetch_;
  Health health_;
  BodyBudget& budget_;
};

Answer message_answer(int status, const std::string& message);

// The HTTP response for an answer (Connection: close). Never throws: a string in the body that is not UTF-8
// (the health report is built elsewhere) is written with U+FFFD in its place rather than ending the daemon.
Response make_response(const Answer& answer);

}  // namespace histfs::webhook
