// The same syscalls on the mount and on a plain directory give the same
// results and the same errno, error cases included.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "support/mount_fixture.hpp"

namespace histfs::test {
namespace {

// One step's observable outcome: its result and errno, plus anything it read.
struct Outcome {
  std::string name;
  long result;
  int error;
  std::string detail;
  bool operator==(const Outcome& o) const {
    return name == o.name && result == o.result && error == o.error && detail == o.detail;
  }
};

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << o.name << " -> " << o.result << " errno " << o.error << " (" << strerror(o.error) << ") " << o.detail;
}

std::string describe(const struct stat& st) {
  return "type " + std::to_string(st.st_mode & S_IFMT) + " mode " + std::to_string(st.st_mode & 07777) + " size " +
         std::to_string(st.st_size) + " nlink " + std::to_string(st.st_nlink);
}

std::string list_dir(const std::string& dir) {
  std::set<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) names.insert(std::string(e->d_name) + ":" + std::to_string(e->d_type));
    closedir(d);
  }
  std::string text;
  for (const auto& n : names) text += n + " ";
  return text;
}

class Recorder {
 public:
  explicit Recorder(std::string root) : root_(std::move(root)) {}
  std::string at(const std::string& rel) const { return root_ + "/" + rel; }
  void step(const std::string& name, const std::function<long()>& call,
            const std::function<std::string()>& detail = {}) {
    errno = 0;
    long result = call();
    int error = result < 0 ? errno : 0;
    outcomes.push_back({name, result < 0 ? -1 : result, error, detail ? detail() : ""});
  }
  void stat_step(const std::string& rel) {
    struct stat st {};
    step(
        "lstat " + rel, [&] { return long(lstat(at(rel).c_str(), &st)); }, [&] { return describe(st); });
  }
  std::vector<Outcome> outcomes;

 private:
  std::string root_;
};

