#include "tools/histfs/daemon/no_follow_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace histfs::daemon {
namespace {

namespace stdfs = std::filesystem;

struct Root {
  test::TempDir dir;
  stdfs::path root = dir / "root";
  stdfs::path outside = dir / "outside";
  int fd = -1;
  Root() {
    stdfs::create_directories(root);
    stdfs::create_directories(outside);
    fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
  }
  ~Root() { close(fd); }
};

std::string path_of(int folder, int file) {
  return "d" + std::to_string(folder) + "/sub/n" + std::to_string(file) + ".md";
}

}  // namespace

TEST_CASE("make_parents makes the folders of a path, making way without following symlinks", "[no_follow_writer]") {
  Root r;
  test::write_file(r.root / "a", "a file where a folder must go\n");
  stdfs::create_symlink(r.outside, r.root / "b");
  NoFollowWriter writer(r.fd);
  writer.make_parents("a/x/f.md");
  writer.make_parents("b/y/g.md");
  writer.make_parents("top.md");  // no folder to make
  CHECK(stdfs::is_directory(stdfs::symlink_status(r.root / "a" / "x")));
  CHECK(stdfs::is_directory(stdfs::symlink_status(r.root / "b")));
  CHECK(stdfs::is_directory(stdfs::symlink_status(r.root / "b" / "y")));
  CHECK(stdfs::is_empty(r.outside));
  CHECK(!stdfs::exists(r.root / "a" / "x" / "f.md"));
  CHECK(!stdfs::exists(r.root / "top.md"));
}

TEST_CASE("once their folders are made, writes run side by side on many threads", "[no_follow_writer]") {
  Root r;
  constexpr int kFolders = 40;
  constexpr int kFiles = 12;
  // Folders where some of the files go, each to be removed by the write that replaces it.
  for (int folder = 0; folder < kFolders; folder += 7)
    test::write_file(r.root / path_of(folder, 3) / "old.md", "old\n");
  stdfs::create_symlink(r.outside, r.root / "d5");
  // A folder of another user, others shut out: its new files are that user's, mode 0640.
  stdfs::create_directories(r.root / "d9" / "sub");
  REQUIRE(chown((r.root / "d9" / "sub").c_str(), 12345, 12346) == 0);
  REQUIRE(chmod((r.root / "d9" / "sub").c_str(), 0750) == 0);
  NoFollowWriter writer(r.fd);
  for (int folder = 0; folder < kFolders; ++folder) writer.make_parents(path_of(folder, 0));
  const bool exact = GENERATE(true, false);
  std::vector<std::thread> threads;
  std::vector<std::string> errors(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      try {
        // With a umask of 0 the writer creates each file with its mode; else it chmods after.
        if (exact && !NoFollowWriter::create_with_exact_modes()) errors[t] = "no umask of its own";
        for (int i = t; i < kFolders * kFiles; i += 8)
          writer.write_file(path_of(i / kFiles, i % kFiles), path_of(i / kFiles, i % kFiles) + "\n", i % 5 == 0);
      } catch (const std::exception& error) {
        errors[t] = error.what();
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(errors == std::vector<std::string>(8));
  std::size_t files = 0;
  for (const auto& entry : stdfs::recursive_directory_iterator(r.root)) files += entry.is_regular_file() ? 1 : 0;
  CHECK(files == kFolders * kFiles);
  for (int i = 0; i < kFolders * kFiles; ++i) {
    const stdfs::path file = r.root / path_of(i / kFiles, i % kFiles);
    REQUIRE(stdfs::is_regular_file(stdfs::symlink_status(file)));
    CHECK(test::read_file(file) == path_of(i / kFiles, i % kFiles) + "\n");
    struct stat st;
    REQUIRE(stat(file.c_str(), &st) == 0);
    const bool theirs = i / kFiles == 9;
    CHECK((st.st_mode & 07777) == (theirs ? 0640u : 0644u) + (i % 5 == 0 ? (theirs ? 0110u : 0111u) : 0u));
    CHECK(st.st_uid == (theirs ? 12345u : geteuid()));
    CHECK(st.st_gid == (theirs ? 12346u : getegid()));
  }
  CHECK(stdfs::is_empty(r.outside));
}

}  // namespace histfs::daemon
