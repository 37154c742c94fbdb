#include "tools/histfs/daemon/daemon.hpp"
#include "tools/histfs/cli/mount_helper.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>

#include "fs/history_view.hpp"
#include "fs/mount_session.hpp"
#include "fs/passthrough.hpp"
#include "fs/router.hpp"
#include "gitstore/committer.hpp"
#include "gitstore/history.hpp"
#include "gitstore/ignore_rules.hpp"
#include "gitstore/private_dir.hpp"
#include "gitstore/repository.hpp"
#include "tools/histfs/cli/progress_line.hpp"
#include "tools/histfs/commands/progress_json.hpp"
#include "tools/histfs/daemon/control_server.hpp"
#include "tools/histfs/daemon/hangup_watcher.hpp"
#include "tools/histfs/daemon/housekeeping.hpp"
#include "tools/histfs/daemon/live_config.hpp"
#include "tools/histfs/daemon/metrics_page.hpp"
#include "tools/histfs/daemon/remote_sync.hpp"
#include "tools/histfs/daemon/request_handlers.hpp"
#include "tools/histfs/daemon/sync_telemetry.hpp"
#include "tools/histfs/daemon/systemd_notifier.hpp"
#include "tools/histfs/daemon/webhook_service.hpp"
#include "tools/histfs/settings/config.hpp"
#include "tools/histfs/settings/logging.hpp"
#include "tools/histfs/settings/remote_settings.hpp"

namespace histfs::daemon {
namespace {

namespace stdfs = std::filesystem;
using settings::Config;
using settings::ConfigError;

std::string absolute_dir(const std::string& path, const char* what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOTCONN)
      throw UsageError(std::string(what) + " " + path +
                       " is a dead FUSE mount (its daemon died): run `fusermount3 -u " + path + "` first");
    throw UsageError(std::string(what) + " " + path + " does not exist");
  }
  if (!S_ISDIR(st.st_mode)) throw UsageError(std::string(what) + " " + path + " is not a directory");
  return stdfs::canonical(path).string();
}

bool is_inside(const stdfs::path& path, const stdfs::path& dir) {
  auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

// The three places must not nest (a mount point may be the backing dir itself). git_dir "" = no git.
void check_layout(const std::string& backing, const std::string& mountpoint, const std::string& git_dir) {
  if (mountpoint != backing && is_inside(mountpoint, backing))
    throw UsageError("mount point " + mountpoint + " lies inside the backing directory " + backing);
  if (git_dir.empty()) return;
  if (is_inside(git_dir, backing) || git_dir == backing)
    throw UsageError("git dir " + git_dir + " lies inside the backing directory " + backing +
                     "; choose one beside it (--git-dir)");
  if (is_inside(backing, git_dir)) throw UsageError("backing directory lies inside the git dir " + git_dir);
  if (is_inside(mountpoint, git_dir) || mountpoint == git_dir)
    throw UsageError("mount point " + mountpoint + " lies inside the git dir " + git_dir);
}

// Flags override the file; both are checked before anything is created or mounted. Where each
// key came from is kept for `histfs config list` and the reload on SIGHUP (live_config.hpp).
settings::SourcedConfig effective_config(const MountArguments& args) {
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& setting : args.settings) {
    Config checked;
    apply_assignment(checked, setting);  // a malformed --set says so as before
    const auto equals = setting.find('=');
    const std::string key = setting.substr(0, equals);
    overrides.emplace_back(key.substr(key.find_first_not_of(" \t")), setting.substr(equals + 1));
  }
  if (!args.commit_quiet.empty()) overrides.emplace_back("git.commitQuiet", args.commit_quiet);
  if (!args.commit_max_delay.empty()) overrides.emplace_back("git.commitMaxDelay", args.commit_max_delay);
  if (!args.log_level.empty()) overrides.emplace_back("log.level", args.log_level);
  if (!args.log_file.empty()) overrides.emplace_back("log.file", stdfs::absolute(args.log_file).string());
  if (!args.git_dir.empty())
    overrides.emplace_back("git.dir", stdfs::absolute(args.git_dir).lexically_normal().string());
  if (args.no_git) overrides.emplace_back("git.enabled", "false");
  return settings::load_sourced_config(
      args.config_file.empty() ? "" : stdfs::absolute(args.config_file).lexically_normal().string(), overrides);
}

