#pragma once
// The read-only `.history/` tree inside the mount: every tag, commit, instant
// and past file version as plain files, served lazily from the git objects.
//
//   .history/<tag>/...         .history/tags/<tag>/...     .history/commits/<id>/...
//   .history/at/<time>/...     .history/versions/<path>/<time>_<id><ext>
//   .history/latest -> commits/<HEAD id>
//
// Its inode numbers are odd (ours for real files are pointers, so even) and
// stay fixed while mounted: a node is named by what it shows (object id, kind,
// time, path), so the same file reached twice is the same inode.
//
// Owners and permission bits come from the live tree (fs/history_permissions.hpp):
// .history never lets anyone read more than the backing dir lets them read now.
#include <sys/stat.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <semaphore>
#include <shared_mutex>
#include <string>

#include <fuse_lowlevel.h>

#include "fs/history_permissions.hpp"
#include "fs/kernel_notifier.hpp"
#include "gitstore/history.hpp"

namespace histfs::fs {

inline constexpr const char* kHistoryName = ".history";

class HistoryView {
 public:
  // backing_root_fd: any fd of the backing dir (O_PATH will do); the view keeps a duplicate.
  HistoryView(gitstore::HistoryReader& reader, int backing_root_fd);

  static bool is_history(fuse_ino_t ino) { return (ino & 1) && ino != FUSE_ROOT_ID; }

  // lookup(".history") in the mount root.
  void reply_root_entry(fuse_req_t req);
  // The entry of .history itself, for a readdirplus of the mount root.
  fuse_entry_param root_entry();

  void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void getattr(fuse_req_t req, fuse_ino_t ino);
  void readlink(fuse_req_t req, fuse_ino_t ino);
  void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
  void releasedir(fuse_req_t req, fuse_file_info* fi);
  void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi);
  void release(fuse_req_t req, fuse_file_info* fi);

  // Lets open() put a small blob's bytes in the kernel's page cache before replying (see open).
  void set_notifier(KernelNotifier* notifier) { notifier_ = notifier; }

  // After a commit: the kernel may hold `latest` (a cached symlink) and the live
  // directories' attributes. Never call from a FUSE request thread.
  void invalidate_live(KernelNotifier& notifier);

 private:
  enum class Kind { Root, Tags, Commits, At, Versions, FileVersions, Latest, Tree, Blob, Link };
  struct Node {
    Kind kind;
    gitstore::ObjectId oid{};
    gitstore::EntryKind entry = gitstore::EntryKind::Tree;
    std::int64_t time = 0;
    // Tree, Blob, Link, Versions, FileVersions: the path in the tree, which names the live
    // path whose owner and bits the node takes (so the same blob at two paths is two nodes).
    std::string path;
    std::uint64_t size = 0;
    bool size_known = false;
    bool content_offered = false;  // Blob: its bytes were (or are being) stored in the kernel's cache
  };
  static Node node_of(Kind kind) {
    Node n;
    n.kind = kind;
    return n;
  }
  struct Child {
    std::string name;
    fuse_ino_t ino;
  };

  fuse_ino_t intern(Node node);
  Node node(fuse_ino_t ino);
  fuse_ino_t tree_child(const gitstore::ObjectId& oid, gitstore::EntryKind entry, std::int64_t time, std::string path);
  std::vector<Child> children(fuse_ino_t ino);                        // throws errno as std::system_error
  fuse_ino_t find_child(fuse_ino_t parent, const std::string& name);  // 0 when absent
  struct stat attributes(fuse_ino_t ino);
  static mode_t file_type(const Node& n);
  fuse_entry_param entry_of(fuse_ino_t ino);
  bool is_immutable(Kind kind) const { return kind == Kind::Tree || kind == Kind::Blob || kind == Kind::Link; }
  std::int64_t head_time();
  bool claim_offer(fuse_ino_t ino, bool claim);
  std::shared_ptr<const gitstore::BlobBytes> offer_content(fuse_ino_t ino, const Node& n);

  gitstore::HistoryReader& reader_;
  LivePermissions live_;
  std::shared_mutex mutex_;  // guards nodes_ and ids_; a leaf (docs/architecture.md, "Locks, in order")
  std::deque<Node> nodes_;   // node i has inode number 2*i + 3
  std::map<std::string, fuse_ino_t> ids_;
  KernelNotifier* notifier_ = nullptr;
  // Threads storing into the kernel's page cache at once: a store waits for the pages' locks,
  // which a reader of the same file may hold until its READ is answered, so most of the
  // FUSE threads must stay free to answer (the loop runs up to 16).
  std::counting_semaphore<2> offering_{2};
};

}  // namespace histfs::fs
