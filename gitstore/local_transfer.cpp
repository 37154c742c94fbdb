#include "gitstore/local_transfer.hpp"

#include <string>

#include "gitstore/git_handle.hpp"
#include "gitstore/pack_writer.hpp"

namespace histfs::gitstore {
namespace {

using OdbObjectPtr = GitPtr<git_odb_object, git_odb_object_free>;

class Copier {
 public:
  Copier(git_repository* from, git_repository* to, PackWriter& pack,
         const std::function<void(std::size_t, std::size_t)>& progress)
      : from_(from), pack_(pack), progress_(progress) {
    git_odb* raw = nullptr;
    check(git_repository_odb(&raw, from), "open the source's objects");
    from_odb_.reset(raw);
    raw = nullptr;
    check(git_repository_odb(&raw, to), "open the objects");
    to_odb_.reset(raw);
  }

  // Copies `id` and, unless the destination holds it already, what it reaches. One work list,
  // not recursion: a remote's tree may nest deeper than any stack.
  void copy_reachable(const git_oid& id) {
    std::vector<git_oid> work{id};
    while (!work.empty()) {
      const git_oid next = work.back();
      work.pop_back();
      if (!wanted(next)) continue;
      switch (copy(next)) {
        case GIT_OBJECT_TAG: {
          git_tag* raw = nullptr;
          check(git_tag_lookup(&raw, from_, &next), "read a tag");
          TagPtr tag(raw);
          work.push_back(*git_tag_target_id(tag.get()));
          break;
        }
        case GIT_OBJECT_COMMIT: {
          git_commit* raw = nullptr;
          check(git_commit_lookup(&raw, from_, &next), "read a commit");
          CommitPtr commit(raw);
          for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i)
            work.push_back(*git_commit_parent_id(commit.get(), i));
          work.push_back(*git_commit_tree_id(commit.get()));
          break;
        }
        case GIT_OBJECT_TREE: {
          git_tree* raw = nullptr;
          check(git_tree_lookup(&raw, from_, &next), "read a tree");
          TreePtr tree(raw);
          for (size_t i = 0; i < git_tree_entrycount(tree.get()); ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
            const git_object_t type = git_tree_entry_type(entry);
            if (type == GIT_OBJECT_BLOB) {
              if (wanted(*git_tree_entry_id(entry))) copy(*git_tree_entry_id(entry));
            } else if (type == GIT_OBJECT_TREE) {
              work.push_back(*git_tree_entry_id(entry));
            }  // a submodule's commit lives in another repository
          }
          break;
        }
        default:
          break;
      }
    }
  }

  std::size_t bytes() const { return bytes_; }

 private:
  // Not in the destination, and not copied yet.
  bool wanted(const git_oid& id) {
    return !pack_.contains(id) && !git_odb_exists_ext(to_odb_.get(), &id, GIT_ODB_LOOKUP_NO_REFRESH);
  }

  git_object_t copy(const git_oid& id) {
    git_odb_object* raw = nullptr;
    check(git_odb_read(&raw, from_odb_.get(), &id), "read an object to copy");
    OdbObjectPtr object(raw);
    const git_object_t type = git_odb_object_type(object.get());
    pack_.add(id, git_odb_object_data(object.get()), git_odb_object_size(object.get()), type);
    bytes_ += git_odb_object_size(object.get());
    if (progress_ && pack_.count() % 256 == 0) progress_(pack_.count(), bytes_);
    return type;
  }

  git_repository* from_;
  OdbPtr from_odb_;
  OdbPtr to_odb_;
  PackWriter& pack_;
  const std::function<void(std::size_t, std::size_t)>& progress_;
  std::size_t bytes_ = 0;
};

}  // namespace

LocalCopy copy_missing_objects(git_repository* from, git_repository* to, const std::vector<git_oid>& tips,
                               const std::function<void(std::size_t, std::size_t)>& progress) {
  PackWriter pack(std::string(git_repository_path(to)) + "objects/pack");
  Copier copier(from, to, pack, progress);
  for (const auto& tip : tips) copier.copy_reachable(tip);
  LocalCopy result{pack.count(), copier.bytes(), ""};
  result.pack = pack.finish(true);
  if (progress) progress(result.objects, result.bytes);
  if (!result.pack.empty()) {
    git_odb* raw = nullptr;
    check(git_repository_odb(&raw, to), "open the objects");
    OdbPtr odb(raw);
    check(git_odb_refresh(odb.get()), "read the new pack");
  }
  return result;
}

}  // namespace histfs::gitstore
