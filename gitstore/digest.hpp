#pragma once
// Incremental SHA-1 and SHA-256 (OpenSSL), for hashing while streaming: git's pack and index
// checksums, Git LFS object ids, git's object ids.
#include <git2.h>

#include <cstddef>
#include <string>

namespace histfs::gitstore {

class Digest {
 public:
  enum class Algorithm { Sha1, Sha256 };
  explicit Digest(Algorithm algorithm);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(const void* data, std::size_t size);
  // The digest's bytes (20 or 32); finishes: call one of these once.
  std::string bytes();
  std::string hex();

 private:
  void* context_;  // EVP_MD_CTX
};

// "tree 1234\0": what git hashes and stores before an object's bytes.
std::string object_header(git_object_t type, std::size_t size);

// git's id of an object: the SHA-1 of "<type> <size>\0" and its bytes. OpenSSL's SHA-1 is
// several times faster here than libgit2's (git_odb_hash), which detects collisions.
git_oid object_id(git_object_t type, const void* data, std::size_t size);

}  // namespace histfs::gitstore
