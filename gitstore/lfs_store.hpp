#pragma once
// The git dir's Git LFS object store, in git-lfs's own layout so stock `git lfs` reads it:
// GIT_DIR/lfs/objects/<oid[0:2]>/<oid[2:4]>/<oid>. An object enters it only whole and
// verified: content is streamed (never whole in memory) into a temp file under
// GIT_DIR/lfs/tmp while it is hashed, made durable, then renamed into place.
// Thread-safe: every method works on files only, and renames are atomic.
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include "gitstore/lfs_pointer.hpp"

namespace histfs::gitstore {

// An LFS object is missing, corrupt or cannot be stored; the message names what and why.
struct LfsError : std::runtime_error {
  using runtime_error::runtime_error;
};

// The pointer of the `size` bytes `fd` holds from offset 0, hashed without storing
// anything; nullopt when the file is shorter or longer than `size` (it changed underway).
std::optional<LfsPointer> hash_lfs_content(int fd, std::uint64_t size);

// True when the file at `path` below `root_fd` (not followed if a symlink) holds exactly the
// content `pointer` names.
bool file_has_lfs_content(int root_fd, const std::string& path, const LfsPointer& pointer);

// The LFS object store below `root` (an `lfs` folder: GIT_DIR/lfs, or a remote's).
class LfsStore {
 public:
  explicit LfsStore(std::string lfs_dir);
  // The store of a git dir (GIT_DIR/lfs).
  static LfsStore of_git_dir(const std::string& git_dir);

  const std::string& dir() const { return dir_; }
  std::string object_path(const std::string& oid) const;
  // The object is there with the pointer's size (its content is trusted: it entered verified).
  bool has(const LfsPointer& pointer) const;

  // Streams the `size` bytes of `fd` into the store; their pointer, or nullopt when the file's
  // size changed underway or `keep_going` (asked before each MiB) said no: nothing is stored
  // then. Throws std::system_error on I/O failure.
  std::optional<LfsPointer> import_fd(int fd, std::uint64_t size, const std::function<bool()>& keep_going = {});

  // A new empty temp file (mode 0600) in the store's tmp folder, for a download to stream into.
  std::string new_temp_file();
  // Moves the downloaded temp file into the store when its content is `pointer`'s (size and
  // SHA-256); otherwise removes it and throws LfsError saying what arrived instead.
  void adopt_temp_file(const std::string& temp, const LfsPointer& pointer);
  // Copies the object into `other` (a local remote's store), verified, unless it is there.
  void copy_to(LfsStore& other, const LfsPointer& pointer) const;

  // Rehashes the stored object: an empty string when it is right, else what is wrong.
  std::string check(const LfsPointer& pointer) const;
  // Opens the object read-only; -1 with errno when it is missing.
  int open_object(const LfsPointer& pointer) const;

  struct Totals {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
  };
  // Every object the store holds.
  Totals totals() const;
  // Calls `each` for every object's oid and size.
  void for_each(const std::function<void(const std::string& oid, std::uint64_t size)>& each) const;

 private:
  // Renames `temp` to the object's place (making its folders), durably.
  void place(const std::string& temp, const std::string& oid) const;
  std::string dir_;
};

}  // namespace histfs::gitstore
