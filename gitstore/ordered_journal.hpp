#pragma once
// Whether one fsync makes every earlier metadata change of a filesystem durable. ext4 with a
// journal and xfs write metadata through one log committed in order: an fsync of any file
// commits the log up to now, so the new objects' names, the branch's rename and the reflog
// line of a commit all become durable with a single flush, provided the data they name was
// written out first. Elsewhere (ext4 without a journal, btrfs, tmpfs, ...) each file and
// its directory get an fsync of their own.
#include <string>

namespace histfs::gitstore {

// True when `path` lies on ext4 with a journal or on xfs.
bool has_ordered_journal(const std::string& path);

}  // namespace histfs::gitstore
