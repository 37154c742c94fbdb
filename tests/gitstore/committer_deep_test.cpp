// Issue 7 item 9: paths deeper than PATH_MAX are committed, and a path git refuses is skipped
// and reported while everything else commits.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "gitstore/committer.hpp"
#include "gitstore/dir_walk.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::run;
using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

struct DeepFixture : test::CommitterFixture {
  DeepFixture() { root_fd = ::open(data.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC); }
  ~DeepFixture() override {
    committer.reset();
    std::system(("rm -rf '" + dir.path().string() + "/data'").c_str());  // remove_all stops at PATH_MAX
  }
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }

  // A chain of 40 folders of 120-byte names, made one level at a time; returns its path.
  std::string make_chain() const {
    std::string path;
    int at = dup(root_fd);
    for (int i = 0; i < 40; ++i) {
      const std::string name(120, char('a' + i % 26));
      REQUIRE(mkdirat(at, name.c_str(), 0755) == 0);
      const int next = openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
      REQUIRE(next >= 0);
      close(at);
      at = next;
      path += (path.empty() ? "" : "/") + name;
    }
    close(at);
    return path;
  }
  void write_deep(const std::string& path, const std::string& text) const {
    const int fd = open_at(root_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW);
    REQUIRE(fd >= 0);
    REQUIRE(fchmod(fd, 0644) == 0);
    REQUIRE(write(fd, text.data(), text.size()) == ssize_t(text.size()));
    close(fd);
  }
};

TEST_CASE("files below a folder chain deeper than PATH_MAX are committed", "[committer][deep]") {
  DeepFixture f;
  const std::string chain = f.make_chain();
  REQUIRE(chain.size() > PATH_MAX);
  f.write_deep(chain + "/bottom.md", "deep down\n");
  write_file(f.data + "/normal.md", "normal\n");
  f.open();
  REQUIRE(f.committer->reconcile());
  CHECK(f.git("ls-tree -r --name-only HEAD | awk 'length > 4096'") == chain + "/bottom.md\n");
  CHECK(f.git("ls-tree -r --name-only HEAD | grep -c normal.md") == "1\n");
  f.git("fsck --strict");
  CHECK(f.committer->status().skipped.empty());

  SECTION("an edit deep down, recorded by its path") {
    f.write_deep(chain + "/bottom.md", "changed\n");
    f.changes.dirty(chain + "/bottom.md", 0, 0);
    REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
    f.changes.committed();
    const std::string blob = f.git("ls-tree -r HEAD | awk 'length > 4096 { print $3 }'");
    CHECK(f.git("cat-file blob " + blob) == "changed\n");
  }
  SECTION("a rescan of the whole tree finds nothing new") { CHECK_FALSE(f.committer->reconcile()); }
}

TEST_CASE("a name git refuses is skipped and reported, the rest commits", "[committer][deep]") {
  DeepFixture f;
  write_file(f.data + "/notes/.git.", "refused\n");
  write_file(f.data + "/notes/.git /inside.md", "refused too\n");
  write_file(f.data + "/notes/kept.md", "kept\n");
  f.open();
  REQUIRE(f.committer->reconcile());
  CHECK(f.git("ls-tree -r --name-only HEAD") == "notes/kept.md\n");
  f.git("fsck --strict");
  const auto skipped = f.committer->status().skipped;
  REQUIRE(skipped.size() == 2);
  CHECK(skipped[0].rfind("notes/.git /inside.md: git refuses the name \".git \"", 0) == 0);
  CHECK(skipped[1].rfind("notes/.git.: git refuses the name \".git.\"", 0) == 0);

  SECTION("it stays skipped while present, and leaves the list once gone") {
    write_file(f.data + "/notes/more.md", "more\n");
    f.changes.dirty("notes/more.md", 0, 0);
    REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
    f.changes.committed();
    CHECK(f.committer->status().skipped.size() == 2);
    stdfs::remove(f.data + "/notes/.git.");
    f.changes.removed("notes/.git.", 0, 0);
    write_file(f.data + "/notes/last.md", "last\n");
    f.changes.dirty("notes/last.md", 0, 0);
    REQUIRE(f.committer->commit_batch(f.changes.take(), ""));
    f.changes.committed();
    CHECK(f.committer->status().skipped.size() == 1);
  }
}

}  // namespace
}  // namespace histfs::gitstore
