#include "fs/history_view.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <system_error>
#include <vector>

#include "fs/op_stats.hpp"
#include "gitstore/git_handle.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::fs {
namespace {

using gitstore::EntryKind;
using gitstore::ObjectId;
using gitstore::oid_hex;

constexpr double kImmutableTimeout = 86400;  // content-addressed: never changes
constexpr double kLiveTimeout = 1;           // names that new commits and tags change
// Attributes of commit content: the bytes never change, but the owner and bits follow the
// live tree, so a chmod or chown there reaches .history within this time.
constexpr double kPermissionTimeout = 5;

constexpr size_t kOidHexSize = 40;  // a SHA-1 in hex

const std::set<std::string> kReservedNames = {"tags", "commits", "at", "versions", "latest"};

[[noreturn]] void fail(int error) { throw std::system_error(error, std::generic_category()); }

bool is_hex(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

std::string extension_of(const std::string& path) {
  const std::string name = path.substr(path.rfind('/') + 1);
  const auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// Names for instants given oldest first: "2026-11-23T10:00:00Z"; several in one second
// become "...00.1Z", "...00.2Z", then the last "...00Z", so names sort in time order.
std::vector<std::string> instant_names(const std::vector<std::int64_t>& times) {
  std::vector<std::string> names;
  for (size_t i = 0; i < times.size(); ++i) {
    size_t before = 0;
    while (before < i && times[i - before - 1] == times[i]) ++before;
    std::string name = gitstore::format_instant(times[i]);
    if (i + 1 < times.size() && times[i + 1] == times[i])
      name.insert(name.size() - 1, "." + std::to_string(before + 1));
    names.push_back(std::move(name));
  }
  return names;
}

struct DirListing {
  std::vector<std::pair<std::string, fuse_ino_t>> entries;
};

// An open history file. The blob is inflated at the first READ, not at OPEN: with the kernel's
// page cache kept, a file read again is opened without any READ, and costs no inflation.
// The bytes are shared so that a READ still replying keeps them alive: the kernel may send
// the RELEASE (and another thread free the handle) as soon as it has taken the reply's bytes.
struct OpenBlob {
  ObjectId oid;
  std::once_flag loaded;
  std::shared_ptr<const gitstore::BlobBytes> bytes;
};

ShownAs shown_as(EntryKind entry) {
  switch (entry) {
    case EntryKind::Tree:
      return ShownAs::Folder;
    case EntryKind::Executable:
      return ShownAs::Executable;
    case EntryKind::Link:
      return ShownAs::Link;
    case EntryKind::File:
      break;
  }
  return ShownAs::File;
}

}  // namespace

HistoryView::HistoryView(gitstore::HistoryReader& reader, int backing_root_fd)
    : reader_(reader), live_(backing_root_fd) {
  intern(node_of(Kind::Root));
}

fuse_ino_t HistoryView::intern(Node n) {
  std::string key = std::to_string(int(n.kind)) + ":" + oid_hex(n.oid) + ":" + std::to_string(int(n.entry)) + ":" +
                    std::to_string(n.time) + ":" + n.path;
  {
    std::shared_lock lock(mutex_);
    auto it = ids_.find(key);
    if (it != ids_.end()) return it->second;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = ids_.try_emplace(key, 0);
  if (inserted) {
    nodes_.push_back(std::move(n));
    it->second = 2 * (nodes_.size() - 1) + 3;
  }
  return it->second;
}

HistoryView::Node HistoryView::node(fuse_ino_t ino) {
  std::shared_lock lock(mutex_);
  const size_t index = (ino - 3) / 2;
  if (!is_history(ino) || index >= nodes_.size()) fail(ENOENT);
  return nodes_[index];
}

fuse_ino_t HistoryView::tree_child(const ObjectId& oid, EntryKind entry, std::int64_t time, std::string path) {
  Node n;
  n.kind = entry == EntryKind::Tree ? Kind::Tree : entry == EntryKind::Link ? Kind::Link : Kind::Blob;
  n.oid = oid;
  n.entry = entry;
  n.time = time;
  n.path = std::move(path);
  return intern(std::move(n));
}

std::int64_t HistoryView::head_time() {
  // HEAD's commit alone: listing the whole history here would make the first stat of
  // .history cost a walk of every commit.
  auto head = reader_.head();
  if (!head) return live_.root().st_mtim.tv_sec;
  auto commit = reader_.commit_by_prefix(oid_hex(*head));
  return commit ? commit->time : live_.root().st_mtim.tv_sec;
}

std::vector<HistoryView::Child> HistoryView::children(fuse_ino_t ino) {
  const Node n = node(ino);
  std::vector<Child> out;
  auto add_tree = [&](const std::string& name, const ObjectId& tree, std::int64_t time) {
    out.push_back({name, tree_child(tree, EntryKind::Tree, time, "")});
  };
  switch (n.kind) {
    case Kind::Root:
      for (const auto& tag : reader_.tags())
        if (!kReservedNames.count(tag.name)) add_tree(tag.name, tag.tree, tag.commit_time);
      out.push_back({"tags", intern(node_of(Kind::Tags))});
      out.push_back({"commits", intern(node_of(Kind::Commits))});
      out.push_back({"at", intern(node_of(Kind::At))});
      out.push_back({"versions", intern(node_of(Kind::Versions))});
      out.push_back({"latest", intern(node_of(Kind::Latest))});
      break;
    case Kind::Tags:
      for (const auto& tag : reader_.tags()) add_tree(tag.name, tag.tree, tag.commit_time);
      break;
    case Kind::Commits:
      for (const auto& commit : *reader_.commits()) add_tree(oid_hex(commit.id), commit.tree, commit.time);
      break;
    case Kind::At: {
      auto commits = reader_.commits();
      std::vector<std::int64_t> times;
      for (auto it = commits->rbegin(); it != commits->rend(); ++it) times.push_back(it->time);
      const auto names = instant_names(times);
      size_t i = 0;
      for (auto it = commits->rbegin(); it != commits->rend(); ++it) add_tree(names[i++], it->tree, it->time);
      break;
    }
    case Kind::Versions: {
      auto head = reader_.head();
      if (!head) break;
      auto top = reader_.entry(reader_.resolve(oid_hex(*head)).tree, n.path);
      if (!top || gitstore::entry_kind(top->mode) != EntryKind::Tree) break;
      for (auto& item : reader_.list_tree(top->oid)) {
        Node child = node_of(item.kind == EntryKind::Tree ? Kind::Versions : Kind::FileVersions);
        child.path = join(n.path, item.name);
        out.push_back({std::move(item.name), intern(std::move(child))});
      }
      break;
    }
    case Kind::FileVersions: {
      const auto versions = reader_.versions(n.path);
      std::vector<std::int64_t> times;
      for (const auto& version : versions) times.push_back(version.commit.time);
      const auto names = instant_names(times);
      for (size_t i = 0; i < versions.size(); ++i) {
        const auto& version = versions[i];
        auto entry = gitstore::entry_kind(version.entry.mode);
        if (!entry) continue;  // a submodule: no file to show
        const std::string name = names[i] + "_" + oid_hex(version.commit.id).substr(0, 8) + extension_of(n.path);
        out.push_back({name, tree_child(version.entry.oid, *entry, version.commit.time, n.path)});
      }
      break;
    }
    case Kind::Tree:
      for (auto& item : reader_.list_tree(n.oid))  // submodules are left out: they hold no files here
        out.push_back({item.name, tree_child(item.oid, item.kind, n.time, join(n.path, item.name))});
      break;
    default:
      fail(ENOTDIR);
  }
  return out;
}

fuse_ino_t HistoryView::find_child(fuse_ino_t parent, const std::string& name) {
  const Node n = node(parent);
  auto search_listing = [&]() -> fuse_ino_t {
    for (const auto& child : children(parent))
      if (child.name == name) return child.ino;
    return 0;
  };
  switch (n.kind) {
    case Kind::Root:
      if (name == "tags") return intern(node_of(Kind::Tags));
      if (name == "commits") return intern(node_of(Kind::Commits));
      if (name == "at") return intern(node_of(Kind::At));
      if (name == "versions") return intern(node_of(Kind::Versions));
      if (name == "latest") return intern(node_of(Kind::Latest));
      [[fallthrough]];
    case Kind::Tags: {
      auto tag = reader_.tag(name);
      return tag ? tree_child(tag->tree, EntryKind::Tree, tag->commit_time, "") : 0;
    }
    case Kind::Commits: {
      if (name.starts_with("HEAD")) {
        try {
          auto commit = reader_.resolve(name);
          return tree_child(commit.tree, EntryKind::Tree, commit.time, "");
        } catch (const std::exception&) {
          return 0;
        }
      }
      if (!is_hex(name) || name.size() < 4 || name.size() > kOidHexSize) return 0;
      // Straight to the object database: no walk of the history, however long.
      auto commit = reader_.commit_by_prefix(name);
      return commit ? tree_child(commit->tree, EntryKind::Tree, commit->time, "") : 0;
    }
    case Kind::At: {
      if (auto exact = search_listing()) return exact;
      auto when = gitstore::parse_instant(name);
      if (!when) return 0;
      auto commit = reader_.commit_at(*when);
      return commit ? tree_child(commit->tree, EntryKind::Tree, commit->time, "") : 0;
    }
    case Kind::Versions: {
      const std::string path = join(n.path, name);
      std::optional<EntryKind> kind;
      if (auto head = reader_.head())
        if (auto e = reader_.entry(reader_.resolve(oid_hex(*head)).tree, path)) kind = gitstore::entry_kind(e->mode);
      if (!kind)
        if (auto mode = reader_.kind_in_history(path)) kind = gitstore::entry_kind(*mode);
      if (!kind) return 0;  // never there, or a submodule
      Node child = node_of(*kind == EntryKind::Tree ? Kind::Versions : Kind::FileVersions);
      child.path = path;
      return intern(std::move(child));
    }
    case Kind::FileVersions:
      return search_listing();
    case Kind::Tree: {
      auto item = reader_.tree_item(n.oid, name);
      return item ? tree_child(item->oid, item->kind, n.time, join(n.path, name)) : 0;
    }
    default:
      fail(ENOTDIR);
  }
}

mode_t HistoryView::file_type(const Node& n) {
  if (n.kind == Kind::Blob) return S_IFREG;
  if (n.kind == Kind::Link || n.kind == Kind::Latest) return S_IFLNK;
  return S_IFDIR;
}

struct stat HistoryView::attributes(fuse_ino_t ino) {
  Node n = node(ino);
  struct stat st {};
  st.st_ino = ino;
  st.st_blksize = 4096;
  const std::int64_t time = is_immutable(n.kind) ? n.time : head_time();
  st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = time;
  HistoryAccess access;
  switch (n.kind) {
    case Kind::Tree:
    case Kind::Blob:
    case Kind::Link:
      access = live_.of(n.path, shown_as(n.entry));
      break;
    case Kind::Versions:
    case Kind::FileVersions:  // the folder of one file's versions: as readable as the file
      access = live_.of(n.path, ShownAs::Folder);
      break;
    default:  // the view's own folders and latest: no more than the mount root
      access = history_access(live_.root(), true, n.kind == Kind::Latest ? ShownAs::Link : ShownAs::Folder);
  }
  st.st_uid = access.uid;
  st.st_gid = access.gid;
  st.st_mode = file_type(n) | access.bits;
  if (n.kind == Kind::Blob || n.kind == Kind::Link || n.kind == Kind::Latest) {
    if (n.kind == Kind::Latest) {
      auto head = reader_.head();
      n.size = head ? std::strlen("commits/") + kOidHexSize : 0;
    } else if (!n.size_known) {
      n.size = reader_.object_size(n.oid);
      std::unique_lock nodes_lock(mutex_);
      nodes_[(ino - 3) / 2].size = n.size;
      nodes_[(ino - 3) / 2].size_known = true;
    }
    st.st_size = off_t(n.size);
    st.st_blocks = (st.st_size + 511) / 512;
    st.st_nlink = 1;
  } else {
    st.st_nlink = 2;
    st.st_size = 4096;
  }
  return st;
}

fuse_entry_param HistoryView::entry_of(fuse_ino_t ino) {
  fuse_entry_param e{};
  e.ino = ino;
  e.attr = attributes(ino);
  const bool fixed = is_immutable(node(ino).kind);
  e.attr_timeout = fixed ? kPermissionTimeout : 0;
  e.entry_timeout = kLiveTimeout;
  return e;
}

fuse_entry_param HistoryView::root_entry() { return entry_of(3); }

void HistoryView::reply_root_entry(fuse_req_t req) {
  fuse_entry_param e = root_entry();
  fuse_reply_entry(req, &e);
}

void HistoryView::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_ino_t child = find_child(parent, name);
  if (!child) return (void)reply_err(req, ENOENT);
  fuse_entry_param e = entry_of(child);
  // A name inside a commit's tree always means the same thing.
  if (node(parent).kind == Kind::Tree || node(parent).kind == Kind::Commits) e.entry_timeout = kImmutableTimeout;
  fuse_reply_entry(req, &e);
}

void HistoryView::getattr(fuse_req_t req, fuse_ino_t ino) {
  struct stat st = attributes(ino);
  fuse_reply_attr(req, &st, is_immutable(node(ino).kind) ? kPermissionTimeout : 0);
}

void HistoryView::readlink(fuse_req_t req, fuse_ino_t ino) {
  const Node n = node(ino);
  if (n.kind == Kind::Latest) {
    auto head = reader_.head();
    if (!head) return (void)reply_err(req, ENOENT);
    return (void)fuse_reply_readlink(req, ("commits/" + oid_hex(*head)).c_str());
  }
  if (n.kind != Kind::Link) return (void)reply_err(req, EINVAL);
  fuse_reply_readlink(req, reader_.blob_content(n.oid).c_str());
}

void HistoryView::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto listing = std::make_unique<DirListing>();
  for (auto& child : children(ino)) listing->entries.emplace_back(std::move(child.name), child.ino);
  fi->fh = reinterpret_cast<uint64_t>(listing.release());
  if (is_immutable(node(ino).kind)) {
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
  }
  fuse_reply_open(req, fi);
}

void HistoryView::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  auto& listing = *reinterpret_cast<DirListing*>(fi->fh);
  // A name inside a commit's tree always means the same thing (as in lookup): the kernel need
  // not look the entries up again once the live timeout is over.
  const Kind kind = node(ino).kind;
  const bool names_fixed = kind == Kind::Tree || kind == Kind::Commits;
  std::vector<char> buffer(size);
  size_t used = 0;
  // Offsets: 1 and 2 are "." and "..", then entry i is i + 3.
  for (off_t index = off; index < off_t(listing.entries.size()) + 2; ++index) {
    std::string name;
    fuse_entry_param e{};
    if (index == 0 || index == 1) {
      name = index == 0 ? "." : "..";
      e.attr.st_ino = ino;
      e.attr.st_mode = S_IFDIR;
    } else {
      const auto& [child_name, child] = listing.entries[size_t(index - 2)];
      name = child_name;
      if (plus) {
        e = entry_of(child);
        if (names_fixed) e.entry_timeout = kImmutableTimeout;
      } else {
        e.attr.st_ino = child;
        e.attr.st_mode = file_type(node(child));
      }
    }
    size_t need = plus ? fuse_add_direntry_plus(req, buffer.data() + used, size - used, name.c_str(), &e, index + 1)
                       : fuse_add_direntry(req, buffer.data() + used, size - used, name.c_str(), &e.attr, index + 1);
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void HistoryView::releasedir(fuse_req_t req, fuse_file_info* fi) {
  delete reinterpret_cast<DirListing*>(fi->fh);
  reply_err(req, 0);
}

void HistoryView::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) return (void)reply_err(req, EROFS);
  const Node n = node(ino);
  if (n.kind != Kind::Blob) return (void)reply_err(req, n.kind == Kind::Link ? ELOOP : EISDIR);
  auto handle = std::make_unique<OpenBlob>();
  handle->oid = n.oid;
  if (auto bytes = offer_content(ino, n)) std::call_once(handle->loaded, [&] { handle->bytes = std::move(bytes); });
  fi->fh = reinterpret_cast<uint64_t>(handle.release());
  fi->keep_cache = 1;  // the content of a blob never changes
  fi->noflush = 1;
  fuse_reply_open(req, fi);
}