// Held for the daemon's life: a second daemon on the same git dir would fight over the branch.
int lock_git_dir(const std::string& git_dir) {
  const std::string file = git_dir + "/histfs.lock";
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + file + ": " + strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0)
    throw std::runtime_error("git dir " + git_dir + " is in use by another histfs daemon");
  return fd;
}

// The fsname is the git dir: `histfs status` finds the control socket through /proc/self/mountinfo.
// A daemon killed while moving the branch leaves its lock file; we hold the git dir's
// lock, so no one else is moving it now.
void remove_stale_ref_lock(const std::string& git_dir) {
  const std::string lock = git_dir + "/" + gitstore::kBranchRef + ".lock";
  if (unlink(lock.c_str()) == 0) spdlog::warn("removed {} left by a daemon that did not stop cleanly", lock);
}

std::vector<std::string> default_fuse_options(const std::string& source) {
  std::vector<std::string> options = {"default_permissions", "fsname=" + source, "subtype=histfs"};
  if (geteuid() == 0) options.push_back("allow_other");  // root mounts serve every user, as the directory did
  return options;
}

// The remote remembered by `histfs connect`, or git.repo from the config.
void start_remote_sync(DaemonContext& context, const Config& config) {
  auto remote = settings::load_remote_settings(context.git_dir);
  if (!remote && !config.git.repo.empty()) {
    remote.emplace();
    remote->url = config.git.repo;
  }
  if (!remote) return;
  settings::apply_config(*remote, config);
  auto sync = std::make_shared<RemoteSync>(context, *remote);
  sync->start();
  context.set_remote_sync(sync);
  spdlog::info("backing up to {}", gitstore::redact_url(remote->url));
}

// The kernel already applied the caller's umask to every mode a FUSE request carries, so
// the threads that serve them must apply none. umask is per process unless a thread
// unshares its fs attributes: this thread does, and the loop threads it starts share
// its umask 0, while the committer, control and sync threads keep the private 077.
int serve_with_callers_umask(fs::MountSession& session) {
  if (unshare(CLONE_FS) != 0) throw std::runtime_error(std::string("cannot unshare fs attributes: ") + strerror(errno));
  umask(0);
  const int status = session.run();
  umask(077);
  return status;
}

// The kernel holds an inode (and we its O_PATH fd) for every file it has looked up: a
// login shell's soft limit of 1024 is far too few. Raise it to the hard limit, as
// passthrough_hp does.
// Returns the soft limit it leaves in place.
rlim_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur >= limit.rlim_max) return limit.rlim_cur;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return before;
  spdlog::debug("raised the open file limit from {} to {}", before, limit.rlim_cur);
  return limit.rlim_cur;
}

// SIGHUP: a new log file (logrotate moved the old one away), then the config read again and
// its live keys applied (live_config.hpp); with no git, only log.level can change.
void reload_on_hangup(const MountArguments& args, DaemonContext* context) {
  settings::reopen_log_file();
  if (context) {
    reload_config(*context);
  } else {
    settings::set_log_level(effective_config(args).config.log.level);
  }
  spdlog::info("SIGHUP: log reopened, config reloaded");
}

}  // namespace

