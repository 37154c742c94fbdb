#pragma once
// What to do with one webhook delivery: checked signature, parsed body (JSON
// or form-encoded payload=...), event, repository and branch, duplicates.
// Independent of HTTP plumbing, so every rule is unit-tested.
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>

namespace histfs::webhook {

struct DeliveryRules {
  std::string secret;
  std::string repository;  // "owner/name" to accept; empty accepts any
  std::string branch = "main";
};

struct Delivery {
  std::string event;         // X-GitHub-Event
  std::string id;            // X-GitHub-Delivery
  std::string signature;     // X-Hub-Signature-256
  std::string content_type;  // Content-Type
  std::string body;          // raw bytes, as received
};

struct Verdict {
  Verdict(int status_in, std::string message_in, bool fetch_in = false, std::string after_in = {})
      : status(status_in), message(std::move(message_in)), fetch(fetch_in), after(std::move(after_in)) {}
  int status;           // HTTP status to answer
  std::string message;  // short text for the answer and the log
  bool fetch;           // a push we should fetch
  std::string after;    // the pushed commit, for a fetch
};

class DeliveryJudge {
 public:
  // is_our_head(after): a push we made ourselves comes back as a delivery too.
  DeliveryJudge(DeliveryRules rules, std::function<bool(const std::string&)> is_our_head);
  Verdict judge(const Delivery& delivery);

 private:
  bool seen_before(const std::string& id);

  DeliveryRules rules_;
  std::function<bool(const std::string&)> is_our_head_;
  std::mutex mutex_;  // guards seen_ and order_; a leaf
  std::set<std::string> seen_;
  std::deque<std::string> order_;  // oldest first, to forget beyond a bound
};

// Decodes application/x-www-form-urlencoded text (+ and %XX).
std::string form_decode(const std::string& text);

}  // namespace histfs::webhook