bool HistoryView::claim_offer(fuse_ino_t ino, bool claim) {
  std::unique_lock lock(mutex_);
  Node& n = nodes_[(ino - 3) / 2];
  if (claim && n.content_offered) return false;
  n.content_offered = claim;
  return true;
}

// The first open of a small blob stores its bytes in the kernel's page cache before the reply:
// the reads that follow find them there and send no READ. A READ would also make the kernel
// drop the file's cached atime, and tar's fstat after reading would then cost a GETATTR; so a
// first read of a snapshot costs what a warm one does, plus one inflation a file. Once per node:
// later opens find the pages (or, once the kernel has evicted them, READ as before).
std::shared_ptr<const gitstore::BlobBytes> HistoryView::offer_content(fuse_ino_t ino, const Node& n) {
  constexpr std::uint64_t kOfferMax = 1 << 20;  // bigger files may be opened for their first bytes
  if (!notifier_ || n.content_offered || !n.size_known || n.size == 0 || n.size > kOfferMax) return nullptr;
  if (!offering_.try_acquire()) return nullptr;
  std::shared_ptr<const gitstore::BlobBytes> bytes;
  if (claim_offer(ino, true)) {
    int result = -ENOENT;
    try {
      bytes = reader_.read_local_blob(n.oid);  // an LFS object to fetch waits for the first READ
      if (bytes && !bytes->bytes().empty()) {
        fuse_bufvec buf = FUSE_BUFVEC_INIT(bytes->bytes().size());
        buf.buf[0].mem = const_cast<char*>(bytes->bytes().data());
        notifier_->with_session([&](fuse_session* session) {
          result = fuse_lowlevel_notify_store(session, ino, 0, &buf, fuse_buf_copy_flags(0));
        });
      }
    } catch (const std::exception&) {
      bytes.reset();  // the READ will report it
    }
    if (result != 0) claim_offer(ino, false);  // not stored: a later open may try again
  }
  offering_.release();
  return bytes;
}

