#include "gitstore/lfs_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/lfs_sample.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::kHelloOid;
using test::read_file;
using test::temp_files;
using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

int open_read(const stdfs::path& file) { return ::open(file.c_str(), O_RDONLY | O_CLOEXEC); }

TEST_CASE("content enters the store in git-lfs's layout, hashed as it streams", "[lfs]") {
  TempDir dir;
  write_file(dir / "hello", "hello world\n");
  LfsStore store((dir / "lfs").string());
  const int fd = open_read(dir / "hello");
  auto pointer = store.import_fd(fd, 12);
  close(fd);
  REQUIRE(pointer);
  CHECK(*pointer == LfsPointer{kHelloOid, 12});
  CHECK(store.object_path(kHelloOid) == (dir / "lfs/objects/a9/48" / kHelloOid).string());
  CHECK(read_file(store.object_path(kHelloOid)) == "hello world\n");
  CHECK(store.has(*pointer));
  CHECK(store.check(*pointer).empty());
  CHECK(store.totals().objects == 1);
  CHECK(store.totals().bytes == 12);
  CHECK(temp_files(store) == 0);
}

TEST_CASE("a file whose size changed while read is not stored", "[lfs]") {
  TempDir dir;
  write_file(dir / "f", "hello world\n");
  LfsStore store((dir / "lfs").string());
  const int fd = open_read(dir / "f");
  CHECK_FALSE(store.import_fd(fd, 20));  // shorter than said
  CHECK_FALSE(store.import_fd(fd, 5));   // longer than said
  close(fd);
  CHECK(store.totals().objects == 0);
  CHECK(temp_files(store) == 0);
}

TEST_CASE("a download enters the store only when it is what the pointer says", "[lfs]") {
  TempDir dir;
  LfsStore store((dir / "lfs").string());
  SECTION("right") {
    const std::string temp = store.new_temp_file();
    write_file(temp, "hello world\n");
    store.adopt_temp_file(temp, {kHelloOid, 12});
    CHECK(store.has({kHelloOid, 12}));
  }
  SECTION("same size, other bytes") {
    const std::string temp = store.new_temp_file();
    write_file(temp, "HELLO world\n");
    CHECK_THROWS_WITH(store.adopt_temp_file(temp, {kHelloOid, 12}),
                      Catch::Contains(kHelloOid) && Catch::Contains("corrupt"));
    CHECK_FALSE(store.has({kHelloOid, 12}));
    CHECK_FALSE(stdfs::exists(temp));
  }
  SECTION("short") {
    const std::string temp = store.new_temp_file();
    write_file(temp, "hello");
    CHECK_THROWS_AS(store.adopt_temp_file(temp, {kHelloOid, 12}), LfsError);
    CHECK_FALSE(stdfs::exists(temp));
  }
  CHECK(temp_files(store) == 0);
}

TEST_CASE("copies between stores are verified", "[lfs]") {
  TempDir dir;
  LfsStore local = test::store_with_hello(dir, "a"), remote((dir / "b").string());
  const LfsPointer& pointer = test::kHello;
  local.copy_to(remote, pointer);
  CHECK(read_file(remote.object_path(pointer.oid)) == "hello world\n");
  // A store whose object was damaged afterwards says so and copies nothing.
  write_file(local.object_path(pointer.oid), "hellO world\n");
  CHECK(local.check(pointer) == "content does not match its oid");
  LfsStore third((dir / "c").string());
  CHECK_THROWS_WITH(local.copy_to(third, pointer), Catch::Contains("corrupt"));
  CHECK_FALSE(third.has(pointer));
  LfsStore fourth((dir / "d").string());
  CHECK_THROWS_WITH(third.copy_to(fourth, pointer), Catch::Contains("missing"));
  CHECK(third.check(pointer) == "missing");
}

TEST_CASE("an oid that is not one never names a path", "[lfs]") {
  LfsStore store("/nonexistent/lfs");
  CHECK_THROWS_AS(store.object_path("../../etc/passwd"), LfsError);
  CHECK_THROWS_AS(store.has({std::string(64, 'g'), 1}), LfsError);
}

}  // namespace
}  // namespace histfs::gitstore
