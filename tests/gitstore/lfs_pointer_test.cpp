#include "gitstore/lfs_pointer.hpp"

#include <catch2/catch.hpp>

#include <string>

using histfs::gitstore::format_lfs_pointer;
using histfs::gitstore::is_lfs_oid;
using histfs::gitstore::LfsPointer;
using histfs::gitstore::parse_lfs_pointer;

namespace {
const std::string kOid = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
const std::string kPointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + kOid + "\nsize 12\n";
}  // namespace

TEST_CASE("an LFS pointer is written exactly as the spec shows it") {
  CHECK(format_lfs_pointer({kOid, 12}) == kPointer);
}

TEST_CASE("a canonical pointer and the spec's other forms parse") {
  CHECK(parse_lfs_pointer(kPointer) == LfsPointer{kOid, 12});
  // Keys between version and oid are allowed, sorted.
  const std::string extended =
      "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:1\noid sha256:" + kOid + "\nsize 12\n";
  CHECK(parse_lfs_pointer(extended) == LfsPointer{kOid, 12});
  CHECK(parse_lfs_pointer("version https://git-lfs.github.com/spec/v1\noid sha256:" + kOid + "\nsize 0\n"));
}

TEST_CASE("anything else is content, not a pointer") {
  const std::string head = "version https://git-lfs.github.com/spec/v1\n";
  for (const std::string& text : {
           std::string(""), kPointer.substr(0, kPointer.size() - 1),                   // no final newline
           "version https://example.com/spec/v1\noid sha256:" + kOid + "\nsize 12\n",  // another version
           head + "oid sha256:" + kOid.substr(1) + "\nsize 12\n",                      // short oid
           head + "oid sha256:" + std::string(64, 'A') + "\nsize 12\n",                // upper-case hex
           head + "oid sha256:../../../../etc/passwd" + std::string(40, 'a') + "\nsize 12\n",
           head + "oid md5:" + kOid + "\nsize 12\n",
           head + "oid sha256:" + kOid + "\n",                                           // no size
           head + "size 12\noid sha256:" + kOid + "\n",                                  // out of order
           head + "oid sha256:" + kOid + "\nsize -1\n",                                  // negative
           head + "oid sha256:" + kOid + "\nsize 012\n",                                 // leading zero
           head + "oid sha256:" + kOid + "\nsize 99999999999999999999\n",                // beyond 2^63
           head + "oid sha256:" + kOid + "\nsize 9223372036854775808\n",                 // 2^63
           head + "oid sha256:" + kOid + "\nsize 12\nsize 13\n",                         // twice
           head + "oid sha256:" + kOid + "\nsize 12\n" + std::string(1100, 'x') + "\n",  // too large
       })
    CHECK_FALSE(parse_lfs_pointer(text));
  CHECK(parse_lfs_pointer(head + "oid sha256:" + kOid + "\nsize 9223372036854775807\n")->size ==
        9223372036854775807ull);
}

TEST_CASE("oids are 64 lower-case hex digits") {
  CHECK(is_lfs_oid(kOid));
  CHECK_FALSE(is_lfs_oid(kOid + "0"));
  CHECK_FALSE(is_lfs_oid("../" + kOid.substr(3)));
}
