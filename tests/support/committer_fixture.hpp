#pragma once
// A backing dir and its git dir in a temp dir, with the committer's parts built by open():
// for tests that drive gitstore::Committer directly, without a mount.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gitstore/committer.hpp"
#include "gitstore/object_sync.hpp"
#include "support/temp_dir.hpp"

namespace histfs::test {

// While it lives, a commit writes `objects` loose objects before the rest go to a pack
// (ObjectSync::pack_after): lower to test the pack, higher to keep everything loose.
class PackAfter {
 public:
  explicit PackAfter(std::size_t objects) : before_(gitstore::ObjectSync::pack_after()) {
    gitstore::ObjectSync::set_pack_after(objects);
  }
  ~PackAfter() { gitstore::ObjectSync::set_pack_after(before_); }
  PackAfter(const PackAfter&) = delete;
  PackAfter& operator=(const PackAfter&) = delete;

 private:
  std::size_t before_;
};

struct CommitterFixture {
  TempDir dir;
  std::string data = (dir / "data").string();
  std::string git_dir = (dir / "data.git").string();
  gitstore::LibGit2 libgit2;
  std::optional<gitstore::Repository> repo;
  int root_fd = -1;  // opened by open() unless a test opened it first
  std::unique_ptr<gitstore::IgnoreRules> ignore;
  gitstore::ChangeSet changes;
  std::unique_ptr<gitstore::Committer> committer;

  CommitterFixture() {
    std::filesystem::create_directories(data);
    gitstore::configure_libgit2();
  }
  virtual ~CommitterFixture() {
    committer.reset();
    if (root_fd >= 0) close(root_fd);
  }
  CommitterFixture(const CommitterFixture&) = delete;
  CommitterFixture& operator=(const CommitterFixture&) = delete;

  void open() {
    repo.emplace(gitstore::Repository::open_or_create(git_dir));
    gitstore::write_info_exclude(git_dir, gitstore::default_ignore_patterns());
    if (root_fd < 0) root_fd = ::open(data.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ignore = std::make_unique<gitstore::IgnoreRules>(root_fd, std::vector<std::string>{});
    committer = std::make_unique<gitstore::Committer>(*repo, root_fd, *ignore, changes, gitstore::CommitterOptions{});
  }
};

}  // namespace histfs::test
