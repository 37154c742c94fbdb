#pragma once
// The daemon's /metrics page (Prometheus text): DaemonContext::metrics, plus what describes
// the mount at the moment of asking (changes pending, pushes or pulls held now, FUSE
// operations). Served by the webhook server and, with git.metrics.listen, by a listener of
// its own (MetricsListener), which accepts no deliveries.
#include <memory>
#include <string>

#include "tools/histfs/daemon/context.hpp"
#include "webhook/server.hpp"

namespace histfs::daemon {

std::string metrics_page(DaemonContext& daemon);

class MetricsListener {
 public:
  // `listen` is git.metrics.listen: checks the address (throws ConfigError naming the key);
  // nullptr when it is "".
  static std::unique_ptr<MetricsListener> prepare(const std::string& listen);
  void start(DaemonContext& daemon);
  void stop();

 private:
  explicit MetricsListener(webhook::ServerOptions options);
  webhook::ServerOptions options_;
  webhook::DeliveryJudge judge_;  // never asked: the listener takes no deliveries
  std::unique_ptr<webhook::Server> server_;
};

}  // namespace histfs::daemon
