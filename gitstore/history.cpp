#include "gitstore/history.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <system_error>

#include "gitstore/identity.hpp"
#include "gitstore/lfs_policy.hpp"
#include "gitstore/repository.hpp"
#include "gitstore/time_text.hpp"

namespace histfs::gitstore {
namespace {

bool is_hex(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c); });
}

// Idle handles kept for the next callers; more may be open while many threads read at once.
constexpr size_t kMaxIdleHandles = 8;

CommitInfo info_of(git_commit* commit) {
  const git_signature* author = git_commit_author(commit);
  const char* summary = git_commit_summary(commit);
  return CommitInfo{*git_commit_id(commit), *git_commit_tree_id(commit), git_commit_time(commit),
                    summary ? summary : "", author && author->name ? author->name : ""};
}

CommitInfo lookup_commit(git_repository* repo, const git_oid& id) {
  git_commit* raw = nullptr;
  check(git_commit_lookup(&raw, repo, &id), "read commit");
  CommitPtr commit(raw);
  return info_of(commit.get());
}

std::optional<TreeEntryInfo> entry_in(git_repository* repo, const git_oid& tree_id, const std::string& path) {
  if (path.empty()) return TreeEntryInfo{tree_id, GIT_FILEMODE_TREE};
  git_tree* raw_tree = nullptr;
  check(git_tree_lookup(&raw_tree, repo, &tree_id), "read tree");
  TreePtr tree(raw_tree);
  git_tree_entry* raw_entry = nullptr;
  int result = git_tree_entry_bypath(&raw_entry, tree.get(), path.c_str());
  if (result == GIT_ENOTFOUND) return std::nullopt;
  check(result, "find path in tree");
  TreeEntryPtr entry(raw_entry);
  return TreeEntryInfo{*git_tree_entry_id(entry.get()), git_tree_entry_filemode(entry.get())};
}

std::optional<TreeItem> item_of(const git_tree_entry* entry) {
  auto kind = entry_kind(git_tree_entry_filemode(entry));
  if (!kind) return std::nullopt;
  return TreeItem{git_tree_entry_name(entry), *git_tree_entry_id(entry), *kind};
}

}  // namespace

std::optional<EntryKind> entry_kind(git_filemode_t mode) {
  switch (mode) {
    case GIT_FILEMODE_TREE:
      return EntryKind::Tree;
    case GIT_FILEMODE_BLOB:
      return EntryKind::File;
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return EntryKind::Executable;
    case GIT_FILEMODE_LINK:
      return EntryKind::Link;
    default:
      return std::nullopt;
  }
}

BlobBytes::BlobBytes(git_odb_object* object)
    : object_(object), bytes_(static_cast<const char*>(git_odb_object_data(object)), git_odb_object_size(object)) {}

BlobBytes::BlobBytes(int fd, std::size_t size) {
  if (size == 0) return;
  mapping_ = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw std::system_error(errno, std::generic_category(), "map LFS object");
  }
  bytes_ = std::string_view(static_cast<const char*>(mapping_), size);
}

// An odb object is reference-counted atomically and needs no repository: any thread may free it.
BlobBytes::~BlobBytes() {
  if (object_) git_odb_object_free(object_);
  if (mapping_) munmap(mapping_, bytes_.size());
}

class HistoryReader::Lease {
 public:
  Lease(HistoryReader& owner, RepositoryPtr repo) : owner_(owner), repo_(std::move(repo)) {}
  ~Lease() { owner_.give_back(std::move(repo_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  git_repository* get() const { return repo_.get(); }

 private:
  HistoryReader& owner_;
  RepositoryPtr repo_;
};

HistoryReader::HistoryReader(const std::string& git_dir) : git_dir_(git_dir), lfs_(LfsStore::of_git_dir(git_dir)) {
  Lease first = borrow();  // a bad git dir fails here, not at the first request
}

HistoryReader::Lease HistoryReader::borrow() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      RepositoryPtr repo = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(repo));
    }
  }
  return Lease(*this, open_bare_repository(git_dir_, "open git dir"));
}

void HistoryReader::give_back(RepositoryPtr repo) {
  if (!repo) return;
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(repo));
}  // a handle not kept is freed with the parameter, after the lock is released

std::optional<git_oid> HistoryReader::head() {
  Lease repo = borrow();
  git_oid oid;
  int result = git_reference_name_to_id(&oid, repo.get(), kBranchRef);
  if (result == GIT_ENOTFOUND) return std::nullopt;
  check(result, "read branch");
  return oid;
}

