// The committer's trees against stock git's for the same files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "gitstore/committer.hpp"
#include "gitstore/git_oracle.hpp"
#include "support/committer_fixture.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::git_tree_of;
using test::run;
using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

void make_sample_tree(const std::string& data) {
  write_file(data + "/README.md", "# notes\n");
  write_file(data + "/notes/a.md", "alpha\n");
  write_file(data + "/notes/b.md", "beta\n");
  write_file(data + "/notes/deep/er/c.md", "gamma\n");
  write_file(data + "/other/d.txt", std::string(20000, 'x'));
  write_file(data + "/other/.hidden", "dot file\n");
  write_file(data + "/scripts/run.sh", "#!/bin/sh\necho hi\n");
  stdfs::permissions(data + "/scripts/run.sh", stdfs::perms::owner_exec, stdfs::perm_options::add);
  stdfs::create_symlink("../notes/a.md", data + "/other/link.md");
  write_file(data + "/other/.note.md.swp", "swap");
  write_file(data + "/other/backup~", "backup");
  stdfs::create_directories(data + "/empty/dir");
}

struct Fixture : test::CommitterFixture {
  std::string head_tree() const { return oid_hex(*repo->head_tree()); }
  std::string expected_tree() const { return git_tree_of(data, git_dir); }
  std::optional<CommitResult> commit_changes() { return committer->commit_batch(changes.take(), ""); }
  // The sample tree, committed by the first reconcile: where most cases start.
  CommitResult import_sample_tree() {
    make_sample_tree(data);
    open();
    auto result = committer->reconcile();
    REQUIRE(result);
    return *result;
  }
  // A change to the backing dir, recorded as the mount records it.
  void write(const std::string& path, const std::string& text) {
    write_file(data + "/" + path, text);
    changes.dirty(path, 0, 0);
  }
  void rename(const std::string& from, const std::string& to) {
    stdfs::rename(data + "/" + from, data + "/" + to);
    changes.moved(from, to, 0, 0);
  }
  void remove(const std::string& path) {
    stdfs::remove_all(data + "/" + path);
    changes.removed(path, 0, 0);
  }
  // The sample tree imported, then a batch cut whose record does not match what happened:
  // README.md moved to MOVED.md, but the file is gone (HEAD will be wrong on purpose).
  ChangeBatch cut_after_a_wrong_move() {
    import_sample_tree();
    stdfs::remove(data + "/README.md");
    changes.moved("README.md", "MOVED.md", 0, 0);
    return changes.take();
  }
  // Stock git on the git dir; its stdout.
  std::string git(const std::string& args) const { return run("git --git-dir '" + git_dir + "' " + args); }
};

TEST_CASE("initial import builds the tree git builds", "[committer]") {
  Fixture f;
  const CommitResult result = f.import_sample_tree();
  CHECK(f.head_tree() == f.expected_tree());
  CHECK(result.summary.added.size() == 8);
  CHECK(f.git("log -1 --format=%s").rfind("chore(sync): initial import: 8 added", 0) == 0);
  f.git("fsck --strict");
}

TEST_CASE("a reconcile with nothing changed commits nothing", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  CHECK_FALSE(f.committer->reconcile());
  CHECK(f.committer->commits() == 1);
}

