#pragma once
// The bare git repository beside the data: created on first use, configured
// so that every ref update is logged and fsynced, and the one place that
// moves the branch. A Repository is used by one thread at a time.
#include <git2.h>

#include <optional>
#include <string>
#include <vector>

#include "gitstore/git_handle.hpp"
#include "gitstore/object_sync.hpp"
#include "gitstore/ordered_journal.hpp"

namespace histfs::gitstore {

inline constexpr const char* kBranchRef = "refs/heads/main";

// Process-wide libgit2 settings histfs relies on; call once before any repository is opened.
// `ca_file` (git.caFile), when not empty, replaces the CA bundle for https remotes;
// throws GitError when libgit2 cannot use it.
void configure_libgit2(const std::string& ca_file = "");

struct Person {
  std::string name;
  std::string email;
};

class Repository {
 public:
  // Opens the bare repository at git_dir, creating it (and its parents) when missing.
  // Throws GitError when git_dir exists but is not a bare repository.
  static Repository open_or_create(const std::string& git_dir);

  git_repository* get() const { return repo_.get(); }
  git_odb* odb() const { return odb_.get(); }
  const std::string& git_dir() const { return git_dir_; }

  std::optional<git_oid> head_commit() const;
  std::optional<git_oid> head_tree() const;

  // Creates a commit of `tree` on top of `parent` (nullopt: first commit), makes it and
  // `objects` (everything it names that was just written) durable, then moves the branch
  // only if it still points at `parent`, and flushes the ref. Returns the new commit id.
  // On an ordered journal (ordered_journal.hpp) that is one journal commit in all; elsewhere
  // five fsyncs.
  git_oid commit(const git_oid& tree, const std::optional<git_oid>& parent, const std::string& message,
                 const Person& author, const std::string& reflog_message, ObjectSync& objects,
                 const std::vector<git_oid>& extra_parents = {});
  // Moves the branch to an existing commit if it still points at `expected`; flushes the ref.
  void move_branch(const git_oid& target, const std::optional<git_oid>& expected, const std::string& reflog_message);
  // Gets `objects` ready for a ref to name them: durable, or on an ordered journal only
  // written out (move_branch's flush then makes their names durable with its own).
  void prepare_objects(ObjectSync& objects) const;
  // True when the git dir is on an ordered journal (one flush per commit).
  bool ordered_journal() const { return ordered_journal_; }

 private:
  Repository(RepositoryPtr repo, OdbPtr odb, std::string git_dir)
      : repo_(std::move(repo)),
        odb_(std::move(odb)),
        git_dir_(std::move(git_dir)),
        ordered_journal_(has_ordered_journal(git_dir_)) {}
  RepositoryPtr repo_;
  OdbPtr odb_;
  std::string git_dir_;
  bool ordered_journal_;
};

// Writes `patterns` to GIT_DIR/info/exclude so stock git ignores what histfs ignores.
void write_info_exclude(const std::string& git_dir, const std::vector<std::string>& patterns);

}  // namespace histfs::gitstore