std::shared_ptr<const CommitList> HistoryReader::commits_with(git_repository* repo) {
  git_oid head;
  int result = git_reference_name_to_id(&head, repo, kBranchRef);
  if (result == GIT_ENOTFOUND) return std::make_shared<const CommitList>();
  check(result, "read branch");
  std::lock_guard lock(cache_mutex_);
  if (cached_commits_ && cached_head_ && git_oid_equal(&*cached_head_, &head)) return cached_commits_;

  git_revwalk* raw_walk = nullptr;
  check(git_revwalk_new(&raw_walk, repo), "start history walk");
  std::unique_ptr<git_revwalk, decltype(&git_revwalk_free)> walk(raw_walk, git_revwalk_free);
  // Topological first: commits made within one second must still come out parent after child.
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  check(git_revwalk_push(walk.get(), &head), "walk from head");
  auto list = std::make_shared<CommitList>();
  git_oid id;
  while (git_revwalk_next(&id, walk.get()) == 0) list->push_back(lookup_commit(repo, id));
  cached_head_ = head;
  cached_commits_ = list;
  return cached_commits_;
}

std::shared_ptr<const CommitList> HistoryReader::commits() {
  Lease repo = borrow();
  return commits_with(repo.get());
}

std::optional<TreeEntryInfo> HistoryReader::entry(const git_oid& tree, const std::string& path) {
  Lease repo = borrow();
  return entry_in(repo.get(), tree, path);
}

std::vector<CommitInfo> HistoryReader::log(const std::string& path, size_t limit) {
  Lease repo = borrow();
  auto all = commits_with(repo.get());
  std::vector<CommitInfo> out;
  for (size_t i = 0; i < all->size() && out.size() < limit; ++i) {
    const CommitInfo& commit = (*all)[i];
    if (path.empty()) {
      out.push_back(commit);
      continue;
    }
    // Changed when the entry differs from the next older commit's (or that one lacks it).
    auto here = entry_in(repo.get(), commit.tree, path);
    std::optional<TreeEntryInfo> before;
    if (i + 1 < all->size()) before = entry_in(repo.get(), (*all)[i + 1].tree, path);
    if (here != before) out.push_back(commit);
  }
  return out;
}

std::vector<TagInfo> HistoryReader::tags() {
  Lease repo = borrow();
  git_strarray names{};
  check(git_tag_list(&names, repo.get()), "list tags");
  std::vector<TagInfo> out;
  for (size_t i = 0; i < names.count; ++i) {
    git_object* raw = nullptr;
    if (git_revparse_single(&raw, repo.get(), (std::string("refs/tags/") + names.strings[i]).c_str()) != 0) continue;
    ObjectPtr object(raw);
    TagInfo info{names.strings[i], {}, {}, 0, 0, ""};
    if (git_object_type(object.get()) == GIT_OBJECT_TAG) {
      auto* tag = reinterpret_cast<git_tag*>(object.get());
      const git_signature* tagger = git_tag_tagger(tag);
      info.time = tagger ? tagger->when.time : 0;
      info.message = git_tag_message(tag) ? git_tag_message(tag) : "";
    }
    git_object* raw_commit = nullptr;
    if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0) continue;
    ObjectPtr commit(raw_commit);
    auto* as_commit = reinterpret_cast<git_commit*>(commit.get());
    info.commit = *git_commit_id(as_commit);
    info.tree = *git_commit_tree_id(as_commit);
    info.commit_time = git_commit_time(as_commit);
    if (info.time == 0) info.time = info.commit_time;
    out.push_back(std::move(info));
  }
  git_strarray_dispose(&names);
  std::sort(out.begin(), out.end(),
            [](const TagInfo& a, const TagInfo& b) { return a.time != b.time ? a.time > b.time : a.name > b.name; });
  return out;
}

std::optional<TagInfo> HistoryReader::tag(const std::string& name) {
  for (auto& info : tags())
    if (info.name == name) return info;
  return std::nullopt;
}

std::optional<CommitInfo> HistoryReader::commit_by_prefix(const std::string& hex) {
  Lease repo = borrow();
  git_oid prefix;
  if (git_oid_fromstrn(&prefix, hex.c_str(), hex.size()) != 0) return std::nullopt;
  git_object* raw = nullptr;
  if (git_object_lookup_prefix(&raw, repo.get(), &prefix, hex.size(), GIT_OBJECT_COMMIT) != 0) return std::nullopt;
  ObjectPtr object(raw);
  return info_of(reinterpret_cast<git_commit*>(object.get()));
}

std::optional<CommitInfo> HistoryReader::commit_at(std::int64_t time) {
  auto all = commits();
  for (const auto& commit : *all)  // newest first
    if (commit.time <= time) return commit;
  return std::nullopt;
}

