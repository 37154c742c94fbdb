#include "gitstore/loose_packer.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "support/committer_fixture.hpp"

using namespace histfs;
using histfs::test::run;
using histfs::test::write_file;

namespace {

struct PackFixture : test::CommitterFixture {
  test::PackAfter all_loose{std::size_t(1) << 40};  // these tests pack what the committer left loose
  std::string git(const std::string& args) { return run("git --git-dir='" + git_dir + "' " + args + " 2>&1"); }
  void make_files(const std::string& folder, int count) {
    for (int i = 0; i < count; ++i)
      write_file(std::filesystem::path(data) / folder / ("f" + std::to_string(i) + ".md"),
                 "note " + folder + " " + std::to_string(i) + "\n");
  }
};

std::string line_with(const std::string& text, const std::string& prefix) {
  const auto at = text.find(prefix);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

}  // namespace

TEST_CASE_METHOD(PackFixture, "pack_loose_objects packs every loose object and keeps the history", "[packer]") {
  make_files("a", 150);
  make_files("b/c", 150);
  open();
  REQUIRE(committer->reconcile());
  const std::string head = git("rev-parse main");
  const std::string tree = git("ls-tree -r main");
  const gitstore::LooseCount before = gitstore::count_loose_objects(git_dir);
  CHECK(before.objects >= 303);  // 300 blobs, 3 trees at least, a commit
  CHECK(gitstore::estimate_loose_objects(git_dir) % 256 == 0);

  gitstore::ProgressBoard board;
  auto task = board.begin("housekeeping");
  const gitstore::PackResult result = gitstore::pack_loose_objects(git_dir, task.get());
  CHECK(result.packed == before.objects);
  CHECK(result.removed == before.objects);
  CHECK(result.loose_bytes == before.bytes);
  CHECK(result.pack.starts_with("pack-"));
  CHECK(result.pack_bytes > 0);
  CHECK(gitstore::count_loose_objects(git_dir).objects == 0);
  CHECK(task->snapshot().done == before.objects);

  const std::string counted = git("count-objects -v");
  CHECK(line_with(counted, "count:") == "count: 0");
  CHECK(line_with(counted, "in-pack:") == "in-pack: " + std::to_string(before.objects));
  CHECK(git("fsck --strict --no-dangling").empty());
  CHECK(git("rev-parse main") == head);
  CHECK(git("ls-tree -r main") == tree);
  CHECK(git("cat-file -p main:b/c/f7.md") == "note b/c 7\n");

  // Nothing loose: nothing to do, and no empty pack.
  CHECK(gitstore::pack_loose_objects(git_dir).pack.empty());
}

TEST_CASE_METHOD(PackFixture, "a pack holds the commits first, then the trees, then the blobs", "[packer]") {
  make_files("a", 50);
  make_files("b/c", 50);
  open();
  REQUIRE(committer->reconcile());
  make_files("d", 20);
  changes.rescan("d");
  REQUIRE(committer->commit_batch(changes.take(), ""));
  const gitstore::PackResult result = gitstore::pack_loose_objects(git_dir, nullptr);
  REQUIRE(!result.pack.empty());
  // verify-pack -v: "<id> <type> <size> <size in pack> <offset> ...", one object a line.
  std::istringstream listing(git("verify-pack -v '" + git_dir + "/objects/pack/" + result.pack + ".idx'"));
  std::vector<std::pair<long, int>> by_offset;  // (offset, rank of the type)
  std::map<std::string, int> rank{{"commit", 0}, {"tree", 1}, {"blob", 2}};
  for (std::string line; std::getline(listing, line);) {
    std::istringstream fields(line);
    std::string id, type, size, packed;
    long offset = 0;
    if (fields >> id >> type >> size >> packed >> offset && rank.count(type))
      by_offset.emplace_back(offset, rank[type]);
  }
  REQUIRE(by_offset.size() == 128);  // 2 commits, 6 trees (a, b, b/c, d and two roots), 120 blobs
  std::sort(by_offset.begin(), by_offset.end());
  CHECK(std::is_sorted(by_offset.begin(), by_offset.end(),
                       [](const auto& x, const auto& y) { return x.second < y.second; }));
}

TEST_CASE_METHOD(PackFixture, "commits made while a pack is written keep every object", "[packer]") {
  make_files("a", 2000);
  open();
  REQUIRE(committer->reconcile());
  gitstore::PackResult first;
  std::thread packer([&] { first = gitstore::pack_loose_objects(git_dir); });
  // The committer goes on meanwhile, on its own handle: new objects, and objects being packed.
  for (int round = 0; round < 5; ++round) {
    make_files("new" + std::to_string(round), 50);
    gitstore::ChangeBatch batch;
    batch.rescan_dirs.insert("");
    committer->commit_batch(batch, "");
  }
  packer.join();
  CHECK(first.packed >= 2000);
  CHECK(git("fsck --strict --no-dangling").empty());
  CHECK(git("cat-file -p main:new4/f49.md") == "note new4 49\n");
  CHECK(git("cat-file -p main:a/f1999.md") == "note a 1999\n");
  // What stayed loose is packed by the next run.
  gitstore::pack_loose_objects(git_dir);
  CHECK(gitstore::count_loose_objects(git_dir).objects == 0);
  CHECK(git("fsck --strict --no-dangling").empty());
  CHECK(git("rev-list --count main") == "6\n");
}

TEST_CASE_METHOD(PackFixture, "a pack stopped while it is listed, compressed or written leaves everything loose",
                 "[packer]") {
  make_files("a", 300);
  open();
  REQUIRE(committer->reconcile());
  const gitstore::LooseCount before = gitstore::count_loose_objects(git_dir);
  // Stop at the first question, and after many (inside the packbuilder's compression or the
  // index writing, which ask as they go).
  for (int answer_yes_after : {0, 5, 50, 400}) {
    int asked = 0;
    auto stop = [&] { return asked++ >= answer_yes_after; };
    CHECK_THROWS_AS(gitstore::pack_loose_objects(git_dir, nullptr, stop), gitstore::PackStopped);
    CHECK(asked > answer_yes_after);
    CHECK(gitstore::count_loose_objects(git_dir).objects == before.objects);
    CHECK(git("count-objects -v").find("packs: 0") != std::string::npos);
    CHECK(run("ls -A '" + git_dir + "/objects/pack'").empty());  // no half-written pack left behind
  }
  CHECK(git("fsck --strict --no-dangling").empty());
  CHECK(gitstore::pack_loose_objects(git_dir).removed == before.objects);  // the next pack does it all
}
