#include "tools/histfs/daemon/webhook_service.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "gitstore/git_handle.hpp"
#include "tools/histfs/daemon/metrics_page.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/protocol/control_protocol.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::daemon {

using settings::ConfigError;

std::unique_ptr<WebhookService> WebhookService::prepare(const settings::Config& config) {
  if (config.git.webhook_secret_file.empty()) return nullptr;
  std::ifstream in(config.git.webhook_secret_file);
  if (!in) throw ConfigError("git.webhook.secretFile: cannot read " + config.git.webhook_secret_file);
  std::stringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) throw ConfigError("git.webhook.secretFile: " + config.git.webhook_secret_file + " is empty");

  webhook::ServerOptions options;
  try {
    webhook::parse_listen(config.git.webhook_listen, options.host, options.port);
  } catch (const std::exception& error) {
    throw ConfigError(std::string("git.webhook.listen: ") + error.what());
  }
  options.tls_cert = config.git.webhook_tls_cert;
  options.tls_key = config.git.webhook_tls_key;
  std::unique_ptr<WebhookService> service(
      new WebhookService(options, webhook::DeliveryRules{secret, config.git.webhook_repository, "main"}));
  // Fail now, while the user still sees our messages, rather than after detaching.
  webhook::DeliveryJudge probe_judge(service->rules_, [](const std::string&) { return false; });
  try {
    webhook::Server(options, probe_judge, nullptr, nullptr).check();
  } catch (const std::exception& error) {
    throw ConfigError(std::string("git.webhook.listen: ") + error.what());
  }
  return service;
}

void WebhookService::start(DaemonContext& context) {
  judge_ = std::make_unique<webhook::DeliveryJudge>(rules_, [&context](const std::string& after) {
    auto head = context.history.head();
    return head && gitstore::oid_hex(*head) == after;
  });
  server_ = std::make_unique<webhook::Server>(
      options_, *judge_,
      [&context](const webhook::Verdict& verdict, const std::string& id) {
        if (auto sync = context.remote_sync())
          sync->fetch_soon("webhook " + id);
        else
          spdlog::warn("webhook: a push to {} arrived but no remote is connected", verdict.after.substr(0, 12));
      },
      [&context]() {
        auto head = context.history.head();
        auto sync = context.remote_sync();
        // Names (conflicting paths) in the printable form, as in `histfs status --json`.
        return protocol::printable_answer(
            {{"status", "ok"},
             {"head", head ? nlohmann::json(gitstore::oid_hex(*head)) : nlohmann::json(nullptr)},
             {"remote", sync ? sync->status() : nlohmann::json(nullptr)}});
      });
  server_->serve_metrics([&context] { return metrics_page(context); });
  server_->observe_deliveries([&context](const std::string& event, const std::string& id, int status, double seconds) {
    context.metrics.webhook(status);
    // The delivery id is the pull's id too (RemoteSync names its cycle after it).
    telemetry::Event("webhook", id.empty() ? std::string() : id)
        .with("github_event", event)
        .with("status", status)
        .with("duration_ms", std::round(seconds * 1e6) / 1e3)
        .log_json_only(spdlog::level::info, "webhook " + event + " delivery " + id);
  });
  server_->start();
  spdlog::info("webhook server listening on {}://{}:{}", options_.tls_cert.empty() ? "http" : "https", options_.host,
               server_->port());
}

void WebhookService::stop() {
  if (server_) server_->stop();
}

}  // namespace histfs::daemon