CommitInfo HistoryReader::resolve(const std::string& rev) {
  if (rev.empty()) throw HistoryError("empty revision");
  if (auto when = parse_instant(rev)) {
    auto found = commit_at(*when);
    if (!found) throw HistoryError("no commit at or before " + format_instant(*when));
    return *found;
  }
  if (is_hex(rev) && rev.size() < 4) throw HistoryError("commit id prefix " + rev + " is too short (4+ hex digits)");
  Lease repo = borrow();
  git_object* raw = nullptr;
  int result = git_revparse_single(&raw, repo.get(), rev.c_str());
  if (result == GIT_EAMBIGUOUS) throw HistoryError("commit id prefix " + rev + " is ambiguous; give more digits");
  if (result != 0)
    throw HistoryError("unknown revision " + rev + " (expected a commit id, a snapshot name, HEAD~N or a UTC time)");
  ObjectPtr object(raw);
  git_object* raw_commit = nullptr;
  if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0)
    throw HistoryError("revision " + rev + " does not name a commit");
  ObjectPtr commit(raw_commit);
  return info_of(reinterpret_cast<git_commit*>(commit.get()));
}

void HistoryReader::check_snapshot_name(const std::string& name) {
  int valid = 0;
  if (git_tag_name_is_valid(&valid, name.c_str()) != 0 || !valid || name.find('/') != std::string::npos ||
      name.starts_with("-") || name == "tags" || name == "commits" || name == "at" || name == "versions" ||
      name == "latest")
    throw HistoryError("invalid snapshot name \"" + name +
                       "\": use letters, digits, '.', '_' and '-' (no '/', no spaces, not a .history folder name)");
  Lease repo = borrow();
  git_reference* existing = nullptr;
  if (git_reference_lookup(&existing, repo.get(), ("refs/tags/" + name).c_str()) == 0) {
    git_reference_free(existing);
    throw HistoryError("snapshot " + name + " already exists");
  }
}

TagInfo HistoryReader::snapshot(const std::string& name, const std::string& message) {
  check_snapshot_name(name);
  {
    Lease repo = borrow();
    git_oid head;
    if (git_reference_name_to_id(&head, repo.get(), kBranchRef) != 0)
      throw HistoryError("nothing to snapshot: there is no commit yet");
    git_object* raw_target = nullptr;
    check(git_object_lookup(&raw_target, repo.get(), &head, GIT_OBJECT_COMMIT), "read head");
    ObjectPtr target(raw_target);
    git_signature* raw_tagger = nullptr;
    const Person tagger_person = committer_identity();  // snapshots are tagged by the committer
    check(git_signature_now(&raw_tagger, tagger_person.name.c_str(), tagger_person.email.c_str()), "make tagger");
    SignaturePtr tagger(raw_tagger);
    git_oid tag_id;
    const std::string text = message.empty() ? "snapshot " + name + "\n" : message + "\n";
    int result = git_tag_create(&tag_id, repo.get(), name.c_str(), target.get(), tagger.get(), text.c_str(), 0);
    if (result == GIT_EEXISTS) throw HistoryError("snapshot " + name + " already exists");
    check(result, "create tag");
  }
  auto made = tag(name);
  if (!made) throw HistoryError("snapshot " + name + " vanished after it was made");
  return *made;
}

}  // namespace histfs::gitstore

namespace histfs::gitstore {

std::map<std::string, TreeEntryInfo> HistoryReader::files_under(const git_oid& tree_id, const std::string& path) {
  Lease repo = borrow();
  std::map<std::string, TreeEntryInfo> out;
  auto top = entry_in(repo.get(), tree_id, path);
  if (!top) return out;
  if (top->mode != GIT_FILEMODE_TREE) {
    out.emplace(path, *top);
    return out;
  }
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo.get(), &top->oid), "read tree");
  TreePtr tree(raw);
  struct Walk {
    std::map<std::string, TreeEntryInfo>* out;
    std::string prefix;
  } walk{&out, path.empty() ? "" : path + "/"};
  check(git_tree_walk(
            tree.get(), GIT_TREEWALK_PRE,
            [](const char* root, const git_tree_entry* entry, void* payload) {
              auto* w = static_cast<Walk*>(payload);
              if (git_tree_entry_type(entry) == GIT_OBJECT_TREE) return 0;
              w->out->emplace(w->prefix + root + git_tree_entry_name(entry),
                              TreeEntryInfo{*git_tree_entry_id(entry), git_tree_entry_filemode(entry)});
              return 0;
            },
            &walk),
        "walk tree");
  return out;
}

std::string HistoryReader::blob_content(const git_oid& blob_id) { return std::string(raw_blob(blob_id)->bytes()); }

std::shared_ptr<const BlobBytes> HistoryReader::read_blob(const git_oid& blob_id) { return content(blob_id, true); }

std::shared_ptr<const BlobBytes> HistoryReader::read_local_blob(const git_oid& blob_id) {
  return content(blob_id, false);
}

