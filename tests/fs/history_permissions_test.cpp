// The owner and bits of .history entries: never more than the live tree grants.
#include "fs/history_permissions.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/temp_dir.hpp"

namespace histfs::fs {
namespace {

struct stat stat_of(mode_t mode, uid_t uid = 1000, gid_t gid = 100) {
  struct stat st {};
  st.st_mode = mode;
  st.st_uid = uid;
  st.st_gid = gid;
  return st;
}

TEST_CASE("the rule: read bits of the source, no write bit, x only for folders and executables", "[history]") {
  const auto file = stat_of(S_IFREG | 0644);
  CHECK(history_access(file, true, ShownAs::File).bits == 0444);
  CHECK(history_access(file, true, ShownAs::Executable).bits == 0555);
  CHECK(history_access(file, true, ShownAs::Folder).bits == 0555);  // a past folder that is a file now
  CHECK(history_access(file, true, ShownAs::Link).bits == 0777);
  CHECK(history_access(stat_of(S_IFREG | 0600), true, ShownAs::File).bits == 0400);
  CHECK(history_access(stat_of(S_IFREG | 0755), true, ShownAs::File).bits == 0444);         // not executable in git
  CHECK(history_access(stat_of(S_IFREG | 06777), true, ShownAs::Executable).bits == 0555);  // no setuid, no w
  CHECK(history_access(stat_of(S_IFREG | 0640), true, ShownAs::Executable).bits == 0550);

  const auto folder = stat_of(S_IFDIR | 0711);
  CHECK(history_access(folder, true, ShownAs::Folder).bits == 0511);  // the folder's own x bits
  CHECK(history_access(stat_of(S_IFDIR | 01777), true, ShownAs::Folder).bits == 0555);
  // Borrowed from the nearest live ancestor: nothing for others.
  CHECK(history_access(stat_of(S_IFDIR | 0755), false, ShownAs::File).bits == 0440);
  CHECK(history_access(stat_of(S_IFDIR | 0755), false, ShownAs::Folder).bits == 0550);
  CHECK(history_access(stat_of(S_IFDIR | 0700), false, ShownAs::Executable).bits == 0500);
  const auto access = history_access(stat_of(S_IFREG | 0600, 1234, 567), true, ShownAs::File);
  CHECK(access.uid == 1234);
  CHECK(access.gid == 567);
}

TEST_CASE("the source: the live path without following symlinks, else the nearest live folder", "[history]") {
  test::TempDir dir;
  const auto root = dir.path();
  std::filesystem::create_directories(root / "open/closed");
  test::write_file(root / "open/closed/secret.md", "s");
  test::write_file(root / "open/plain.md", "p");
  test::write_file(root / "was-a-folder", "now a file");
  std::filesystem::create_symlink(root / "open/closed", root / "link");
  std::filesystem::create_symlink(root / "open/closed/secret.md", root / "open/file-link");
  chmod(root.c_str(), 0755);
  chmod((root / "open").c_str(), 0751);
  chmod((root / "open/closed").c_str(), 0700);
  chmod((root / "open/closed/secret.md").c_str(), 0600);
  chmod((root / "open/plain.md").c_str(), 0644);
  chmod((root / "was-a-folder").c_str(), 0640);
  const int fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  LivePermissions live(fd);
  close(fd);  // the view keeps its own

  // What each path shows as in .history, and the bits it gets.
  struct Case {
    const char* path;
    ShownAs shown;
    mode_t bits;
  };
  const Case cases[] = {
      {"", ShownAs::Folder, 0555},
      {"open", ShownAs::Folder, 0551},
      {"open/closed", ShownAs::Folder, 0500},
      {"open/closed/secret.md", ShownAs::File, 0400},
      {"open/plain.md", ShownAs::File, 0444},
      // Gone: the nearest live folder, without others.
      {"open/closed/removed.md", ShownAs::File, 0400},
      {"open/gone/deeper/x.md", ShownAs::File, 0440},
      {"gone", ShownAs::Folder, 0550},
      // A folder that is a file now: the file's read bits, and x where they are.
      {"was-a-folder", ShownAs::Folder, 0550},
      {"was-a-folder/x.md", ShownAs::File, 0440},  // below a file: its folder, the root
      // Symlinks are never followed, neither on the way nor at the end: a symlink's own bits (0777) say nothing.
      {"link/secret.md", ShownAs::File, 0440},
      {"link", ShownAs::File, 0440},
      {"open/file-link", ShownAs::File, 0440},
      // Names a hostile tree may hold never leave the backing dir.
      {"..", ShownAs::Folder, 0550},
      {"open/../open/plain.md", ShownAs::File, 0440},
      {"open//plain.md", ShownAs::File, 0440},
      {"open/./plain.md", ShownAs::File, 0440},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    CHECK(live.of(c.path, c.shown).bits == c.bits);
  }
}

}  // namespace
}  // namespace histfs::fs