TEST_CASE("recorded changes build the tree git builds", "[committer]") {
  Fixture f;
  f.import_sample_tree();

  SECTION("edit, add and delete files") {
    f.write("notes/a.md", "alpha two\n");
    f.write("new/x.md", "x\n");
    f.remove("notes/b.md");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(result->summary.count() == 3);
  }
  SECTION("rename a directory, then edit inside it") {
    f.rename("notes", "archive");
    f.write("archive/deep/er/c.md", "changed\n");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(result->summary.renamed.size() == 1);
  }
  SECTION("edit, then rename before the commit") {
    f.write("notes/a.md", "edited\n");
    f.rename("notes/a.md", "notes/z.md");
    REQUIRE(f.commit_changes());
  }
  SECTION("editor save: temp file renamed over the target") {
    f.write("notes/.a.md.tmp", "saved by editor\n");
    f.rename("notes/.a.md.tmp", "notes/a.md");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(result->summary.updated == std::vector<std::string>{"notes/a.md"});
  }
  SECTION("rename to an ignored name drops the file") {
    f.rename("notes/a.md", "notes/a.md~");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(result->summary.removed == std::vector<std::string>{"notes/a.md"});
  }
  SECTION("a file replaced by a directory and back") {
    f.remove("other/d.txt");
    f.write("other/d.txt/inner.md", "inner\n");
    f.remove("notes/deep");
    f.write("notes/deep", "now a file\n");
    REQUIRE(f.commit_changes());
  }
  SECTION("exchange two files") {
    stdfs::rename(f.data + "/notes/a.md", f.data + "/tmp-swap");
    stdfs::rename(f.data + "/notes/b.md", f.data + "/notes/a.md");
    stdfs::rename(f.data + "/tmp-swap", f.data + "/notes/b.md");
    f.changes.exchanged("notes/a.md", "notes/b.md", 0, 0);
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(summarize(result->summary) == "2 updated in notes/");
  }
  SECTION("chmod +x and a new symlink") {
    stdfs::permissions(f.data + "/notes/a.md", stdfs::perms::owner_exec, stdfs::perm_options::add);
    f.changes.dirty("notes/a.md", 0, 0);
    stdfs::create_symlink("/etc/passwd", f.data + "/abs-link");
    f.changes.dirty("abs-link", 0, 0);
    REQUIRE(f.commit_changes());
  }
  SECTION("a .gitignore written later drops what it matches") {
    f.write("other/.gitignore", "*.txt\n");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(std::find(result->summary.removed.begin(), result->summary.removed.end(), "other/d.txt") !=
          result->summary.removed.end());
  }
  SECTION("removing every file of a directory removes the tree") {
    f.remove("notes");
    auto result = f.commit_changes();
    REQUIRE(result);
    CHECK(result->summary.removed.size() == 3);
  }
  CHECK(f.head_tree() == f.expected_tree());
  f.git("fsck --strict");
}

TEST_CASE("a reconcile walks names that sort around '/' and bytes that are not UTF-8 as git does", "[committer]") {
  Fixture f;
  // Byte order of full paths puts "a-b/c" and "a.b" before "a/b", and "a0" and "a\xff.md" after
  // it; the reconcile's sorted walk must pair each with its tree entry all the same.
  for (const std::string name : {"a-b/c", "a.b", "a/b", "a/c/d", "a0", "a\xff.md", "\xfe/\x80"})
    write_file(f.data + "/" + name, "first " + name + "\n");
  f.open();
  REQUIRE(f.committer->reconcile());
  CHECK(f.head_tree() == f.expected_tree());
  // Changed outside the mount: a file gone, one made a folder, a folder made a file, one edited.
  stdfs::remove(f.data + "/a.b");
  stdfs::remove(f.data + "/a0");
  write_file(f.data + "/a0/z", "now a folder\n");
  stdfs::remove_all(f.data + "/a/c");
  write_file(f.data + "/a/c", "now a file\n");
  write_file(f.data + "/a\xff.md", "edited, and longer than before\n");
  auto result = f.committer->reconcile();
  REQUIRE(result);
  CHECK(f.head_tree() == f.expected_tree());
  CHECK(result->summary.removed.size() == 3);  // a.b, a0, a/c/d
  CHECK(result->summary.added.size() == 2);    // a0/z, a/c
  CHECK(result->summary.updated == std::vector<std::string>{"a\xff.md"});
}

TEST_CASE("an unchanged tree makes no commit", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  f.write("notes/a.md", "alpha\n");             // same content
  f.changes.dirty("other/.note.md.swp", 0, 0);  // ignored
  CHECK_FALSE(f.commit_changes());
}

TEST_CASE("commit messages carry who changed what", "[committer]") {
  Fixture f;
  f.open();
  write_file(f.data + "/a.md", "a\n");
  f.changes.dirty("a.md", 0, getpid());
  REQUIRE(f.commit_changes());
  const std::string message = f.git("log -1 --format=%B");
  CHECK(message.rfind("chore(sync): add a.md\n", 0) == 0);
  CHECK(message.find("Changed-By: root (uid 0) via unit_tests") != std::string::npos);
  CHECK(message.find("Correlation-Id: ") != std::string::npos);
  const std::string trailers = f.git("log -1 --format='%(trailers:key=Correlation-Id,valueonly)'");
  CHECK(trailers.size() >= 32);
  // A reflog entry exists for the branch, as git keeps for its own commits.
  CHECK_FALSE(f.git("reflog show main").empty());
}

