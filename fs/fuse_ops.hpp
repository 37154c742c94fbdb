#pragma once
#include "fs/router.hpp"

namespace histfs::fs {

// The operation table handed to libfuse; userdata must be a Router*.
// No exception ever unwinds into libfuse: each becomes an error reply.
const fuse_lowlevel_ops& fuse_operations();

}  // namespace histfs::fs
