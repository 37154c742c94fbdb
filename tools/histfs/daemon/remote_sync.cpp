#include "tools/histfs/daemon/remote_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"
#include "fs/passthrough.hpp"
#include "gitstore/merge_plan.hpp"
#include "gitstore/repo_path.hpp"
#include "gitstore/repository.hpp"
#include "gitstore/time_text.hpp"
#include "tools/histfs/daemon/mount_writer.hpp"
#include "tools/histfs/daemon/sync_common.hpp"
#include "tools/histfs/daemon/sync_telemetry.hpp"
#include "tools/histfs/telemetry/events.hpp"

namespace histfs::daemon {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kBackoffStart = std::chrono::milliseconds(1000);
constexpr auto kBackoffCap = std::chrono::milliseconds(60000);

}  // namespace

RemoteSync::RemoteSync(DaemonContext& daemon, RemoteSettings settings, bool catch_up)
    : daemon_(daemon), settings_(std::move(settings)), repo_(daemon.git_dir), network_(settings_.network_timeout) {
  if (!catch_up) {
    push_wanted_ = fetch_wanted_ = false;
    last_fetch_attempt_ = Clock::now();
  }
  state_.url = gitstore::redact_url(settings_.url);
}

RemoteSync::~RemoteSync() { stop(); }

void RemoteSync::apply_settings(const RemoteSettings& next) {
  std::lock_guard lock(mutex_);
  next_settings_ = next;
  wake_.notify_all();
}

void RemoteSync::start() {
  thread_ = fs::start_quiet_thread([this] { run(); });
}

void RemoteSync::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    wake_.notify_all();
  }
  network_.cancel();  // a push or fetch in progress ends now, not after git.networkTimeout
  tokens_->cancel();  // and so does a token renewal
  if (thread_.joinable()) thread_.join();
}

void RemoteSync::commit_made() {
  std::lock_guard lock(mutex_);
  push_wanted_ = true;
  wake_.notify_all();
}

void RemoteSync::fetch_soon(const std::string& why) {
  std::lock_guard lock(mutex_);
  fetch_wanted_ = true;
  fetch_reason_ = why;
  if (why.starts_with("webhook")) state_.last_webhook = now_seconds();
  next_try_ = Clock::now();  // a delivery says the remote is up: no need to wait out a backoff
  wake_.notify_all();
}