TEST_CASE("the stat cache avoids rehashing unchanged files", "[committer]") {
  Fixture f;
  make_sample_tree(f.data);
  // Old timestamps, so the files are past the racy window and cacheable.
  run("find '" + f.data + "' -exec touch -h -d '2020-01-01' {} +");
  f.open();
  REQUIRE(f.committer->reconcile());
  f.committer.reset();

  // Change a file's content behind the cache's back but keep its size and
  // times: only a new ctime gives it away, and the reconcile must notice.
  write_file(f.data + "/notes/a.md", "ALPHA\n");
  run("touch -d '2020-01-01' '" + f.data + "/notes/a.md'");
  f.committer = std::make_unique<Committer>(*f.repo, f.root_fd, *f.ignore, f.changes, CommitterOptions{});
  auto result = f.committer->reconcile();
  REQUIRE(result);
  CHECK(result->summary.updated == std::vector<std::string>{"notes/a.md"});
  CHECK(f.head_tree() == f.expected_tree());
}

TEST_CASE("a move made after the cut, before the commit reads, reaches HEAD", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  f.write("notes/a.md", "edited before the cut\n");
  ChangeBatch batch = f.changes.take();
  // Renamed in the backing dir before the committer reads notes/a.md, recorded in the next batch.
  f.rename("notes", "archive");
  f.committer->commit_batch(batch, "");
  f.changes.committed();
  f.commit_changes();
  CHECK(f.head_tree() == f.expected_tree());
}

TEST_CASE("a file the replay cannot place follows later moves of its batch", "[committer]") {
  Fixture f;
  write_file(f.data + "/notes/n.md~", "ignored while it has this name\n");
  f.open();
  f.committer->reconcile();
  f.rename("notes/n.md~", "notes/n.md");
  f.rename("notes", "kept");
  REQUIRE(f.commit_changes());
  CHECK(f.head_tree() == f.expected_tree());
}

TEST_CASE("the self-check repairs a commit that left HEAD wrong, and says so", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  spdlog::default_logger()->sinks().push_back(sink);
  struct Unhook {
    ~Unhook() { spdlog::default_logger()->sinks().pop_back(); }
  } unhook;
  // A record that does not match what happened: the move is replayed, but the files are gone.
  stdfs::remove_all(f.data + "/notes");
  f.changes.moved("notes", "archive", 0, 0);
  f.committer->start();
  REQUIRE(f.committer->wait_flushed(f.changes.request_flush(), std::chrono::seconds(10)));
  CHECK(f.head_tree() == f.expected_tree());
  bool logged = false;
  for (const auto& line : sink->last_formatted())
    if (line.find("integrity_repair") != std::string::npos && line.find("archive/a.md") != std::string::npos)
      logged = true;
  CHECK(logged);
}

TEST_CASE("a difference left to the next batch is checked there, even where that batch does not reach", "[committer]") {
  Fixture f;
  ChangeBatch batch = f.cut_after_a_wrong_move();
  // Recorded after the cut, a change that names MOVED.md (below it) and changes nothing there:
  // the check leaves MOVED.md to the next batch, which replays only that change.
  f.changes.removed("MOVED.md/x", 0, 0);
  f.committer->commit_checked(batch);
  REQUIRE(f.head_tree() != f.expected_tree());
  ChangeBatch next = f.changes.take();
  f.committer->commit_checked(next);
  CHECK(f.head_tree() == f.expected_tree());
}

TEST_CASE("a repair's own batch is checked too", "[committer]") {
  Fixture f;
  ChangeBatch batch = f.cut_after_a_wrong_move();
  // Recorded after the cut: the repair's batch takes this wrong record along.
  stdfs::remove_all(f.data + "/scripts");
  f.changes.moved("scripts", "tools", 0, 0);
  f.committer->commit_checked(batch);
  CHECK(f.head_tree() == f.expected_tree());
  CHECK(f.changes.pending() == 0);
}

