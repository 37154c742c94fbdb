#include "webhook/delivery.hpp"

#include <optional>

#include <nlohmann/json.hpp>

#include "gitstore/printable.hpp"
#include "webhook/signature.hpp"

namespace histfs::webhook {

using gitstore::printable;
namespace {

constexpr size_t kRememberedDeliveries = 4096;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const nlohmann::json* member(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> string_member(const nlohmann::json& object, const char* key) {
  const auto* value = member(object, key);
  if (!value || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
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
    if (d.content_type.starts_with("application/x-www-form-urlencoded")) {
      if (!d.body.starts_with("payload=")) return {400, "form body without payload="};
      const auto end = d.body.find('&');
      payload = nlohmann::json::parse(form_decode(d.body.substr(8, end == std::string::npos ? end : end - 8)));
    } else {
      payload = nlohmann::json::parse(d.body);  // not copied: the body may be 25 MB
    }
  } catch (const std::exception&) {
    return {400, "malformed body"};
  }
  if (!payload.is_object()) return {400, "malformed body"};
  if (d.event != "push") return {202, "ignored event " + printable(d.event)};

  // A signed body is still only as well-formed as its sender made it: every field is checked for its type
  // (nlohmann's value() and get() throw on a wrong one), and a push without them is refused.
  const nlohmann::json* repository = member(payload, "repository");
  if (!repository || !repository->is_object()) return {400, "push without a repository object"};
  const auto ref = string_member(payload, "ref");
  const auto after = string_member(payload, "after");
  const auto full_name = string_member(*repository, "full_name");
  if (!ref) return {400, "push without a string ref"};
  if (!after) return {400, "push without a string after"};
  if (!full_name) return {400, "push without a string repository.full_name"};
  if (!rules_.repository.empty() && *full_name != rules_.repository) return {202, "ignored: another repository"};
  if (*ref != "refs/heads/" + rules_.branch) return {202, "ignored: another branch"};
  if (after->size() != 40 || after->find_first_not_of("0123456789abcdef") != std::string::npos)
    return {400, "push without a valid after"};
  if (!d.id.empty() && seen_before(d.id)) return {202, "duplicate delivery " + printable(d.id)};
  if (*after == std::string(40, '0')) return {202, "ignored: branch deleted"};
  if (is_our_head_(*after)) return {202, "already have " + after->substr(0, 12)};
  return {202, "fetching " + after->substr(0, 12), true, *after};
}

}  // namespace histfs::webhook
