#include "gitstore/local_transfer.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <unordered_set>

#include "gitstore/digest.hpp"
#include "gitstore/git_handle.hpp"
#include "gitstore/pack_adoption.hpp"
#include "gitstore/pack_writer.hpp"

namespace histfs::gitstore {
namespace {

using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;
using Progress = std::function<void(std::size_t, std::size_t)>;

OdbPtr odb_of(git_repository* repo) {
  git_odb* raw = nullptr;
  check(git_repository_odb(&raw, repo), "open the objects");
  return OdbPtr(raw);
}

// What the tips reach in `from` that `to` lacks, in the order of a walk from the tips. Only
// commits, tags and trees are read; a blob is known by its tree entry.
std::vector<git_oid> missing_objects(git_repository* from, git_odb* from_odb, git_odb* to_odb,
                                     const std::vector<git_oid>& tips) {
  std::vector<git_oid> missing;
  std::unordered_set<git_oid, OidHash, OidEqual> seen;
  auto is_new = [&](const git_oid& id) {
    return seen.insert(id).second && !git_odb_exists_ext(to_odb, &id, GIT_ODB_LOOKUP_NO_REFRESH);
  };
  // One work list, not recursion: a remote's tree may nest deeper than any stack.
  std::vector<git_oid> work(tips.rbegin(), tips.rend());
  while (!work.empty()) {
    const git_oid next = work.back();
    work.pop_back();
    if (!is_new(next)) continue;
    missing.push_back(next);
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    check(git_odb_read_header(&size, &type, from_odb, &next), "read an object to copy");
    switch (type) {
      case GIT_OBJECT_TAG: {
        git_tag* raw = nullptr;
        check(git_tag_lookup(&raw, from, &next), "read a tag");
        const TagPtr tag(raw);
        work.push_back(*git_tag_target_id(tag.get()));
        break;
      }
      case GIT_OBJECT_COMMIT: {
        git_commit* raw = nullptr;
        check(git_commit_lookup(&raw, from, &next), "read a commit");
        const CommitPtr commit(raw);
        for (unsigned i = git_commit_parentcount(commit.get()); i-- > 0;)
          work.push_back(*git_commit_parent_id(commit.get(), i));
        work.push_back(*git_commit_tree_id(commit.get()));
        break;
      }
      case GIT_OBJECT_TREE: {
        git_tree* raw = nullptr;
        check(git_tree_lookup(&raw, from, &next), "read a tree");
        const TreePtr tree(raw);
        for (std::size_t i = git_tree_entrycount(tree.get()); i-- > 0;) {
          const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
          const git_object_t entry_type = git_tree_entry_type(entry);
          if (entry_type == GIT_OBJECT_BLOB) {
            if (is_new(*git_tree_entry_id(entry))) missing.push_back(*git_tree_entry_id(entry));
          } else if (entry_type == GIT_OBJECT_TREE) {
            work.push_back(*git_tree_entry_id(entry));
          }  // a submodule's commit lives in another repository
        }
        break;
      }
      default:
        break;
    }
  }
  return missing;
}

// Adopts each pack of `from` that holds only missing objects; drops from `missing` what the
// adopted packs hold, as our own index of them says. Adds each new pack's index path to
// `adopted` as soon as it is there (the caller removes them if a later step fails).
void adopt_whole_packs(git_repository* from, const std::string& to_pack_dir, std::vector<git_oid>& missing,
                       LocalCopy& result, std::vector<std::string>& adopted, const Progress& progress) {
  if (missing.empty()) return;
  const std::string from_pack_dir = std::string(git_repository_path(from)) + "objects/pack";
  for (const std::string& idx : pack_indexes(from_pack_dir)) {
    // The source's index only tells whether the pack is worth taking: a pack it misdescribes
    // is refused by the indexer, or leaves missing objects for the copy below.
    bool only_wanted = false;
    try {
      const PackContents theirs(idx);
      const std::size_t listed = theirs.count();
      std::size_t found = 0;
      for (const git_oid& id : missing) found += theirs.contains(id) ? 1 : 0;
      only_wanted = listed > 0 && found == listed;
    } catch (const GitError&) {
      continue;  // an index libgit2 refuses: its objects are read one by one, if they can be
    }
    if (!only_wanted) continue;
    const std::string pack = std::filesystem::path(idx).replace_extension(".pack").string();
    const std::size_t before = result.objects;
    const std::string ours = adopt_pack(pack, to_pack_dir, [&](std::size_t objects, std::size_t bytes) {
      if (progress) progress(before + objects, result.bytes + bytes);
    });
    adopted.push_back(ours);
    const PackContents held(ours);
    const std::size_t kept = missing.size();
    std::erase_if(missing, [&](const git_oid& id) { return held.contains(id); });
    result.objects += kept - missing.size();
    result.bytes += std::filesystem::file_size(pack);
    result.packs.push_back(std::filesystem::path(ours).stem().string());
    if (missing.empty()) break;
  }
}

void remove_pack(const std::string& idx) {
  std::error_code ignored;
  std::filesystem::remove(idx, ignored);
  std::filesystem::remove(std::filesystem::path(idx).replace_extension(".pack"), ignored);
}

}  // namespace

LocalCopy copy_missing_objects(git_repository* from, git_repository* to, const std::vector<git_oid>& tips,
                               const Progress& progress) {
  const OdbPtr from_odb = odb_of(from);
  const OdbPtr to_odb = odb_of(to);
  const std::string to_pack_dir = std::string(git_repository_path(to)) + "objects/pack";
  std::vector<git_oid> missing = missing_objects(from, from_odb.get(), to_odb.get(), tips);
  LocalCopy result;
  std::vector<std::string> adopted;
  try {
    adopt_whole_packs(from, to_pack_dir, missing, result, adopted, progress);
    PackWriter pack(to_pack_dir);
    for (const git_oid& id : missing) {
      git_odb_object* raw = nullptr;
      check(git_odb_read(&raw, from_odb.get(), &id), "read an object to copy");
      const OdbObjectPtr object(raw);
      // The remote's object must be what its id says, whether or not libgit2 checks reads.
      if (!same_oid(object_id(git_odb_object_type(object.get()), git_odb_object_data(object.get()),
                              git_odb_object_size(object.get())),
                    id))
        throw GitError("read an object to copy: object " + oid_hex(id) + " does not match its content", GIT_ERROR);
      pack.add(id, git_odb_object_data(object.get()), git_odb_object_size(object.get()),
               git_odb_object_type(object.get()));
      result.bytes += git_odb_object_size(object.get());
      if (progress && pack.count() % 256 == 0) progress(result.objects + pack.count(), result.bytes);
    }
    result.objects += pack.count();
    const std::string name = pack.finish(true);
    if (!name.empty()) result.packs.push_back(name);
  } catch (...) {
    for (const std::string& idx : adopted) remove_pack(idx);
    throw;
  }
  if (progress) progress(result.objects, result.bytes);
  if (!result.packs.empty()) check(git_odb_refresh(to_odb.get()), "read the new packs");
  return result;
}

}  // namespace histfs::gitstore
