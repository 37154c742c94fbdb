#include "gitstore/entry_names.hpp"

#include <algorithm>

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

namespace {

// A name no rule of libgit2's can refuse: plain ASCII, neither "." nor "..", without "git" in
// any case (the names libgit2 refuses are .git and what some filesystem takes for it: ".git.",
// "git~1", ".g\u200cit" on HFS+). Asking libgit2 (a tree builder's insert and clear for each
// component of each path) was a fifth of the compare's own time at every remount.
bool plainly_taken(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80 || c == '\0' || c == '/') return false;
    if ((c | 0x20) == 'g' && i + 2 < name.size() && (name[i + 1] | 0x20) == 'i' && (name[i + 2] | 0x20) == 't')
      return false;
  }
  return true;
}

}  // namespace

std::string EntryNameCheck::refusal(std::string_view path, const git_oid& blob) {
  // Most paths are plainly taken whole: no list of their components is made. A walk asks for a
  // folder's files one after another, so the folder found plain last is not looked at again.
  const std::size_t last_slash = path.rfind('/');
  const bool in_folder = last_slash != std::string_view::npos;
  bool plain = plainly_taken(in_folder ? path.substr(last_slash + 1) : path);
  if (plain && in_folder && !(plain_folder_known_ && path.substr(0, last_slash) == plain_folder_)) {
    const std::string_view folder = path.substr(0, last_slash);
    for (std::size_t start = 0; plain && start <= folder.size();) {
      const std::size_t slash = std::min(folder.find('/', start), folder.size());
      plain = plainly_taken(folder.substr(start, slash - start));
      start = slash + 1;
    }
    if (plain) {
      plain_folder_.assign(folder);
      plain_folder_known_ = true;
    }
  }
  if (plain) return "";
  for (auto part : split_path(path)) {
    if (plainly_taken(part)) continue;
    const std::string name(part);
    if (takes(name, blob)) continue;
    // Refused for its object, not its name: not ours to judge (the tree write reports it).
    if (!takes("name", blob)) return "";
    return "git refuses the name \"" + name + "\" as a tree entry";
  }
  return "";
}

}  // namespace histfs::gitstore
