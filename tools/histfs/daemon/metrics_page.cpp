#include "tools/histfs/daemon/metrics_page.hpp"

#include <spdlog/spdlog.h>

#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/telemetry/exposition.hpp"

namespace histfs::daemon {

using settings::ConfigError;

namespace {

void expose_fuse(telemetry::Exposition& out, const fs::OpStats& stats) {
  // Every operation is a series from the start, errors included, so rates and ratios are defined.
  out.family("histfs_fuse_operations_total", "counter", "FUSE operations served, by operation.");
  for (std::size_t i = 0; i < fs::kOpCount; ++i) {
    const auto op = static_cast<fs::Op>(i);
    out.sample("histfs_fuse_operations_total", static_cast<double>(stats.calls(op)),
               {{"op", std::string(fs::op_name(op))}});
  }
  out.family("histfs_fuse_errors_total", "counter",
             "FUSE operations answered with an error (ENOENT from lookup included), by operation.");
  for (std::size_t i = 0; i < fs::kOpCount; ++i) {
    const auto op = static_cast<fs::Op>(i);
    out.sample("histfs_fuse_errors_total", static_cast<double>(stats.errors(op)),
               {{"op", std::string(fs::op_name(op))}});
  }
}

}  // namespace

std::string metrics_page(DaemonContext& daemon) {
  telemetry::Exposition out;
  daemon.metrics.expose(out);
  out.family("histfs_changes_pending", "gauge", "Changes recorded and not committed yet.");
  out.sample("histfs_changes_pending", static_cast<double>(daemon.changes.pending()));

  const auto sync = daemon.remote_sync();
  const nlohmann::json remote = sync ? sync->status() : nlohmann::json(nullptr);
  auto held_now = [&](const char* key) {
    return remote.is_object() && remote.contains(key) && !remote[key].is_null() ? 1.0 : 0.0;
  };
  out.family("histfs_remote_connected", "gauge", "1 when the mount has a remote to push to.");
  out.sample("histfs_remote_connected", sync ? 1 : 0);
  out.family("histfs_held", "gauge", "1 while a push or a pull waits for --allow-mass-delete.");
  out.sample("histfs_held", held_now("held"), {{"operation", "push"}});
  out.sample("histfs_held", held_now("pull_held"), {{"operation", "pull"}});
  out.family("histfs_refused", "gauge", "1 while pulls are refused (the remote rewrote what histfs pushed).");
  out.sample("histfs_refused", held_now("refused"));

  out.family("histfs_inodes", "gauge", "Inodes the kernel holds through the mount (looked up, not forgotten).");
  out.sample("histfs_inodes", static_cast<double>(daemon.passthrough.known_inodes()));
  out.family("histfs_inode_fds_open", "gauge", "Backing-dir fds those inodes keep open (a cache, see fs/inode_table).");
  out.sample("histfs_inode_fds_open", static_cast<double>(daemon.passthrough.inode_fds()));
  out.family("histfs_stat_cache_entries", "gauge", "Files whose blob id the stat cache knows (one per tracked file).");
  out.sample("histfs_stat_cache_entries", static_cast<double>(daemon.committer.status().stat_cache_entries));

  if (daemon.op_stats) expose_fuse(out, *daemon.op_stats);
  return out.text();
}

MetricsListener::MetricsListener(webhook::ServerOptions options)
    : options_(std::move(options)), judge_(webhook::DeliveryRules{}, [](const std::string&) { return false; }) {}

std::unique_ptr<MetricsListener> MetricsListener::prepare(const std::string& listen) {
  if (listen.empty()) return nullptr;
  webhook::ServerOptions options;
  options.deliveries = false;
  try {
    webhook::parse_listen(listen, options.host, options.port);
  } catch (const std::exception& error) {
    throw ConfigError(std::string("git.metrics.listen: ") + error.what());
  }
  std::unique_ptr<MetricsListener> listener(new MetricsListener(options));
  // Fail now, while the user still sees our messages, rather than after detaching.
  try {
    webhook::Server(options, listener->judge_, nullptr, nullptr).check();
  } catch (const std::exception& error) {
    throw ConfigError(std::string("git.metrics.listen: ") + error.what());
  }
  return listener;
}

void MetricsListener::start(DaemonContext& daemon) {
  server_ = std::make_unique<webhook::Server>(options_, judge_, nullptr, [] {
    return nlohmann::json{{"status", "ok"}};
  });
  server_->serve_metrics([&daemon] { return metrics_page(daemon); });
  server_->start();
  spdlog::info("metrics on http://{}:{}/metrics", options_.host, server_->port());
}

void MetricsListener::stop() {
  if (server_) server_->stop();
}

}  // namespace histfs::daemon
