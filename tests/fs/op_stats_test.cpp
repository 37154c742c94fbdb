// Counting FUSE operations without a lock (fs/op_stats.cpp).
#include "fs/op_stats.hpp"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace histfs::fs {

TEST_CASE("calls and errors are counted by operation", "[op_stats]") {
  OpStats stats;
  stats.begin(Op::lookup);
  stats.begin(Op::lookup);
  stats.error(Op::lookup);
  stats.begin(Op::write);
  CHECK(stats.calls(Op::lookup) == 2);
  CHECK(stats.errors(Op::lookup) == 1);
  CHECK(stats.calls(Op::write) == 1);
  CHECK(stats.errors(Op::write) == 0);
  CHECK(op_name(Op::write) == "write");
  CHECK(op_name(Op::copy_file_range) == "copy_file_range");
  CHECK(op_name(Op::lseek) == "lseek");
}

TEST_CASE("the first change since the last take is remembered, reads are not changes", "[op_stats]") {
  OpStats stats;
  stats.begin(Op::read);
  stats.begin(Op::getattr);
  CHECK_FALSE(stats.take_first_change().has_value());
  const auto before = std::chrono::system_clock::now();
  stats.begin(Op::write);
  stats.begin(Op::rename);
  const auto first = stats.take_first_change();
  REQUIRE(first.has_value());
  CHECK(*first >= before - std::chrono::milliseconds(50));
  CHECK_FALSE(stats.take_first_change().has_value());  // taken
}

TEST_CASE("counts from many threads add up", "[op_stats]") {
  OpStats stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) stats.begin(Op::getattr);
    });
  for (auto& thread : threads) thread.join();
  CHECK(stats.calls(Op::getattr) == 40000);
}

}  // namespace histfs::fs