TEST_CASE("a failed commit takes back the objects it wrote, and only those", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  auto loose_objects = [&] { return run("cd '" + f.git_dir + "/objects' && find . -type f | sort"); };
  const std::string before = loose_objects();
  f.write("notes/new.md", "written by the failed attempt\n");
  f.write("notes/big.bin", std::string(9 << 20, 'b'));  // streamed, not read whole
  f.write("notes/b.md", "alpha\n");                     // the content of a.md: a blob that exists
  // Older than the stat cache's racy window, so the attempt caches them: the cache must then
  // forget the blobs it took back, or the retry would name a removed blob (fsck below).
  struct stat st;
  REQUIRE(::stat((f.data + "/notes/big.bin").c_str(), &st) == 0);
  while (std::time(nullptr) < st.st_ctim.tv_sec + 3) usleep(100000);
  // The branch cannot move: the attempt fails after writing blobs, trees and the commit.
  write_file(f.git_dir + "/refs/heads/main.lock", "");
  ChangeBatch batch = f.changes.take();
  CHECK_THROWS(f.committer->commit_batch(batch, ""));
  CHECK(loose_objects() == before);
  stdfs::remove(f.git_dir + "/refs/heads/main.lock");
  REQUIRE(f.committer->commit_batch(batch, ""));
  CHECK(f.head_tree() == f.expected_tree());
  f.git("fsck --strict");
}

TEST_CASE("a large commit writes its objects past the threshold into packs, its trees apart", "[committer]") {
  test::PackAfter after(20);
  Fixture f;
  for (int i = 0; i < 100; ++i) write_file(f.data + "/many/f" + std::to_string(i) + ".md", "note " + std::to_string(i));
  make_sample_tree(f.data);
  f.open();
  REQUIRE(f.committer->reconcile());
  CHECK(f.head_tree() == f.expected_tree());
  const std::string counted = f.git("count-objects -v");
  CHECK(counted.find("count: 20\n") != std::string::npos);  // the first 20 loose, the rest packed
  CHECK(counted.find("packs: 2\n") != std::string::npos);   // the blobs, and the trees with the commit
  CHECK(run("ls '" + f.git_dir + "/objects/pack' | grep -c '^pack-'") == "4\n");  // no temporary file left
  // One pack holds only trees and the commit.
  const std::string kinds = run("cd '" + f.git_dir + "/objects/pack' && for i in pack-*.idx; do git --git-dir='" +
                                f.git_dir + "' show-index < $i | cut -d' ' -f2 | git --git-dir='" + f.git_dir +
                                "' cat-file --batch-check='%(objecttype)' | sort -u | tr '\\n' ' '; echo; done | sort");
  CHECK(kinds == "blob \ncommit tree \n");
  f.git("fsck --strict --no-dangling");

  SECTION("a small commit after it stays loose") {
    f.write("many/f7.md", "note seven, edited");
    REQUIRE(f.commit_changes());
    CHECK(f.git("count-objects -v").find("packs: 2\n") != std::string::npos);
    CHECK(f.head_tree() == f.expected_tree());
  }
  SECTION("an attempt that fails after its pack is finished leaves the pack, and the retry commits") {
    for (int i = 0; i < 40; ++i) f.write("more/g" + std::to_string(i) + ".md", "more " + std::to_string(i));
    write_file(f.git_dir + "/refs/heads/main.lock", "");  // the branch cannot move
    ChangeBatch batch = f.changes.take();
    CHECK_THROWS(f.committer->commit_batch(batch, ""));
    stdfs::remove(f.git_dir + "/refs/heads/main.lock");
    REQUIRE(f.committer->commit_batch(batch, ""));
    CHECK(f.head_tree() == f.expected_tree());
    CHECK(f.git("show main:more/g39.md") == "more 39");
  }
  f.git("fsck --strict");
}

TEST_CASE("a commit starts from HEAD's tree even when HEAD moved since the last one", "[committer]") {
  Fixture f;
  f.import_sample_tree();
  const std::string imported = f.git("rev-parse main");
  f.write("notes/first.md", "first\n");
  REQUIRE(f.commit_changes());  // its overlay is kept for the next commit
  // Something else puts main back (as a pull adopting another commit would).
  f.git("update-ref refs/heads/main " + imported);
  f.write("notes/second.md", "second\n");
  REQUIRE(f.commit_changes());
  CHECK(f.git("ls-tree --name-only main notes/") == "notes/a.md\nnotes/b.md\nnotes/deep\nnotes/second.md\n");
  f.git("fsck --strict");
}

}  // namespace
}  // namespace histfs::gitstore