void HistoryView::read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi) {
  auto& handle = *reinterpret_cast<OpenBlob*>(fi->fh);
  // READs of one handle may run at once on several threads: one inflates, the others wait.
  std::call_once(handle.loaded, [&] { handle.bytes = reader_.read_blob(handle.oid); });
  const std::shared_ptr<const gitstore::BlobBytes> blob = handle.bytes;  // the handle may go after the reply
  const std::string_view bytes = blob->bytes();
  if (off < 0 || size_t(off) >= bytes.size()) return (void)fuse_reply_buf(req, nullptr, 0);
  fuse_reply_buf(req, bytes.data() + off, std::min(size, bytes.size() - size_t(off)));
}

void HistoryView::invalidate_live(KernelNotifier& notifier) {
  for (Kind kind : {Kind::Latest, Kind::Root, Kind::Tags, Kind::Commits, Kind::At, Kind::Versions}) {
    const fuse_ino_t ino = intern(node_of(kind));
    notifier.with_session([&](fuse_session* session) { fuse_lowlevel_notify_inval_inode(session, ino, 0, 0); });
  }
}

void HistoryView::release(fuse_req_t req, fuse_file_info* fi) {
  delete reinterpret_cast<OpenBlob*>(fi->fh);  // the blob goes with its last reader
  reply_err(req, 0);
}

}  // namespace histfs::fs
