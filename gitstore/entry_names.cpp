#include "gitstore/entry_names.hpp"

#include "gitstore/repo_path.hpp"

namespace histfs::gitstore {

EntryNameCheck::EntryNameCheck(git_repository* repo) {
  git_treebuilder* raw = nullptr;
  check(git_treebuilder_new(&raw, repo, nullptr), "create tree builder");
  scratch_.reset(raw);
}

bool EntryNameCheck::takes(const std::string& name, const git_oid& blob) {
  const bool taken = git_treebuilder_insert(nullptr, scratch_.get(), name.c_str(), &blob, GIT_FILEMODE_BLOB) == 0;
  git_treebuilder_clear(scratch_.get());
  return taken;
}

std::string EntryNameCheck::refusal(std::string_view path, const git_oid& blob) {
  for (auto part : split_path(path)) {
    const std::string name(part);
    if (takes(name, blob)) continue;
    // Refused for its object, not its name: not ours to judge (the tree write reports it).
    if (!takes("name", blob)) return "";
    return "git refuses the name \"" + name + "\" as a tree entry";
  }
  return "";
}

}  // namespace histfs::gitstore
