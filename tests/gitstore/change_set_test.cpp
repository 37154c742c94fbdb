#include "gitstore/change_set.hpp"

#include <catch2/catch.hpp>
#include <thread>

namespace histfs::gitstore {
namespace {

using Set = std::set<std::string>;

TEST_CASE("a rename carries pending edits to the new name", "[change_set]") {
  ChangeSet changes;
  changes.dirty("notes/a.md", 0, 0);
  changes.dirty("notes/sub/b.md", 0, 0);
  changes.dirty("notes-old/c.md", 0, 0);  // shares a prefix but is not below notes/
  changes.moved("notes", "archive", 0, 0);
  auto batch = changes.take();
  CHECK(batch.dirty == Set{"archive/a.md", "archive/sub/b.md", "notes-old/c.md"});
  REQUIRE(batch.ops.size() == 1);
  CHECK(batch.ops[0].kind == PathOp::Kind::Move);
}

TEST_CASE("a removal drops pending edits at and below the path", "[change_set]") {
  ChangeSet changes;
  changes.dirty("d/a.md", 0, 0);
  changes.dirty("d.md", 0, 0);
  changes.dirty("d-x/a.md", 0, 0);
  changes.removed("d", 0, 0);
  CHECK(changes.take().dirty == Set{"d.md", "d-x/a.md"});
}

TEST_CASE("a rename over a file drops that file's pending edit", "[change_set]") {
  ChangeSet changes;
  changes.dirty("target.md", 0, 0);
  changes.dirty(".target.md.tmp", 0, 0);
  changes.moved(".target.md.tmp", "target.md", 0, 0);
  CHECK(changes.take().dirty == Set{"target.md"});
}

TEST_CASE("a rename onto itself keeps pending edits", "[change_set]") {
  ChangeSet changes;
  changes.dirty("a/x", 0, 0);
  changes.moved("a", "a", 0, 0);
  changes.exchanged("a/x", "a/x", 0, 0);
  auto batch = changes.take();
  CHECK(batch.dirty == Set{"a/x"});
  CHECK(batch.ops.empty());
}

TEST_CASE("an exchange swaps pending edits", "[change_set]") {
  ChangeSet changes;
  changes.dirty("a/x", 0, 0);
  changes.dirty("b", 0, 0);
  changes.exchanged("a", "b", 0, 0);
  CHECK(changes.take().dirty == Set{"b/x", "a"});
}

TEST_CASE("taking a batch moves the generation on", "[change_set]") {
  ChangeSet changes;
  const unsigned before = changes.generation();
  changes.dirty("a", 0, 0);
  CHECK(changes.generation() == before);
  changes.take();
  CHECK(changes.generation() != before);
  CHECK(changes.pending() == 1);  // until its commit is done
  changes.committed();
  CHECK(changes.pending() == 0);
}

TEST_CASE("a batch is due after the quiet time, or at the latest after the max delay", "[change_set]") {
  using namespace std::chrono;
  ChangeSet changes;
  SECTION("quiet") {
    changes.dirty("a", 0, 0);
    auto start = steady_clock::now();
    auto batch = changes.wait_for_batch(milliseconds(50), milliseconds(5000));
    CHECK(batch.dirty == Set{"a"});
    CHECK(steady_clock::now() - start >= milliseconds(50));
  }
  SECTION("max delay under a steady stream of changes") {
    std::atomic<bool> done{false};
    std::thread writer([&] {
      while (!done) {
        changes.dirty("busy", 0, 0);
        std::this_thread::sleep_for(milliseconds(5));
      }
    });
    auto start = steady_clock::now();
    auto batch = changes.wait_for_batch(milliseconds(100), milliseconds(300));
    auto waited = steady_clock::now() - start;
    done = true;
    writer.join();
    CHECK(batch.dirty == Set{"busy"});
    CHECK(waited < milliseconds(2000));  // never waits for quiet that does not come
  }
  SECTION("stop returns what is pending at once") {
    changes.dirty("a", 0, 0);
    changes.request_stop();
    CHECK(changes.wait_for_batch(seconds(60), seconds(60)).dirty == Set{"a"});
  }
}

TEST_CASE("actors are recorded once per process name", "[change_set]") {
  ChangeSet changes;
  changes.dirty("a", 1000, getpid());
  changes.dirty("b", 1000, getpid());
  auto batch = changes.take();
  REQUIRE(batch.actors.size() == 1);
  CHECK(batch.actors.begin()->uid == 1000);
  CHECK(batch.actors.begin()->process == "unit_tests");
}

TEST_CASE("a move after the cut makes the next batch reread where it took what the commit reads", "[change_set]") {
  ChangeSet changes;
  changes.dirty("a/x", 0, 0);
  changes.take();
  SECTION("moved before the committer names what it reads") {
    changes.moved("a", "b", 0, 0);
    changes.reading({"a/x"});
    CHECK(changes.take().dirty == Set{"b/x"});
  }
  SECTION("moved while it reads, then moved again") {
    changes.reading({"a/x"});
    changes.moved("a", "b", 0, 0);
    changes.moved("b", "c/d", 0, 0);
    CHECK(changes.take().dirty.count("c/d/x"));
  }
  SECTION("an exchange") {
    changes.reading({"a/x"});
    changes.exchanged("a", "b", 0, 0);
    CHECK(changes.take().dirty.count("b/x"));
  }
  SECTION("a file moved out of a directory it compares") {
    changes.reading({"a"});
    changes.moved("a/x", "e/x", 0, 0);
    CHECK(changes.take().dirty.count("e/x"));
  }
  SECTION("not once the commit is done") {
    changes.reading({"a/x"});
    changes.committed();
    changes.moved("a", "b", 0, 0);
    CHECK(changes.take().dirty.empty());
  }
}

TEST_CASE("a directory to compare follows moves out of it", "[change_set]") {
  ChangeSet changes;
  changes.rescan("a");
  changes.moved("a/x", "c", 0, 0);
  changes.moved("c", "d", 0, 0);
  CHECK(changes.take().rescan_dirs.count("d"));
}

TEST_CASE("pending counts the batch being committed", "[change_set]") {
  ChangeSet changes;
  changes.dirty("a", 0, 0);
  changes.dirty("b", 0, 0);
  changes.take();
  CHECK(changes.pending() == 2);
  changes.dirty("c", 0, 0);
  CHECK(changes.pending() == 3);
  changes.committed();
  CHECK(changes.pending() == 1);
}

TEST_CASE("what changed since the cut", "[change_set]") {
  ChangeSet changes;
  changes.moved("a/b", "c", 0, 0);
  changes.dirty("d/.gitignore", 0, 0);
  CHECK(changes.touched_since_cut("a/b/x"));
  CHECK(changes.touched_since_cut("a"));
  CHECK(changes.touched_since_cut("c/y"));
  CHECK(changes.touched_since_cut("d/e/f"));  // its ignore rules changed
  CHECK_FALSE(changes.touched_since_cut("a/bc"));
  CHECK_FALSE(changes.touched_since_cut("e"));
}

}  // namespace
}  // namespace histfs::gitstore
