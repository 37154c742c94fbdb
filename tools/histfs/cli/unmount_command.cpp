#include "tools/histfs/cli/unmount_command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "tools/histfs/cli/control_client.hpp"

extern char** environ;

namespace histfs::cli {
namespace {

struct UnmountArguments {
  std::string mountpoint;
  bool lazy = false;
};

// fusermount3 unmounts for root and for the user who mounted alike, and says why it cannot.
void run_fusermount(const std::string& mountpoint, bool lazy) {
  std::string program = "fusermount3", flag = lazy ? "-uz" : "-u", path = mountpoint;
  char* argv[] = {program.data(), flag.data(), path.data(), nullptr};
  pid_t pid = 0;
  if (int error = posix_spawnp(&pid, argv[0], nullptr, nullptr, argv, environ))
    throw ClientError("cannot run fusermount3: " + std::string(strerror(error)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw ClientError("cannot wait for fusermount3: " + std::string(strerror(errno)));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw ClientError("fusermount3 " + flag + " " + mountpoint + " failed" +
                      (lazy ? "" : " (is a program still using it? --lazy detaches it now)"));
}

void unmount(const UnmountArguments& args) {
  std::string path = std::filesystem::absolute(args.mountpoint).lexically_normal().string();
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const auto mount = find_mount(path);
  if (!mount || mount->mountpoint != path) throw ClientError("no histfs mount at " + path);
  // The daemon holds GIT_DIR/histfs.lock until it has committed what is pending (none for a
  // --no-git mount, whose fsname is the backing dir: then there is nothing to wait for).
  const int lock = open((mount->git_dir + "/histfs.lock").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) close(fd);
    }
  } closer{lock};
  run_fusermount(path, args.lazy);
  if (lock >= 0)
    while (flock(lock, LOCK_SH) != 0)
      if (errno != EINTR) throw ClientError("cannot wait for the daemon of " + path + ": " + strerror(errno));
  printf("unmounted %s%s\n", path.c_str(), lock >= 0 ? "; everything pending is committed" : "");
}

}  // namespace

void add_unmount_command(CLI::App& app) {
  auto args = std::make_shared<UnmountArguments>();
  CLI::App* sub = app.add_subcommand(
      "unmount", "Unmount MOUNTPOINT; return once its daemon has committed every pending change and stopped");
  sub->add_option("MOUNTPOINT", args->mountpoint, "The histfs mount point")->required();
  sub->add_flag("--lazy", args->lazy, "Detach it now even if programs still use it (the daemon ends when they let go)");
  sub->callback([args] {
    try {
      unmount(*args);
    } catch (const std::exception& error) {
      fprintf(stderr, "histfs unmount: %s\n", error.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace histfs::cli
