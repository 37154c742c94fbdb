#include "gitstore/progress.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace histfs::gitstore;

TEST_CASE("a task shows on the board while someone holds it", "[progress]") {
  ProgressBoard board;
  CHECK(board.list().empty());
  auto restore = board.begin("restore", "comparing files");
  {
    auto other = board.begin("lfs upload");
    other->set_total(3, 3000);
    other->advance(1, 1000);
    const auto tasks = board.list();
    REQUIRE(tasks.size() == 2);
    CHECK(tasks[0].task == "restore");
    CHECK(tasks[0].state == "comparing files");
    CHECK(tasks[1].done == 1);
    CHECK(tasks[1].total == 3);
    CHECK(tasks[1].bytes == 1000);
    CHECK(tasks[1].bytes_total == 3000);
  }
  restore->set_state("writing files");
  restore->set_done(5, 50);
  const auto tasks = board.list();
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].state == "writing files");
  CHECK(tasks[0].done == 5);
  CHECK(tasks[0].seconds >= 0);
}

TEST_CASE("ProgressScope sets the thread's current task and nests", "[progress]") {
  ProgressBoard board;
  CHECK(current_progress() == nullptr);
  advance(current_progress(), 1);  // null-safe
  auto outer = board.begin("import");
  {
    ProgressScope scope(outer.get());
    CHECK(current_progress() == outer.get());
    auto inner = board.begin("push");
    {
      ProgressScope nested(inner.get());
      CHECK(current_progress() == inner.get());
      std::thread([] { CHECK(current_progress() == nullptr); }).join();  // per thread
    }
    CHECK(current_progress() == outer.get());
  }
  CHECK(current_progress() == nullptr);
}
