#pragma once
// RAII for libgit2 objects and one error check. libgit2's error message is
// thread-local, so check() reads it on the thread that failed.
#include <git2.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace histfs::gitstore {

class GitError : public std::runtime_error {
 public:
  GitError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Throws GitError naming the operation when a libgit2 call failed.
inline int check(int result, const char* operation) {
  if (result < 0) {
    const git_error* error = git_error_last();
    throw GitError(std::string(operation) + ": " + (error && error->message ? error->message : "unknown error"),
                   result);
  }
  return result;
}

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* object) const { Free(object); }
};

template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using TreeBuilderPtr = GitPtr<git_treebuilder, git_treebuilder_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using TagPtr = GitPtr<git_tag, git_tag_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;

// The bare repository at `git_dir`, opened; throws GitError naming `operation` when it cannot be.
inline RepositoryPtr open_bare_repository(const std::string& git_dir, const char* operation) {
  git_repository* raw = nullptr;
  check(git_repository_open_bare(&raw, git_dir.c_str()), operation);
  return RepositoryPtr(raw);
}

// Keeps libgit2 initialised for as long as any instance lives.
class LibGit2 {
 public:
  LibGit2() { git_libgit2_init(); }
  ~LibGit2() { git_libgit2_shutdown(); }
  LibGit2(const LibGit2&) = delete;
  LibGit2& operator=(const LibGit2&) = delete;
};

inline bool same_oid(const git_oid& a, const git_oid& b) { return git_oid_equal(&a, &b) != 0; }

inline std::string oid_hex(const git_oid& oid) {
  char text[GIT_OID_HEXSZ + 1];
  git_oid_tostr(text, sizeof text, &oid);
  return text;
}

struct OidHash {
  size_t operator()(const git_oid& oid) const {
    size_t value;
    static_assert(sizeof value <= GIT_OID_RAWSZ);
    std::memcpy(&value, oid.id, sizeof value);
    return value;
  }
};

struct OidEqual {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_equal(&a, &b) != 0; }
};

}  // namespace histfs::gitstore
