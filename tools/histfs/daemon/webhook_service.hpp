#pragma once
// The daemon's webhook server, set up from git.webhook.*: a signed push for
// our repository and branch asks the remote sync to fetch.
#include <memory>
#include <optional>

#include "tools/histfs/daemon/context.hpp"
#include "tools/histfs/settings/config.hpp"
#include "webhook/server.hpp"

namespace histfs::daemon {

class WebhookService {
 public:
  // Reads the secret and checks the address and TLS files; throws ConfigError naming the key.
  // Returns nullopt when git.webhook.secretFile is empty (no webhook server).
  static std::unique_ptr<WebhookService> prepare(const settings::Config& config);

  // After the daemon detached: serve, sending fetches to the context's remote sync.
  void start(DaemonContext& context);
  void stop();

 private:
  WebhookService(webhook::ServerOptions options, webhook::DeliveryRules rules)
      : options_(std::move(options)), rules_(std::move(rules)) {}
  webhook::ServerOptions options_;
  webhook::DeliveryRules rules_;
  std::unique_ptr<webhook::DeliveryJudge> judge_;
  std::unique_ptr<webhook::Server> server_;
};

}  // namespace histfs::daemon
