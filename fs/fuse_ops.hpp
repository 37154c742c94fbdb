#pragma once
#include "fs/passthrough.hpp"

namespace histfs::fs {

// The operation table handed to libfuse; userdata must be a Passthrough*.
// No exception ever unwinds into libfuse: each becomes an error reply.
const fuse_lowlevel_ops& fuse_operations();

}  // namespace histfs::fs
