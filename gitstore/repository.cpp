#include "gitstore/repository.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "gitstore/identity.hpp"
#include "gitstore/private_dir.hpp"

namespace histfs::gitstore {

void configure_libgit2(const std::string& ca_file) {
  if (!ca_file.empty())
    check(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca_file.c_str(), nullptr), "use the CA bundle");
  // Durability is ours (ObjectSync): one flush per commit instead of an fsync per object.
  check(git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0), "disable per-object fsync");
  // We write every blob before the tree that names it; skipping libgit2's
  // existence check per tree entry keeps large directories cheap to rewrite.
  check(git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0), "relax object checks");
  // Objects are not hashed again at every read (git does not either): those of our own git
  // dir were hashed when written, a fetched pack's by the indexer, and a local remote's
  // objects are checked against their ids by the copy itself (local_transfer). libgit2's
  // collision-detecting SHA-1 was most of reading a tree at a remount, and of a file's bytes
  // at a restore.
  check(git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0), "skip hashing objects read");
  // The daemon owns the git dir; a user running `histfs` as root on another user's data must still work.
  check(git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0), "owner validation");
}

Repository Repository::open_or_create(const std::string& git_dir) {
  git_repository* raw = nullptr;
  const bool exists = std::filesystem::exists(git_dir);
  if (exists) {
    check(git_repository_open_bare(&raw, git_dir.c_str()), ("open git dir " + git_dir).c_str());
  } else {
    create_private_dir(git_dir);  // 0700 before anything goes in
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = "main";
    check(git_repository_init_ext(&raw, git_dir.c_str(), &options), ("create git dir " + git_dir).c_str());
    spdlog::info("created git dir {}", git_dir);
  }
  RepositoryPtr repo(raw);

  git_config* raw_config = nullptr;
  check(git_repository_config(&raw_config, repo.get()), "read repository config");
  ConfigPtr config(raw_config);
  // Bare repositories keep no reflog unless told to; we want one for every ref.
  check(git_config_set_string(config.get(), "core.logAllRefUpdates", "always"), "set core.logAllRefUpdates");

  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo.get()), "open object database");
  return Repository(std::move(repo), OdbPtr(raw_odb), git_dir);
}

std::optional<git_oid> Repository::head_commit() const {
  git_oid oid;
  int result = git_reference_name_to_id(&oid, repo_.get(), kBranchRef);
  if (result == GIT_ENOTFOUND) return std::nullopt;
  check(result, "read branch");
  return oid;
}

std::optional<git_oid> Repository::head_tree() const {
  auto head = head_commit();
  if (!head) return std::nullopt;
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo_.get(), &*head), "read head commit");
  CommitPtr commit(raw);
  return *git_commit_tree_id(commit.get());
}

git_oid Repository::commit(const git_oid& tree_id, const std::optional<git_oid>& parent, const std::string& message,
                           const Person& author, const std::string& reflog_message, ObjectSync& objects,
                           const std::vector<git_oid>& extra_parents) {
  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, repo_.get(), &tree_id), "read new tree");
  TreePtr tree(raw_tree);

  CommitPtr parent_commit;
  if (parent) {
    git_commit* raw = nullptr;
    check(git_commit_lookup(&raw, repo_.get(), &*parent), "read parent commit");
    parent_commit.reset(raw);
  }
  git_signature* raw_author = nullptr;
  check(git_signature_now(&raw_author, author.name.c_str(), author.email.c_str()), "make author signature");
  SignaturePtr author_signature(raw_author);
  git_signature* raw_committer = nullptr;
  const Person committer_person = committer_identity();  // git.committer.name/.email
  check(git_signature_now(&raw_committer, committer_person.name.c_str(), committer_person.email.c_str()),
        "make committer signature");
  SignaturePtr committer(raw_committer);

  std::vector<CommitPtr> others;
  std::vector<const git_commit*> parents;
  if (parent_commit) parents.push_back(parent_commit.get());
  for (const auto& id : extra_parents) {
    git_commit* raw = nullptr;
    check(git_commit_lookup(&raw, repo_.get(), &id), "read merge parent");
    others.emplace_back(raw);
    parents.push_back(raw);
  }
  git_oid commit_id;
  check(git_commit_create(&commit_id, repo_.get(), nullptr, author_signature.get(), committer.get(), nullptr,
                          message.c_str(), tree.get(), parents.size(), parents.data()),
        "create commit");
  // Every object the commit names reaches the disk before the branch points at it.
  objects.add(commit_id);
  prepare_objects(objects);

  move_branch(commit_id, parent, reflog_message);
  return commit_id;
}

void Repository::move_branch(const git_oid& target, const std::optional<git_oid>& expected,
                             const std::string& reflog_message) {
  git_reference* raw_ref = nullptr;
  if (expected)
    check(git_reference_create_matching(&raw_ref, repo_.get(), kBranchRef, &target, 1, &*expected,
                                        reflog_message.c_str()),
          "move branch");
  else
    check(git_reference_create(&raw_ref, repo_.get(), kBranchRef, &target, 0, reflog_message.c_str()), "create branch");
  ReferencePtr ref(raw_ref);
  const std::string ref_file = git_dir_ + "/" + kBranchRef, reflog_file = git_dir_ + "/logs/" + kBranchRef;
  if (ordered_journal_) {
    // The ref's data is written out, then the journal is committed up to the later of the
    // reflog's append and the ref's rename (an fsync waits only for the change of the file it
    // is given): the objects' names (their data is out already: prepare_objects), the rename
    // and the reflog line. The two land in one journal commit; the second fsync finds it done.
    ObjectSync::write_out_file(ref_file);
    ObjectSync::commit_file(reflog_file);
    ObjectSync::commit_file(ref_file.substr(0, ref_file.rfind('/')));
    return;
  }
  ObjectSync::sync_file(ref_file);
  ObjectSync::sync_file(reflog_file);
}

void Repository::prepare_objects(ObjectSync& objects) const {
  if (ordered_journal_)
    objects.write_out();
  else
    objects.sync();
}

void write_info_exclude(const std::string& git_dir, const std::vector<std::string>& patterns) {
  std::string text = "# Written by histfs at every mount: the paths it keeps out of git.\n";
  for (const auto& pattern : patterns) text += pattern + "\n";
  const auto dir = std::filesystem::path(git_dir) / "info";
  std::filesystem::create_directories(dir);
  const auto file = dir / "exclude";
  std::ifstream in(file);
  std::string current((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (current == text) return;
  std::ofstream out(file, std::ios::trunc);
  out << text;
}

}  // namespace histfs::gitstore
