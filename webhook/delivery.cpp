#include "webhook/delivery.hpp"

#include <nlohmann/json.hpp>

#include "webhook/signature.hpp"

namespace histfs::webhook {
namespace {

constexpr size_t kRememberedDeliveries = 4096;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string form_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += char(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

DeliveryJudge::DeliveryJudge(DeliveryRules rules, std::function<bool(const std::string&)> is_our_head)
    : rules_(std::move(rules)), is_our_head_(std::move(is_our_head)) {}

bool DeliveryJudge::seen_before(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (!seen_.insert(id).second) return true;
  order_.push_back(id);
  if (order_.size() > kRememberedDeliveries) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return false;
}

Verdict DeliveryJudge::judge(const Delivery& d) {
  // The signature covers the raw bytes: checked before anything is parsed.
  if (d.signature.empty()) return {401, "missing X-Hub-Signature-256"};
  if (!signature_matches(rules_.secret, d.body, d.signature)) return {401, "bad signature"};
  if (d.event.empty()) return {400, "missing X-GitHub-Event"};
  if (d.event == "ping") return {200, "pong"};  // signed is all a ping needs to be

  nlohmann::json payload;
  try {
    std::string text = d.body;
    if (d.content_type.starts_with("application/x-www-form-urlencoded")) {
      if (!text.starts_with("payload=")) return {400, "form body without payload="};
      text = form_decode(text.substr(8, text.find('&') == std::string::npos ? std::string::npos : text.find('&') - 8));
    }
    payload = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    return {400, "malformed body"};
  }
  if (!payload.is_object()) return {400, "malformed body"};
  if (d.event != "push") return {202, "ignored event " + d.event};

  const auto ref = payload.value("ref", std::string());
  const auto& repository = payload.contains("repository") && payload["repository"].is_object() ? payload["repository"]
                                                                                                 : nlohmann::json::object();
  const auto full_name = repository.value("full_name", std::string());
  const auto after = payload.value("after", std::string());
  if (!rules_.repository.empty() && full_name != rules_.repository) return {202, "ignored: another repository"};
  if (ref != "refs/heads/" + rules_.branch) return {202, "ignored: another branch"};
  if (after.size() != 40 || after.find_first_not_of("0123456789abcdef") != std::string::npos)
    return {400, "push without a valid after"};
  if (!d.id.empty() && seen_before(d.id)) return {202, "duplicate delivery " + d.id};
  if (after == std::string(40, '0')) return {202, "ignored: branch deleted"};
  if (is_our_head_(after)) return {202, "already have " + after.substr(0, 12)};
  return {202, "fetching " + after.substr(0, 12), true, after};
}

}  // namespace histfs::webhook
