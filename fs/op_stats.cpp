#include "fs/op_stats.hpp"

namespace histfs::fs {
namespace {

struct Serving {
  OpStats* stats = nullptr;
  Op op = Op::count;
};
// A FUSE worker thread serves one operation at a time and replies on the same thread.
thread_local Serving current;

constexpr std::array<std::string_view, kOpCount> kNames = {
    "lookup",   "forget",   "getattr",   "setattr",     "readlink",  "mknod",           "mkdir",    "symlink",
    "link",     "unlink",   "rmdir",     "rename",      "open",      "create",          "read",     "write",
    "flush",    "release",  "fsync",     "opendir",     "readdir",   "releasedir",      "fsyncdir", "statfs",
    "setxattr", "getxattr", "listxattr", "removexattr", "fallocate", "copy_file_range", "lseek"};

}  // namespace

std::string_view op_name(Op op) { return op == Op::count ? "unknown" : kNames[static_cast<std::size_t>(op)]; }

bool OpStats::changes_files(Op op) {
  switch (op) {
    case Op::setattr:
    case Op::mknod:
    case Op::mkdir:
    case Op::symlink:
    case Op::link:
    case Op::unlink:
    case Op::rmdir:
    case Op::rename:
    case Op::create:
    case Op::write:
    case Op::setxattr:
    case Op::removexattr:
    case Op::fallocate:
    case Op::copy_file_range:
      return true;
    default:
      return false;
  }
}

void OpStats::begin(Op op) noexcept {
  calls_[index(op)].fetch_add(1, std::memory_order_relaxed);
  // Only the first change since the last take reads the clock; the rest see non-zero and go on.
  if (changes_files(op) && first_change_ns_.load(std::memory_order_relaxed) == 0) {
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::int64_t none = 0;
    first_change_ns_.compare_exchange_strong(none, now, std::memory_order_relaxed);
  }
}

std::optional<std::chrono::system_clock::time_point> OpStats::take_first_change() noexcept {
  const std::int64_t ns = first_change_ns_.exchange(0, std::memory_order_relaxed);
  if (ns == 0) return std::nullopt;
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
}

void serving(OpStats* stats, Op op) noexcept { current = {stats, op}; }

int reply_err(fuse_req_t req, int err) {
  if (err != 0 && current.stats && current.op != Op::count) current.stats->error(current.op);
  return fuse_reply_err(req, err);
}

}  // namespace histfs::fs