json RemoteSync::status() {
  std::lock_guard lock(mutex_);
  // A conflict is settled once its copy is gone (deleted, or renamed after a look).
  std::erase_if(state_.conflicts, [&](const ConflictCopy& c) {
    struct stat st;
    return fstatat(daemon_.root_fd, c.copy.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
  });
  json out = state_.to_json();
  out["auth"] = tokens_->status();
  return out;
}

void RemoteSync::set_phase(SyncPhase phase) {
  std::lock_guard lock(mutex_);
  state_.phase = phase;
  state_.progress.reset();  // a new step starts from nothing
}

json RemoteSync::run_on_thread(Job job, bool allow_mass_delete) {
  Request request{job, allow_mass_delete, std::nullopt, ""};
  std::unique_lock lock(mutex_);
  requests_.push_back(&request);
  wake_.notify_all();
  wake_.wait(lock, [&] { return request.answer.has_value() || !request.error.empty() || stop_; });
  if (!request.error.empty()) throw std::runtime_error(request.error);
  if (!request.answer) throw std::runtime_error("the daemon is stopping");
  return *request.answer;
}

json RemoteSync::push_now(bool allow_mass_delete) { return run_on_thread(Job::Push, allow_mass_delete); }
json RemoteSync::pull_now(bool allow_mass_delete) { return run_on_thread(Job::Fetch, allow_mass_delete); }

json RemoteSync::import_now(const std::string& prefer) {
  return run_on_thread(prefer == "remote" ? Job::ImportRemote : Job::ImportLocal, false);
}

std::optional<git_oid> RemoteSync::fetch() {
  auto result = client().fetch();
  for (const auto& tag : result.new_tags) spdlog::info("git_pull snapshot {} from the remote", tag);
  {
    std::lock_guard lock(mutex_);
    if (result.head_missing && !state_.head_warning)
      spdlog::warn(
          "the remote's HEAD names a branch it does not have: a plain git clone checks out nothing "
          "(set the default branch to main on the server)");
    state_.head_warning = result.head_missing ? std::optional<std::string>(
                                                    "the remote's HEAD names a branch it does not have; a git clone "
                                                    "checks out nothing until its default branch is main")
                                              : std::nullopt;
  }
  for (const auto& tag : result.conflicting_tags)
    spdlog::warn("git_pull the remote's snapshot {} names another commit than ours; ours is kept", tag);
  return result.main;
}

gitstore::RemoteClient RemoteSync::client() {
  const std::string token = tokens_->token();
  gitstore::RemoteClient remote(repo_.get(), settings_.url, token, &network_);
  // A short-lived token the server refused (revoked, or expired early): renew once and retry.
  remote.on_token_refused([this, token] { return tokens_->renew_refused(token); });
  remote.on_progress([this](const gitstore::TransferProgress& progress) {
    std::lock_guard lock(mutex_);
    state_.progress = progress;
  });
  return remote;
}

void RemoteSync::run() {
  std::mt19937 random{std::random_device{}()};
  for (;;) {
    Job job = Job::None;
    Request* request = nullptr;
    std::string trigger;  // why a fetch runs: a webhook's delivery, a request, the interval
    {
      std::unique_lock lock(mutex_);
      for (;;) {
        if (stop_) {
          for (auto* r : requests_) r->error = "the daemon is stopping";
          wake_.notify_all();
          return;
        }
        if (next_settings_) {  // adopted here: settings_ is written by this thread only
          settings_.push_interval = next_settings_->push_interval;
          settings_.fetch_interval = next_settings_->fetch_interval;
          settings_.allow_non_ff = next_settings_->allow_non_ff;
          settings_.max_delete = next_settings_->max_delete;
          next_settings_.reset();
        }
        const auto now = Clock::now();
        if (!requests_.empty()) {
          request = requests_.front();
          requests_.erase(requests_.begin());
          job = request->job;
          trigger = "request";
          break;
        }
        if (!settings_.import_prefer.empty() && now >= next_try_) {
          job = settings_.import_prefer == "remote" ? Job::ImportRemote : Job::ImportLocal;
          break;
        }
        if (now - last_fetch_attempt_ >= settings_.fetch_interval) fetch_wanted_ = true;
        if (now >= next_try_ && (fetch_wanted_ || push_wanted_)) {
          job = fetch_wanted_ ? Job::Fetch : Job::Push;
          (job == Job::Fetch ? fetch_wanted_ : push_wanted_) = false;
          if (job == Job::Fetch) {
            trigger = fetch_reason_;
            fetch_reason_ = "interval";  // until something else asks
          }
          break;
        }
        // Sleep until the next retry, periodic push or fetch is due.
        auto until = last_fetch_attempt_ + settings_.fetch_interval;
        if (push_wanted_ || fetch_wanted_) until = std::min(until, next_try_);
        until = std::min(until, now + settings_.push_interval);
        wake_.wait_until(lock, until);
        if (Clock::now() >= until && state_.phase != SyncPhase::InSync)
          push_wanted_ = true;  // periodic retry of unpushed work
      }
    }
    json answer;
    std::string error;
    // Every line of this cycle carries its id: a webhook's delivery id, else a new one.
    const telemetry::CycleScope cycle(cycle_id(trigger));
    const auto cycle_started = Clock::now();
    try {
      if (job == Job::Fetch) last_fetch_attempt_ = Clock::now();
      switch (job) {
        case Job::Fetch:
          answer = do_fetch(request && request->allow_mass_delete);
          break;
        case Job::ImportLocal:
        case Job::ImportRemote:
          set_phase(SyncPhase::Importing);
          answer = do_import(job == Job::ImportRemote);
          if (!settings_.import_prefer.empty()) {  // the import left by an offline connect is done
            settings_.import_prefer.clear();
            settings::save_remote_settings(daemon_.git_dir, settings_);
          }
          break;
        default:
          answer = do_push(request && request->allow_mass_delete);
      }
      std::lock_guard lock(mutex_);
      backoff_ = std::chrono::milliseconds(0);
      next_try_ = Clock::now();
    } catch (const std::exception& failure) {
      error = failure.what();
      std::lock_guard lock(mutex_);
      backoff_ = std::min(std::max(backoff_ * 2, std::chrono::milliseconds(kBackoffStart)),
                          std::chrono::milliseconds(kBackoffCap));
      // Jitter spreads the retries of many daemons after an outage.
      std::uniform_real_distribution<double> jitter(0.8, 1.2);
      next_try_ = Clock::now() + std::chrono::milliseconds(long(backoff_.count() * jitter(random)));
      (job == Job::Fetch ? fetch_wanted_ : push_wanted_) = true;
      state_.last_error = error;
      state_.phase = SyncPhase::Retrying;
      spdlog::warn("git_{} failed (retry in {:.1f} s): {}", job == Job::Fetch ? "fetch" : "push",
                   backoff_.count() / 1000.0, error);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - cycle_started).count();
    if (job == Job::Fetch)
      record_pull_cycle(daemon_.metrics, answer, error, seconds, trigger);
    else if (job != Job::ImportLocal && job != Job::ImportRemote)
      record_push_cycle(daemon_.metrics, answer, error, seconds);
    if (request) {
      std::lock_guard lock(mutex_);
      if (error.empty())
        request->answer = answer;
      else
        request->error = error;
      wake_.notify_all();
    }
  }
}

}  // namespace histfs::daemon