std::shared_ptr<const BlobBytes> HistoryReader::content(const git_oid& blob_id, bool fetch) {
  auto bytes = raw_blob(blob_id);
  auto pointer = parse_lfs_pointer(bytes->bytes());
  if (!pointer) return bytes;
  if (!fetch && !lfs_.has(*pointer)) return nullptr;
  return lfs_content(*pointer);
}

std::shared_ptr<const BlobBytes> HistoryReader::raw_blob(const git_oid& blob_id) {
  Lease repo = borrow();
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo.get()), "open object database");
  OdbPtr odb(raw_odb);
  git_odb_object* object = nullptr;
  check(git_odb_read(&object, odb.get(), &blob_id), "read blob");
  auto bytes = std::make_shared<const BlobBytes>(object);
  if (git_odb_object_type(object) != GIT_OBJECT_BLOB)
    throw GitError("read blob: " + oid_hex(blob_id) + " is not a blob", GIT_EINVALID);
  return bytes;
}

std::shared_ptr<const BlobBytes> HistoryReader::lfs_content(const LfsPointer& pointer) {
  if (!lfs_.has(pointer)) {
    if (!fetch_lfs_) throw LfsError("LFS object " + pointer.oid + " is not in the local store and no remote is set");
    fetch_lfs_(pointer);
  }
  const int fd = lfs_.open_object(pointer);
  if (fd < 0) throw LfsError("LFS object " + pointer.oid + " is not in the local store");
  struct stat st;
  const bool right = fstat(fd, &st) == 0 && std::uint64_t(st.st_size) == pointer.size;
  if (!right) {
    close(fd);
    throw LfsError("LFS object " + pointer.oid + " in the local store has the wrong size");
  }
  try {
    auto bytes = std::make_shared<const BlobBytes>(fd, std::size_t(pointer.size));
    close(fd);
    return bytes;
  } catch (...) {
    close(fd);
    throw;
  }
}

std::optional<LfsPointer> HistoryReader::lfs_pointer(const git_oid& blob_id) {
  Lease repo = borrow();
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo.get()), "open object database");
  OdbPtr odb(raw_odb);
  return read_lfs_pointer(odb.get(), blob_id);
}

std::uint64_t HistoryReader::object_size(const git_oid& object) {
  Lease repo = borrow();
  git_odb* raw_odb = nullptr;
  check(git_repository_odb(&raw_odb, repo.get()), "open object database");
  OdbPtr odb(raw_odb);
  size_t size = 0;
  git_object_t type;
  check(git_odb_read_header(&size, &type, odb.get(), &object), "read object header");
  if (type == GIT_OBJECT_BLOB && size < kLfsPointerMaxSize)
    if (auto pointer = read_lfs_pointer(odb.get(), object)) return pointer->size;
  return size;
}

std::vector<TreeItem> HistoryReader::list_tree(const git_oid& tree_id) {
  Lease repo = borrow();
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo.get(), &tree_id), "read tree");
  TreePtr tree(raw);
  std::vector<TreeItem> out;
  out.reserve(git_tree_entrycount(tree.get()));
  for (size_t i = 0; i < git_tree_entrycount(tree.get()); ++i)
    if (auto item = item_of(git_tree_entry_byindex(tree.get(), i))) out.push_back(std::move(*item));
  return out;
}

std::optional<TreeItem> HistoryReader::tree_item(const git_oid& tree_id, const std::string& name) {
  Lease repo = borrow();
  git_tree* raw = nullptr;
  check(git_tree_lookup(&raw, repo.get(), &tree_id), "read tree");
  TreePtr tree(raw);
  const git_tree_entry* entry = git_tree_entry_byname(tree.get(), name.c_str());
  return entry ? item_of(entry) : std::nullopt;
}

}  // namespace histfs::gitstore

namespace histfs::gitstore {

std::vector<HistoryReader::FileVersion> HistoryReader::versions(const std::string& path) {
  Lease repo = borrow();
  auto all = commits_with(repo.get());
  std::vector<FileVersion> out;
  for (auto it = all->rbegin(); it != all->rend(); ++it) {  // oldest first
    auto entry = entry_in(repo.get(), it->tree, path);
    if (!entry || entry->mode == GIT_FILEMODE_TREE) continue;
    // One entry per distinct content: a file edited back to an earlier text shows it once, at its first commit.
    if (std::any_of(out.begin(), out.end(), [&](const FileVersion& v) { return v.entry == *entry; })) continue;
    out.push_back({*it, *entry});
  }
  return out;
}

std::optional<git_filemode_t> HistoryReader::kind_in_history(const std::string& path) {
  Lease repo = borrow();
  for (const auto& commit : *commits_with(repo.get()))
    if (auto entry = entry_in(repo.get(), commit.tree, path)) return entry->mode;
  return std::nullopt;
}

}  // namespace histfs::gitstore
