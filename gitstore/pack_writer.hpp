#pragma once
// Writes the objects of one large commit straight into a new pack, as `git fast-import` does,
// instead of one loose file each: an import of 100,000 files otherwise spends most of its
// time creating, linking and unlinking files under objects/, and then a background pack
// reads them all again. Objects are deflated as they come (no deltas, like loose objects;
// trees at level 0), appended to a temporary file in objects/pack/, and can be read back
// before the pack is finished. finish() writes the object count, the pack's checksum and a
// version 2 index, then renames both into place, index last (git and libgit2 see a pack once
// its index is there). Used by one thread (the committer's, through ObjectSync).
#include <git2.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {

// Removes what a PackWriter of an earlier run left in `pack_dir` when the daemon died while
// writing (its temporary files); returns how many. Call before any PackWriter of this run.
std::size_t remove_unfinished_packs(const std::string& pack_dir);

class PackWriter {
 public:
  // Opens a temporary pack in `pack_dir` (objects/pack). Throws std::system_error.
  explicit PackWriter(std::string pack_dir);
  // An unfinished pack is removed.
  ~PackWriter();
  PackWriter(const PackWriter&) = delete;
  PackWriter& operator=(const PackWriter&) = delete;

  // Appends one object whose id is `oid` (the caller hashed it); nothing when it is here
  // already. Throws std::system_error on a write error.
  void add(const git_oid& oid, const void* data, std::size_t length, git_object_t type);
  bool contains(const git_oid& oid) const { return find(oid) != kNone; }
  // The type and size of an object added here; nullopt when it was not.
  std::optional<std::pair<git_object_t, std::uint64_t>> header(const git_oid& oid);
  // The content of an object added here; false when it was not. Throws on a read error.
  bool read(const git_oid& oid, std::string& content, git_object_t& type);
  std::size_t count() const { return entries_.size(); }
  // Appends the ids of the objects added so far to `out`.
  void append_ids(std::vector<git_oid>& out) const;

  // Finishes the pack and its index and renames them into place. `durable`: both files and
  // the directory are fsynced; otherwise their data is only written out (ordered_journal.hpp:
  // the next fsync on the filesystem commits the renames). Returns "pack-<hash>", or "" when
  // nothing was added (the temporary file is removed). Throws std::system_error.
  std::string finish(bool durable);

  // How a pack index stores an offset (exposed for tests): below 2^31 in the 32-bit table,
  // above it as 0x80000000 | the slot of a 64-bit entry.
  static bool needs_large_offset(std::uint64_t offset) { return offset >= 0x80000000u; }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  struct Entry {
    git_oid oid;
    std::uint32_t crc;
    std::uint64_t offset;
  };
  std::uint32_t find(const git_oid& oid) const;
  void index_insert(std::uint32_t entry);
  void write_buffered(const void* data, std::size_t length);
  void flush_buffer();
  // The object header at `offset`: its type and size, and where its deflated data starts.
  void read_header_at(std::uint64_t offset, git_object_t& type, std::uint64_t& size, std::uint64_t& data_offset);
  std::string write_index(const std::string& pack_hash, bool durable);
  void remove_temporary();

  std::string pack_dir_;
  std::string temp_path_;
  UniqueFd fd_;
  std::uint64_t end_ = 12;  // where the next object goes: after the 12-byte header
  std::string buffer_;      // written at end_ - buffer_.size()
  std::vector<Entry> entries_;
  // Open addressing over entries_ by the oid's first bytes; kNone marks an empty slot.
  std::vector<std::uint32_t> index_;
  std::vector<unsigned char> deflated_;
  void* zstream_ = nullptr;  // z_stream, reused for every object
  int level_ = 1;            // its compression level now (Z_BEST_SPEED)
  bool finished_ = false;
};

}  // namespace histfs::gitstore
