#include "fs/mount_session.hpp"

#include <signal.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

#include <fuse_lowlevel.h>
#include <spdlog/spdlog.h>

#include "fs/fuse_ops.hpp"

namespace histfs::fs {

std::thread start_quiet_thread(std::function<void()> body) {
  sigset_t blocked, old;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &blocked, &old);  // the new thread inherits this mask
  std::thread thread(std::move(body));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return thread;
}

namespace {

// libfuse parses the options when the session is made (and prints what it refuses).
fuse_session* new_session(const MountOptions& options, Router* fs) {
  std::vector<std::string> words = {"histfs"};
  if (options.debug) words.push_back("-d");
  for (const auto& option : options.fuse_options) {
    words.push_back("-o");
    words.push_back(option);
  }
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  fuse_session* session = fuse_session_new(&args, &fuse_operations(), sizeof(fuse_lowlevel_ops), fs);
  fuse_opt_free_args(&args);
  if (!session) throw std::runtime_error("cannot create the FUSE session (bad -o option?)");
  return session;
}

}  // namespace

void MountSession::check_options(const MountOptions& options) { fuse_session_destroy(new_session(options, nullptr)); }

MountSession::MountSession(Router& fs, const MountOptions& options) : options_(options) {
  session_ = new_session(options, &fs);
  if (fuse_session_mount(session_, options.mountpoint.c_str()) != 0) {
    fuse_session_destroy(session_);
    session_ = nullptr;
    throw std::runtime_error("cannot mount on " + options.mountpoint +
                             " (is it an existing directory, and is /dev/fuse usable?)");
  }
  mounted_ = true;
}

MountSession::~MountSession() {
  if (!session_) return;
  if (mounted_) fuse_session_unmount(session_);
  fuse_session_destroy(session_);
}

int MountSession::run() {
  if (fuse_set_signal_handlers(session_) != 0) throw std::runtime_error("cannot install signal handlers");
  // Set deliberately: one /dev/fuse fd per thread, a bounded pool, a few kept idle.
  std::unique_ptr<fuse_loop_config, decltype(&fuse_loop_cfg_destroy)> config(fuse_loop_cfg_create(),
                                                                             fuse_loop_cfg_destroy);
  fuse_loop_cfg_set_clone_fd(config.get(), 1);
  fuse_loop_cfg_set_max_threads(config.get(), options_.max_threads);
  fuse_loop_cfg_set_idle_threads(config.get(), options_.idle_threads);
  notifier_.attach(session_);
  int result = fuse_session_loop_mt(session_, config.get());
  notifier_.detach();  // before the unmount closes the fd the notifications write to
  fuse_remove_signal_handlers(session_);
  fuse_session_unmount(session_);
  mounted_ = false;
  return result < 0 ? 1 : 0;
}

}  // namespace histfs::fs
