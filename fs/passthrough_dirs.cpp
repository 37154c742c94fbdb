// Directory listing. The handle is a DirHandle holding the open directory stream.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fs/op_stats.hpp"
#include "fs/passthrough.hpp"

namespace histfs::fs {
namespace {

struct DirHandle {
  explicit DirHandle(DIR* stream_in) : stream(stream_in) {}
  ~DirHandle() { closedir(stream); }
  DirHandle(const DirHandle&) = delete;
  DirHandle& operator=(const DirHandle&) = delete;

  DIR* stream;
  off_t offset = 0;           // telldir cookie of the next entry to return
  dirent* pending = nullptr;  // read but not yet returned (did not fit)
};

DirHandle& handle_of(fuse_file_info* fi) { return *reinterpret_cast<DirHandle*>(fi->fh); }

bool is_dot(const char* name) { return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')); }

// Offset of the synthetic entry listed after the root's real ones (telldir cookies stay below it).
constexpr off_t kExtraRootEntryOffset = INT64_MAX - 1;
constexpr off_t kListingDone = INT64_MAX;

}  // namespace

void Passthrough::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  int fd = openat(fd_of(inodes_.get(ino)), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return (void)reply_err(req, errno);
  DIR* stream = fdopendir(fd);
  if (!stream) {
    int error = errno;
    close(fd);
    return (void)reply_err(req, error);
  }
  fi->fh = reinterpret_cast<uint64_t>(new DirHandle(stream));
  // The kernel may keep listings: every change to a directory goes through us.
  fi->cache_readdir = 1;
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

void Passthrough::readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  DirHandle& dir = handle_of(fi);
  Inode& parent = inodes_.get(ino);
  std::vector<char> buffer(size);
  size_t used = 0;

  if (off == kListingDone) return (void)fuse_reply_buf(req, nullptr, 0);
  if (off == kExtraRootEntryOffset) dir.pending = nullptr;
  if (off != dir.offset && off != kExtraRootEntryOffset) {
    seekdir(dir.stream, off);
    dir.pending = nullptr;
    dir.offset = off;
  }
  for (;;) {
    dirent* entry = dir.pending;
    if (!entry) {
      errno = 0;
      entry = off == kExtraRootEntryOffset ? nullptr : ::readdir(dir.stream);
      if (!entry) {
        if (errno && used == 0) return (void)reply_err(req, errno);
        if (ino == FUSE_ROOT_ID && extra_root_entry_ && errno == 0) {
          fuse_entry_param e = extra_root_entry_();
          size_t need = plus ? fuse_add_direntry_plus(req, buffer.data() + used, size - used, hidden_root_name_.c_str(),
                                                      &e, kListingDone)
                             : fuse_add_direntry(req, buffer.data() + used, size - used, hidden_root_name_.c_str(),
                                                 &e.attr, kListingDone);
          if (need <= size - used)
            used += need;
          else
            dir.offset = kExtraRootEntryOffset;
        }
        break;
      }
    }
    if (ino == FUSE_ROOT_ID && !hidden_root_name_.empty() && hidden_root_name_ == entry->d_name) {
      dir.pending = nullptr;
      dir.offset = entry->d_off;  // shadowed by the history view
      continue;
    }
    dir.pending = entry;
    const off_t next = entry->d_off;
    size_t entry_size;
    if (plus) {
      fuse_entry_param e{};
      auto name_only = [&] {
        e = fuse_entry_param{};
        e.attr.st_ino = entry->d_ino;
        e.attr.st_mode = static_cast<mode_t>(entry->d_type) << 12;
      };
      if (is_dot(entry->d_name)) {
        name_only();
      } else if (int error = do_lookup(parent, entry->d_name, &e)) {
        if (error == ENOENT) {  // removed since it was listed
          dir.pending = nullptr;
          dir.offset = next;
          continue;
        }
        if (error != EMFILE && error != ENFILE) {
          if (used == 0) return (void)reply_err(req, error);
          break;
        }
        // Out of fds even after making room: the name without its attributes (node id 0);
        // the kernel looks it up itself when it needs them.
        name_only();
      }
      entry_size = fuse_add_direntry_plus(req, buffer.data() + used, size - used, entry->d_name, &e, next);
      if (entry_size > size - used) {
        // Did not fit: undo the lookup count this reply would have handed out.
        if (e.ino) inodes_.forget(inodes_.get(e.ino), 1);
        break;
      }
    } else {
      struct stat st {};
      st.st_ino = entry->d_ino;
      st.st_mode = static_cast<mode_t>(entry->d_type) << 12;
      entry_size = fuse_add_direntry(req, buffer.data() + used, size - used, entry->d_name, &st, next);
      if (entry_size > size - used) break;
    }
    used += entry_size;
    dir.pending = nullptr;
    dir.offset = next;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void Passthrough::releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete &handle_of(fi);
  reply_err(req, 0);
}

void Passthrough::fsyncdir(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  int fd = dirfd(handle_of(fi).stream);
  int result = datasync ? fdatasync(fd) : ::fsync(fd);
  reply_err(req, result == 0 ? 0 : errno);
}

}  // namespace histfs::fs
