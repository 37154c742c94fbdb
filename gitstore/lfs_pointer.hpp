#pragma once
// Git LFS pointer files (the blob committed in place of a large file's content):
//   version https://git-lfs.github.com/spec/v1
//   oid sha256:<64 lowercase hex>
//   size <bytes>
// histfs writes exactly this form and reads any pointer the spec allows (other keys
// sorted between), refusing anything else: a blob that is not a valid pointer is content.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace histfs::gitstore {

// A pointer blob is smaller than this (the spec's bound); larger blobs are never read as pointers.
inline constexpr std::size_t kLfsPointerMaxSize = 1024;

// Files larger than this always go to LFS: GitHub refuses blobs over 100 MB.
inline constexpr std::uint64_t kLfsAlwaysAbove = 100ull * 1000 * 1000;

struct LfsPointer {
  std::string oid;  // 64 lowercase hex digits of the content's SHA-256
  std::uint64_t size = 0;
  bool operator==(const LfsPointer&) const = default;
};

// True for 64 lowercase hex digits (what a pointer and the batch API call an oid).
bool is_lfs_oid(std::string_view text);

// The canonical pointer text for `pointer`.
std::string format_lfs_pointer(const LfsPointer& pointer);

// The pointer `blob` holds; nullopt when it is not one (too large, wrong version line,
// a malformed or missing oid or size, keys out of order, a size beyond 2^63-1).
std::optional<LfsPointer> parse_lfs_pointer(std::string_view blob);

}  // namespace histfs::gitstore
