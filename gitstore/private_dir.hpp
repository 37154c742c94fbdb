#pragma once
// The git dir is private to the mount's owner: anyone who could write it could
// point histfs.remoteUrl at their server and histfs.tokenFile at /etc/shadow,
// replace the control socket, or read every past version of every file. Like
// ssh's StrictModes, start-up refuses a git dir (or a folder above it) that
// other users can write, and makes one that they can merely read private.
#include <sys/types.h>

#include <stdexcept>
#include <string>

namespace histfs::gitstore {

struct UnsafeDirError : std::runtime_error {
  using runtime_error::runtime_error;
};

// Throws UnsafeDirError when `git_dir`, its config file or a folder above it is not
// owned by `owner` (or root) or can be written by others (a sticky folder such as /tmp is
// fine above it). Removes group and other access from the git dir itself when it has any.
void ensure_private_git_dir(const std::string& git_dir, uid_t owner);

// The folders above `path` (that exist) are owned by `owner` or root and closed to others'
// writes, unless sticky. Call before creating a git dir there.
void check_parents_of(const std::string& path, uid_t owner);

// Creates `dir` (its parents as usual) with mode 0700; false when it already existed.
bool create_private_dir(const std::string& dir);

}  // namespace histfs::gitstore
