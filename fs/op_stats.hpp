#pragma once
// How many FUSE operations of each kind the mount served and how many it answered with an
// error, for the daemon's /metrics. The hot path pays two relaxed atomic increments at most
// (one per call, one per error reply) and no lock: the dispatcher (fuse_ops.cpp) counts the
// call and names the operation for this thread, and reply_err() counts an error reply.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include <fuse_lowlevel.h>

namespace histfs::fs {

enum class Op : std::uint8_t {
  lookup,
  forget,
  getattr,
  setattr,
  readlink,
  mknod,
  mkdir,
  symlink,
  link,
  unlink,
  rmdir,
  rename,
  open,
  create,
  read,
  write,
  flush,
  release,
  fsync,
  opendir,
  readdir,
  releasedir,
  fsyncdir,
  statfs,
  setxattr,
  getxattr,
  listxattr,
  removexattr,
  fallocate,
  copy_file_range,
  lseek,
  count
};
inline constexpr std::size_t kOpCount = static_cast<std::size_t>(Op::count);

// The operation's name as a metrics label ("write" for write_buf, "readdir" for readdirplus too).
std::string_view op_name(Op op);

class OpStats {
 public:
  // The dispatcher, at the start of an operation on this thread.
  void begin(Op op) noexcept;
  void error(Op op) noexcept { errors_[index(op)].fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t calls(Op op) const noexcept { return calls_[index(op)].load(std::memory_order_relaxed); }
  std::uint64_t errors(Op op) const noexcept { return errors_[index(op)].load(std::memory_order_relaxed); }

  // When the first operation that changes files came since the last call (nullopt: none
  // came): the start of the "write to pushed" latency of the commit that takes them.
  std::optional<std::chrono::system_clock::time_point> take_first_change() noexcept;

 private:
  static std::size_t index(Op op) { return static_cast<std::size_t>(op); }
  static bool changes_files(Op op);
  std::array<std::atomic<std::uint64_t>, kOpCount> calls_{};
  std::array<std::atomic<std::uint64_t>, kOpCount> errors_{};
  std::atomic<std::int64_t> first_change_ns_{0};  // system_clock, 0 = none since taken
};

// fuse_reply_err, counting an error (err != 0) against the operation this thread is serving.
int reply_err(fuse_req_t req, int err);

// The operation this thread serves from now on, for reply_err (the dispatcher sets it).
void serving(OpStats* stats, Op op) noexcept;

}  // namespace histfs::fs
