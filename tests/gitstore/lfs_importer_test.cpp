// Large LFS files imported off the committer thread: a note saved while a big file is
// imported is committed without waiting for it; the big file follows in a later commit.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "gitstore/committer.hpp"
#include "gitstore/git_oracle.hpp"
#include "gitstore/lfs_importer.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::run;
using test::TempDir;
using test::write_file;

constexpr auto kPatience = std::chrono::seconds(120);
const std::string kBig(std::size_t(LfsImporter::kBackgroundBytes) + 4096, 'v');

std::string sha256_of(const std::string& path) { return run("sha256sum '" + path + "' | cut -c1-64").substr(0, 64); }

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

// Counts the importer's "look again" calls, so a test can wait for one.
struct Signal {
  std::mutex mutex;
  std::condition_variable changed;
  int count = 0;
  void raise() {
    std::lock_guard lock(mutex);
    ++count;
    changed.notify_all();
  }
  bool wait_for(int at_least) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kPatience, [&] { return count >= at_least; });
  }
};

TEST_CASE("the importer stores a large file and hands back its pointer once", "[lfs][importer]") {
  TempDir dir;
  write_file((dir / "video.mp4").string(), kBig);
  const int root_fd = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  LfsStore store((dir / "lfs").string());
  Signal imported;
  LfsImporter importer(store, root_fd, [&] { imported.raise(); });

  const struct stat st = stat_of((dir / "video.mp4").string());
  CHECK(importer.take_or_queue("video.mp4", st).state == LfsImporter::Answer::State::Queued);
  REQUIRE(imported.wait_for(1));
  auto answer = importer.take_or_queue("video.mp4", st);
  REQUIRE(answer.state == LfsImporter::Answer::State::Ready);
  CHECK(answer.pointer->oid == sha256_of((dir / "video.mp4").string()));
  CHECK(answer.pointer->size == kBig.size());
  CHECK(store.check(*answer.pointer).empty());
  // Taken once: asking again queues a new import of that version.
  CHECK(importer.take_or_queue("video.mp4", st).state == LfsImporter::Answer::State::Queued);
  importer.stop();
  close(root_fd);
}

TEST_CASE("the importer drops a version the file no longer has, and stores nothing", "[lfs][importer]") {
  TempDir dir;
  const std::string path = (dir / "video.mp4").string();
  write_file(path, kBig);
  const struct stat old_version = stat_of(path);
  write_file(path, kBig + "more");  // the file moved on before the import began
  const int root_fd = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  LfsStore store((dir / "lfs").string());
  Signal imported;
  LfsImporter importer(store, root_fd, [&] { imported.raise(); });

  CHECK(importer.take_or_queue("video.mp4", old_version).state == LfsImporter::Answer::State::Queued);
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (importer.busy() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(importer.busy() == 0);
  CHECK(imported.count == 0);  // nothing to look at: the change that moved it on brings the new version
  CHECK(store.totals().objects == 0);
  CHECK(importer.take_or_queue("video.mp4", old_version).state == LfsImporter::Answer::State::Queued);
  importer.stop();
  close(root_fd);
}

TEST_CASE("the importer never follows a symlink put where the file was; names are bytes", "[lfs][importer]") {
  TempDir dir;
  const std::string odd = "v\xff\xfeid\x80.mp4";  // not UTF-8
  write_file((dir / odd).string(), kBig);
  write_file((dir / "elsewhere.bin").string(), kBig + "other content");
  const int root_fd = ::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  LfsStore store((dir / "lfs").string());
  Signal imported;
  LfsImporter importer(store, root_fd, [&] { imported.raise(); });

  // Asked for the version of a file that a symlink to it has since replaced: nothing is read.
  const struct stat target = stat_of((dir / "elsewhere.bin").string());
  std::filesystem::create_symlink("elsewhere.bin", dir / "link.mp4");
  CHECK(importer.take_or_queue("link.mp4", target).state == LfsImporter::Answer::State::Queued);
  // A non-UTF-8 name imports like any other; once it has, the symlink's job was done before it.
  const struct stat st = stat_of((dir / odd).string());
  CHECK(importer.take_or_queue(odd, st).state == LfsImporter::Answer::State::Queued);
  REQUIRE(imported.wait_for(1));
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (importer.busy() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(importer.busy() == 0);
  CHECK(importer.take_or_queue(odd, st).state == LfsImporter::Answer::State::Ready);
  CHECK(importer.take_or_queue("link.mp4", target).state == LfsImporter::Answer::State::Queued);  // never imported
  CHECK(store.totals().objects == 1);
  CHECK(imported.count == 1);
  importer.stop();
  close(root_fd);
}

struct Fixture : test::CommitterFixture {
  std::mutex mutex;
  std::condition_variable committed;
  std::vector<CommitNotice> notices;

  // Batches are cut `quiet` after the last change (or at a flush).
  void start_with_lfs(std::chrono::milliseconds quiet) {
    open();
    committer->set_options({quiet, 10 * quiet});
    committer->enable_lfs({1 << 20, {}});
    committer->subscribe("test", [this](const CommitNotice& notice) {
      std::lock_guard lock(mutex);
      notices.push_back(notice);
      committed.notify_all();
    });
    committer->start();
  }
  bool wait_for_commits(std::size_t n) {
    std::unique_lock lock(mutex);
    return committed.wait_for(lock, kPatience, [&] { return notices.size() >= n; });
  }
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }
};

TEST_CASE("a note written beside a large file is committed without waiting for its import", "[lfs][importer]") {
  Fixture f;
  f.start_with_lfs(std::chrono::milliseconds(20));
  write_file(f.data + "/video.mp4", kBig);
  write_file(f.data + "/note.md", "saved while the video imports\n");
  f.changes.dirty("video.mp4", 0, 0);
  f.changes.dirty("note.md", 0, 0);

  REQUIRE(f.wait_for_commits(2));
  const std::string first = f.notices[0].commit, second = f.notices[1].commit;
  // The first commit has the note and not the video; the next one adds the video as a pointer.
  CHECK(f.git("ls-tree --name-only " + first) == "note.md\n");
  CHECK(f.git("ls-tree --name-only " + second).find("video.mp4\n") != std::string::npos);
  const std::string pointer = f.git("cat-file -p " + second + ":video.mp4");
  CHECK(pointer.find("oid sha256:" + sha256_of(f.data + "/video.mp4")) != std::string::npos);
  CHECK(f.git("cat-file -p " + second + ":.gitattributes").find("/video.mp4 filter=lfs") != std::string::npos);
  f.git("fsck --strict");
}

TEST_CASE("a flush waits for the large file: it is in the very commit the flush asked for", "[lfs][importer]") {
  Fixture f;
  f.start_with_lfs(std::chrono::hours(1));  // only the flush cuts the batch
  write_file(f.data + "/video.mp4", kBig);
  write_file(f.data + "/note.md", "flushed\n");
  f.changes.dirty("video.mp4", 0, 0);
  f.changes.dirty("note.md", 0, 0);
  REQUIRE(f.committer->wait_flushed(f.changes.request_flush(), kPatience));
  const std::string files = f.git("ls-tree --name-only HEAD");
  CHECK(files.find("note.md\n") != std::string::npos);
  CHECK(files.find("video.mp4\n") != std::string::npos);
  CHECK(f.git("rev-list --count HEAD") == "1\n");
}

}  // namespace
}  // namespace histfs::gitstore