// The script: every operation editors, sync tools and indexers use, and their error cases.
void run_script(Recorder& r, bool xattr) {
  int fd = -1;
  char buffer[64] = {};
  auto text = [&] { return std::string(buffer); };
  r.step("mkdir a", [&] { return long(mkdir(r.at("a").c_str(), 0755)); });
  r.step("mkdir a again (EEXIST)", [&] { return long(mkdir(r.at("a").c_str(), 0755)); });
  r.step("mkdir missing/x (ENOENT)", [&] { return long(mkdir(r.at("missing/x").c_str(), 0755)); });
  r.step("rmdir missing (ENOENT)", [&] { return long(rmdir(r.at("missing").c_str())); });
  r.step("open missing (ENOENT)", [&] { return long(open(r.at("missing").c_str(), O_RDONLY)); });
  r.step("create f", [&] { return long(fd = open(r.at("f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0644)) >= 0 ? 0 : -1; });
  r.step("create f O_EXCL (EEXIST)", [&] { return long(open(r.at("f").c_str(), O_CREAT | O_EXCL | O_RDWR, 0644)); });
  r.step("write f", [&] { return long(write(fd, "hello world", 11)); });
  r.step(
      "pread f", [&] { return long(pread(fd, buffer, 5, 6)); }, text);
  r.step("close f", [&] { return long(close(fd)); });
  r.stat_step("f");
  r.step("truncate f 2", [&] { return long(truncate(r.at("f").c_str(), 2)); });
  r.stat_step("f");
  r.step("truncate f grow", [&] { return long(truncate(r.at("f").c_str(), 4096)); });
  r.stat_step("f");
  r.step("open a O_WRONLY (EISDIR)", [&] { return long(open(r.at("a").c_str(), O_WRONLY)); });
  r.step("open f/x (ENOTDIR)", [&] { return long(open(r.at("f/x").c_str(), O_RDONLY)); });
  r.step("rename f over dir a (EISDIR)", [&] { return long(rename(r.at("f").c_str(), r.at("a").c_str())); });
  r.step("rename dir a over f (ENOTDIR)", [&] { return long(rename(r.at("a").c_str(), r.at("f").c_str())); });
  r.step("mkdir a/b", [&] { return long(mkdir(r.at("a/b").c_str(), 0700)); });
  r.step("rename a into a/b/c (EINVAL)", [&] { return long(rename(r.at("a").c_str(), r.at("a/b/c").c_str())); });
  r.step("rmdir a (ENOTEMPTY)", [&] { return long(rmdir(r.at("a").c_str())); });
  r.step("unlink a (EISDIR)", [&] { return long(unlink(r.at("a").c_str())); });
  r.step("rmdir f (ENOTDIR)", [&] { return long(rmdir(r.at("f").c_str())); });
  r.step("unlink missing (ENOENT)", [&] { return long(unlink(r.at("missing").c_str())); });
  r.step("symlink l -> f", [&] { return long(symlink("f", r.at("l").c_str())); });
  r.step("symlink l again (EEXIST)", [&] { return long(symlink("f", r.at("l").c_str())); });
  r.step(
      "readlink l",
      [&] {
        long n = readlink(r.at("l").c_str(), buffer, sizeof buffer - 1);
        if (n >= 0) buffer[n] = 0;
        return n;
      },
      text);
  r.step("readlink f (EINVAL)", [&] { return long(readlink(r.at("f").c_str(), buffer, sizeof buffer)); });
  r.stat_step("l");
  r.step("link f g", [&] { return long(link(r.at("f").c_str(), r.at("g").c_str())); });
  r.stat_step("g");
  r.step("link a h (EPERM)", [&] { return long(link(r.at("a").c_str(), r.at("h").c_str())); });
  r.step("rename NOREPLACE onto g (EEXIST)",
         [&] { return long(renameat2(AT_FDCWD, r.at("f").c_str(), AT_FDCWD, r.at("g").c_str(), RENAME_NOREPLACE)); });
  r.step("rename NOREPLACE f to n",
         [&] { return long(renameat2(AT_FDCWD, r.at("f").c_str(), AT_FDCWD, r.at("n").c_str(), RENAME_NOREPLACE)); });
  r.step("rename EXCHANGE n and a",
         [&] { return long(renameat2(AT_FDCWD, r.at("n").c_str(), AT_FDCWD, r.at("a").c_str(), RENAME_EXCHANGE)); });
  r.stat_step("a");
  r.stat_step("n");
  r.step("rename EXCHANGE with missing (ENOENT)", [&] {
    return long(renameat2(AT_FDCWD, r.at("a").c_str(), AT_FDCWD, r.at("missing").c_str(), RENAME_EXCHANGE));
  });
  r.step("chmod a 0755", [&] { return long(chmod(r.at("a").c_str(), 0755)); });
  r.stat_step("a");
  r.step("chmod missing (ENOENT)", [&] { return long(chmod(r.at("missing").c_str(), 0755)); });
  r.step("utimensat a", [&] {
    struct timespec times[2] = {{1000000000, 5}, {1000000000, 7}};
    return long(utimensat(AT_FDCWD, r.at("a").c_str(), times, 0));
  });
  r.step("mtime of a", [&] {
    struct stat st;
    return long(stat(r.at("a").c_str(), &st) == 0 ? st.st_mtim.tv_sec : -1);
  });
  r.step("append twice", [&] {
    int afd = open(r.at("log").c_str(), O_CREAT | O_WRONLY | O_APPEND, 0600);
    long n = write(afd, "one\n", 4) + write(afd, "two\n", 4);
    close(afd);
    return n;
  });
  r.stat_step("log");
  r.step(
      "read log",
      [&] {
        int rfd = open(r.at("log").c_str(), O_RDONLY);
        long n = read(rfd, buffer, sizeof buffer - 1);
        buffer[n > 0 ? n : 0] = 0;
        close(rfd);
        return n;
      },
      text);
  r.step("open-but-unlinked keeps working", [&] {
    int ufd = open(r.at("gone").c_str(), O_CREAT | O_RDWR, 0644);
    unlink(r.at("gone").c_str());
    long n = write(ufd, "still here", 10);
    char back[16] = {};
    n += pread(ufd, back, 10, 0);
    struct stat st;
    fstat(ufd, &st);
    close(ufd);
    return std::string(back) == "still here" && st.st_nlink == 0 ? n : -1;
  });
  r.step("lstat gone (ENOENT)", [&] {
    struct stat st;
    return long(lstat(r.at("gone").c_str(), &st));
  });
  if (xattr) {
    r.step("setxattr user.tag", [&] { return long(setxattr(r.at("a").c_str(), "user.tag", "blue", 4, 0)); });
    r.step(
        "getxattr user.tag",
        [&] {
          long n = getxattr(r.at("a").c_str(), "user.tag", buffer, sizeof buffer - 1);
          buffer[n > 0 ? n : 0] = 0;
          return n;
        },
        text);
    r.step("getxattr missing (ENODATA)",
           [&] { return long(getxattr(r.at("a").c_str(), "user.none", buffer, sizeof buffer)); });
    r.step("setxattr XATTR_CREATE again (EEXIST)",
           [&] { return long(setxattr(r.at("a").c_str(), "user.tag", "x", 1, XATTR_CREATE)); });
    r.step("removexattr user.tag", [&] { return long(removexattr(r.at("a").c_str(), "user.tag")); });
  }
  r.step("fallocate", [&] {
    int ffd = open(r.at("big").c_str(), O_CREAT | O_RDWR, 0644);
    long n = fallocate(ffd, 0, 0, 65536);
    close(ffd);
    return n;
  });
  r.stat_step("big");
  r.step("copy_file_range", [&] {
    int in = open(r.at("log").c_str(), O_RDONLY);
    int out = open(r.at("copy").c_str(), O_CREAT | O_WRONLY, 0644);
    long n = copy_file_range(in, nullptr, out, nullptr, 8, 0);
    close(in);
    close(out);
    return n;
  });
  r.stat_step("copy");
  // Opens that only read share one backing fd in histfs (fs/shared_reads.hpp).
  std::string seen;
  r.step(
      "two read-only opens: read both, close one, read the other",
      [&] {
        int first = open(r.at("log").c_str(), O_RDONLY);
        int second = open(r.at("log").c_str(), O_RDONLY | O_NONBLOCK);
        char a[4] = {}, b[4] = {}, again[4] = {};
        long n = pread(first, a, 4, 0) + pread(second, b, 4, 4);
        close(first);
        n += pread(second, again, 4, 0);
        close(second);
        seen = std::string(a, 4) + std::string(b, 4) + std::string(again, 4);
        return n;
      },
      [&] { return seen; });
  r.step("read-only fd: lseek SEEK_END, fsync, fchmod, futimens", [&] {
    int rfd = open(r.at("log").c_str(), O_RDONLY);
    long n = lseek(rfd, 0, SEEK_END);
    const struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    if (fsync(rfd) != 0 || fchmod(rfd, 0640) != 0 || futimens(rfd, times) != 0) n = -1;
    close(rfd);
    return n;
  });
  r.stat_step("log");
  r.step("read-only fd: ftruncate (EINVAL)", [&] {
    int rfd = open(r.at("log").c_str(), O_RDONLY);
    long n = ftruncate(rfd, 0);
    int error = errno;
    close(rfd);
    errno = error;
    return n;
  });
  r.step("read-only fd: fallocate (EBADF)", [&] {
    int rfd = open(r.at("log").c_str(), O_RDONLY);
    long n = fallocate(rfd, 0, 0, 4096);
    int error = errno;
    close(rfd);
    errno = error;
    return n;
  });
  r.step(
      "opened read-only, then removed: still reads (page cache dropped)",
      [&] {
        int wfd = open(r.at("kept").c_str(), O_CREAT | O_WRONLY, 0644);
        long n = write(wfd, "kept text", 9);
        close(wfd);
        int rfd = open(r.at("kept").c_str(), O_RDONLY);
        unlink(r.at("kept").c_str());
        posix_fadvise(rfd, 0, 0, POSIX_FADV_DONTNEED);  // so the read reaches the daemon
        std::memset(buffer, 0, sizeof buffer);
        n += pread(rfd, buffer, 9, 0);
        close(rfd);
        return n;
      },
      text);
  r.step("mkfifo p", [&] { return long(mkfifo(r.at("p").c_str(), 0644)); });
  r.stat_step("p");
  r.step("rmdir a/b then a", [&] { return long(rmdir(r.at("n/b").c_str()) + rmdir(r.at("n").c_str())); });
  r.step("statfs", [&] {
    struct statvfs st;
    return long(statvfs(r.at("").c_str(), &st));
  });
  r.step(
      "listing", [] { return 0L; }, [&] { return list_dir(r.at("")); });
}

TEST_CASE("syscalls on the mount match a plain directory", "[fs][mount]") {
  if (!fuse_available()) return;
  TempDir plain;
  MountFixture mount({"--xattr"});
  Recorder on_plain(plain.path().string());
  Recorder on_mount(mount.mnt());
  run_script(on_plain, true);
  run_script(on_mount, true);
  REQUIRE(on_plain.outcomes.size() == on_mount.outcomes.size());
  for (size_t i = 0; i < on_plain.outcomes.size(); ++i) CHECK(on_mount.outcomes[i] == on_plain.outcomes[i]);
}

TEST_CASE("without --xattr, everything but xattrs matches and xattrs say EOPNOTSUPP", "[fs][mount]") {
  if (!fuse_available()) return;
  TempDir plain;
  MountFixture mount;
  Recorder on_plain(plain.path().string());
  Recorder on_mount(mount.mnt());
  run_script(on_plain, false);
  run_script(on_mount, false);
  REQUIRE(on_plain.outcomes.size() == on_mount.outcomes.size());
  for (size_t i = 0; i < on_plain.outcomes.size(); ++i) CHECK(on_mount.outcomes[i] == on_plain.outcomes[i]);
  char value[8];
  errno = 0;
  CHECK(getxattr(on_mount.at("log").c_str(), "user.tag", value, sizeof value) == -1);
  CHECK(errno == EOPNOTSUPP);
  CHECK(setxattr(on_mount.at("log").c_str(), "user.tag", "x", 1, 0) == -1);
  CHECK(errno == EOPNOTSUPP);
}

}  // namespace
}  // namespace histfs::test
