#pragma once
// Large trees written with their zlib stream stored, not compressed. A tree is mostly object
// ids, which no compressor shrinks (a 350 KB root tree of 10,000 folders deflates to 244 KB at
// zlib's fastest level), yet deflating it took about 5 ms of every one-file commit at a
// million files. Stored, the same object costs a copy and an Adler-32; git reads it as any
// other (a zlib stream of stored blocks is a valid one), and a pack later compresses it.
#include <git2.h>

#include <cstddef>
#include <string_view>

#include "gitstore/object_sync.hpp"

namespace histfs::gitstore {

// Objects from this size on are written stored by write_stored_when_large: a tree of some
// 450 entries, whose deflate cost a fifth of a one-file commit with 1,000 folders at the root.
inline constexpr std::size_t kStoredObjectSize = 16 * 1024;

// Writes `data` as an object of `type` into `odb` and returns its id: objects smaller than
// kStoredObjectSize through git_odb_write; larger ones, when new, into the pack of `written`
// when one is due (ObjectSync::write_to_pack), else as a loose file under `objects_dir`
// whose zlib stream is stored. A new loose file is reported to the thread's ObjectSync as
// created (so that a failed attempt removes it). Throws GitError or std::system_error.
git_oid write_stored_when_large(git_odb* odb, const std::string& objects_dir, git_object_t type, std::string_view data,
                                ObjectSync* written);

}  // namespace histfs::gitstore
