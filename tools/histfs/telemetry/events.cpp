#include "tools/histfs/telemetry/events.hpp"

#include <atomic>
#include <cstdio>
#include <random>

#include <spdlog/spdlog.h>

namespace histfs::telemetry {
namespace {

thread_local std::string cycle;
thread_local const nlohmann::json* logging_now = nullptr;
std::atomic<bool> json_format{false};

// Points the formatter at the event for the length of one spdlog call.
struct Logging {
  explicit Logging(const nlohmann::json& fields) { logging_now = &fields; }
  ~Logging() { logging_now = nullptr; }
  Logging(const Logging&) = delete;
  Logging& operator=(const Logging&) = delete;
};

}  // namespace

std::string new_event_id() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(engine()),
                static_cast<unsigned long long>(engine()));
  return text;
}

Event::Event(std::string_view name, std::string id) {
  if (id.empty()) id = cycle.empty() ? new_event_id() : cycle;
  fields_ = nlohmann::json::object();
  fields_["event"] = std::string(name);
  fields_["id"] = std::move(id);
}

Event& Event::with(const std::string& key, nlohmann::json value) {
  fields_[key] = std::move(value);
  return *this;
}

void Event::log(spdlog::level::level_enum level, std::string_view message) const {
  Logging scope(fields_);
  spdlog::log(level, "{}", message);
}

void Event::log_json_only(spdlog::level::level_enum level, std::string_view message) const {
  if (json_log()) log(level, message);
}

CycleScope::CycleScope(std::string id) : previous_(std::move(cycle)) { cycle = std::move(id); }
CycleScope::~CycleScope() { cycle = std::move(previous_); }

const std::string& current_cycle() { return cycle; }

void set_json_log(bool json) { json_format.store(json, std::memory_order_relaxed); }
bool json_log() { return json_format.load(std::memory_order_relaxed); }
const nlohmann::json* event_being_logged() { return logging_now; }

}  // namespace histfs::telemetry