int run_daemon(const MountArguments& args) {
  // Everything the daemon itself creates (git dir, log, socket, stat cache) is private;
  // only the FUSE threads serve callers' modes as given (see serve_with_callers_umask).
  umask(077);
  const settings::SourcedConfig sourced = effective_config(args);
  const Config& config = sourced.config;
  settings::setup_logging(config.log.level, config.log.file, config.log.format);
  const rlim_t open_files = raise_fd_limit();

  const std::string backing = absolute_dir(args.backing, "backing directory");
  const std::string mountpoint = absolute_dir(args.mountpoint, "mount point");
  const std::string git_dir =
      config.git.dir.empty() ? backing + ".git" : stdfs::absolute(config.git.dir).lexically_normal().string();
  // Real paths: a symlink must not hide a git dir inside the backing dir.
  check_layout(backing, mountpoint, config.git.enabled ? stdfs::weakly_canonical(git_dir).string() : "");

  // Opened before mounting, so mounting over the backing dir itself works.
  const int root_fd = open(backing.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) throw std::runtime_error("cannot open " + backing + ": " + strerror(errno));

  fs::MountOptions mount_options;
  mount_options.mountpoint = mountpoint;
  mount_options.debug = args.debug_fuse;
  mount_options.fuse_options = default_fuse_options(config.git.enabled ? git_dir : backing);
  for (const auto& option : args.fuse_options)
    for (const auto& word : cli::split_commas(option)) mount_options.fuse_options.push_back(word);
  try {
    fs::MountSession::check_options(mount_options);  // a bad -o creates nothing
  } catch (const std::runtime_error& error) {
    throw UsageError(error.what());
  }

  gitstore::LibGit2 libgit2;
  try {
    gitstore::configure_libgit2(config.git.ca_file);
  } catch (const gitstore::GitError&) {
    throw ConfigError("git.caFile: cannot use " + config.git.ca_file);
  }
  auto webhooks = config.git.enabled ? WebhookService::prepare(config) : nullptr;
  auto metrics_listener = config.git.enabled ? MetricsListener::prepare(config.git.metrics_listen) : nullptr;
  std::optional<gitstore::Repository> repo;
  std::unique_ptr<gitstore::IgnoreRules> ignore;
  std::unique_ptr<gitstore::ChangeSet> changes;
  std::unique_ptr<gitstore::Committer> committer;
  int lock_fd = -1;
  // Drops the kernel's view of files the committer rewrote itself (.gitattributes); set once mounted.
  std::function<void(const std::vector<std::string>&)> lfs_invalidate;
  if (config.git.enabled) {
    // Checked before libgit2 reads anything in it, and again once it exists.
    if (stdfs::exists(git_dir))
      gitstore::ensure_private_git_dir(git_dir, geteuid());
    else
      gitstore::check_parents_of(git_dir, geteuid());
    repo.emplace(gitstore::Repository::open_or_create(git_dir));
    if (repo->ordered_journal())
      spdlog::info("git dir {} is on an ordered journal: one journal commit makes a commit durable", git_dir);
    else
      spdlog::info("git dir {} is not on an ordered journal: a commit flushes its files one by one", git_dir);
    gitstore::ensure_private_git_dir(git_dir, geteuid());
    lock_fd = lock_git_dir(git_dir);
    remove_stale_ref_lock(git_dir);
    std::vector<std::string> excluded = gitstore::default_ignore_patterns();
    excluded.push_back("/.history");  // never stored (the history view's name): stock git agrees
    excluded.insert(excluded.end(), config.git.ignore.begin(), config.git.ignore.end());
    gitstore::write_info_exclude(git_dir, excluded);
    ignore = std::make_unique<gitstore::IgnoreRules>(root_fd, config.git.ignore);
    gitstore::set_identities(identities_of(config));  // git.authors, git.committer.*
    changes = std::make_unique<gitstore::ChangeSet>();
    committer = std::make_unique<gitstore::Committer>(
        *repo, root_fd, *ignore, *changes,
        gitstore::CommitterOptions{config.git.commit_quiet, config.git.commit_max_delay});
    // Set before the reconcile, so the first commit already stores large files in LFS. The
    // invalidation reaches the mount once it exists (passthrough is made below).
    committer->enable_lfs({config.git.lfs_size_threshold, config.git.lfs_track},
                          [&lfs_invalidate](const std::vector<std::string>& paths) {
                            if (lfs_invalidate) lfs_invalidate(paths);
                          });
    spdlog::info("comparing {} with the last commit", backing);
    std::optional<gitstore::CommitResult> found;
    {
      // Shown on the terminal of `histfs mount` (the control socket is not open yet).
      gitstore::ProgressBoard board;
      const auto task = board.begin(repo->head_commit() ? "reconcile" : "initial import", "listing files");
      const gitstore::ProgressScope scope(task.get());
      const cli::ProgressLine line([&board] { return commands::progress_json(board); });
      found = committer->reconcile();
    }
    if (found) spdlog::info("committed {} change(s) found at start-up", found->summary.count());
  }

  fs::PassthroughOptions fs_options;
  fs_options.xattr = args.xattr;
  fs_options.inode_fd_budget = fs::inode_fd_budget(open_files);
  fs::Passthrough passthrough(root_fd, backing, changes.get(), fs_options);
  if (committer)
    committer->set_write_probe([&passthrough](const std::string& path) { return passthrough.open_for_writing(path); });
  std::unique_ptr<gitstore::HistoryReader> history;
  std::unique_ptr<fs::HistoryView> history_view;
  if (config.git.enabled) {
    history = std::make_unique<gitstore::HistoryReader>(git_dir);
    history_view = std::make_unique<fs::HistoryView>(*history, root_fd);
  }
  const fs::HistoryMode history_mode = args.history == "visible" ? fs::HistoryMode::Visible
                                       : args.history == "off"   ? fs::HistoryMode::Off
                                                                 : fs::HistoryMode::Hidden;
  fs::Router router(passthrough, history_view.get(), history_mode);

  SystemdNotifier systemd;  // made before the session: the end of the session unblocks its probe
  fs::MountSession session(router, mount_options);
  passthrough.set_notifier(&session.notifier());
  if (history_view) history_view->set_notifier(&session.notifier());
  lfs_invalidate = [&passthrough](const std::vector<std::string>& paths) { passthrough.invalidate_names(paths); };
  spdlog::info("mounted {} at {}{}", backing, mountpoint, config.git.enabled ? " (git dir " + git_dir + ")" : "");
  // Detach only now, so that the shell sees mount errors; threads start after the fork.
  if (fuse_daemonize(args.foreground ? 1 : 0) != 0) throw std::runtime_error("cannot detach from the terminal");
  if (!args.foreground) {  // stderr is /dev/null now
    const std::string where = settings::log_to_system_log_if_no_file(config.log.file, config.log.format,
                                                                     config.git.enabled ? git_dir + "/histfs.log" : "");
    if (config.log.file.empty()) spdlog::info("detached; logging to {}", where);
  }
  // Inode fds stay under a share of the limit whatever the tree's size (fs/inode_table.hpp).
  passthrough.start_fd_closer(fs::start_quiet_thread);
  // Versioning services, started after the fork: the committer, the control socket, the remote.
  std::unique_ptr<DaemonContext> context;
  std::unique_ptr<ControlServer> control;
  std::unique_ptr<Housekeeping> housekeeping;
  if (committer) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    context.reset(new DaemonContext{backing, mountpoint, git_dir, config, *changes, *committer, *history, passthrough,
                                    root_fd, *ignore, std::chrono::duration_cast<std::chrono::seconds>(now).count()});
    context->config_sources = sourced;
    context->op_stats = &router.op_stats();
    committer->subscribe("the metrics and the git_commit event", [&](const gitstore::CommitNotice& notice) {
      record_commit(context->metrics, context->op_stats,
                    {notice.commit, notice.correlation_id, notice.subject, notice.paths, notice.duration});
    });
    if (history_view && history_mode != fs::HistoryMode::Off)
      committer->subscribe("the .history view (latest, tags, commits)",
                           [&] { history_view->invalidate_live(session.notifier()); });
    // A pointer whose object is not here yet (history from elsewhere) is fetched when read.
    history->set_lfs_fetcher([daemon = context.get()](const gitstore::LfsPointer& pointer) {
      auto sync = daemon->remote_sync();
      if (!sync) throw gitstore::LfsError("LFS object " + pointer.oid + " is not here and no remote is connected");
      sync->fetch_lfs_object(pointer);
    });
    committer->subscribe("the remote sync (push soon)", [&] {
      if (auto sync = context->remote_sync()) sync->commit_made();
    });
    housekeeping = std::make_unique<Housekeeping>(git_dir, config.git.gc_loose_objects, context->progress);
    context->housekeeping = housekeeping.get();
    committer->subscribe("housekeeping (pack once many objects are loose)", [&] { housekeeping->commit_made(); });
    committer->set_progress_board(&context->progress);
    committer->start(fs::start_quiet_thread);
    housekeeping->start();
    control = std::make_unique<ControlServer>(
        git_dir + "/" + protocol::kSocketName,
        [&context](const nlohmann::json& request) { return handle_request(*context, request); });
    control->start();
    start_remote_sync(*context, config);
    if (webhooks) webhooks->start(*context);
    if (metrics_listener) metrics_listener->start(*context);
  }
  // From here SIGHUP reopens the log and reloads the config; libfuse would unmount (see hangup_watcher.hpp).
  HangupWatcher hangups([&context, &args] { reload_on_hangup(args, context.get()); });
  systemd.ready_when_answering(mountpoint);
  const int status = serve_with_callers_umask(session);
  passthrough.stop_fd_closer();
  systemd.stopping();
  spdlog::info("unmounted {}{}", mountpoint, committer ? "; committing what is pending" : "");
  if (webhooks) webhooks->stop();
  if (metrics_listener) metrics_listener->stop();
  if (control) control->stop();
  if (housekeeping) housekeeping->stop();
  if (context)
    if (auto sync = context->remote_sync()) sync->stop();
  if (committer) committer->stop();
  if (lock_fd >= 0) close(lock_fd);
  spdlog::info("stopped");
  return status;
}

}  // namespace histfs::daemon
