#include "gitstore/lfs_policy.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <spdlog/spdlog.h>

#include "gitstore/git_handle.hpp"
#include "gitstore/tree_overlay.hpp"

namespace histfs::gitstore {
namespace {

constexpr const char* kAttributesFile = ".gitattributes";
constexpr const char* kAttributesTemp = ".gitattributes.histfs-new";
constexpr std::size_t kAttributesMaxSize = 4 << 20;  // a larger one is not read as attributes

bool same_file_state(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
         a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// The text of root_fd's .gitattributes ("" when there is none or it is not a regular file).
std::string read_attributes(int root_fd, struct stat& st, bool& exists) {
  exists = false;
  const int fd = openat(root_fd, kAttributesFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return "";
  std::string text;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && std::size_t(st.st_size) <= kAttributesMaxSize) {
    exists = true;
    text.resize(std::size_t(st.st_size));
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = pread(fd, text.data() + done, text.size() - done, off_t(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += std::size_t(n);
    }
    text.resize(done);
  }
  close(fd);
  return text;
}

// Replaces root_fd's .gitattributes with `text` (a rename: readers see the old or the new
// file whole). A new file belongs to the root folder's owner; a replaced one keeps its owner
// and mode.
void write_attributes(int root_fd, const std::string& text, bool existed, const struct stat& old) {
  struct stat owner = old;
  if (!existed && fstat(root_fd, &owner) != 0) throw std::system_error(errno, std::generic_category(), "stat root");
  const mode_t mode = existed ? (old.st_mode & 07777) : 0644;
  unlinkat(root_fd, kAttributesTemp, 0);
  const int fd = openat(root_fd, kAttributesTemp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "write .gitattributes");
  bool ok = true;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += std::size_t(n);
  }
  if (geteuid() == 0 && fchown(fd, owner.st_uid, owner.st_gid) != 0) ok = false;
  if (ok && fchmod(fd, mode) != 0) ok = false;
  const int error = errno;
  close(fd);
  if (!ok || renameat(root_fd, kAttributesTemp, root_fd, kAttributesFile) != 0) {
    const int failure = ok ? errno : error;
    unlinkat(root_fd, kAttributesTemp, 0);
    throw std::system_error(failure, std::generic_category(), "write .gitattributes");
  }
}

bool is_file_mode(git_filemode_t mode) { return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE; }

}  // namespace

std::optional<LfsPointer> read_lfs_pointer(git_odb* odb, const git_oid& oid) {
  std::size_t size = 0;
  git_object_t type;
  if (git_odb_read_header(&size, &type, odb, &oid) != 0 || type != GIT_OBJECT_BLOB || size >= kLfsPointerMaxSize)
    return std::nullopt;
  git_odb_object* raw = nullptr;
  if (git_odb_read(&raw, odb, &oid) != 0) return std::nullopt;
  const std::string_view bytes(static_cast<const char*>(git_odb_object_data(raw)), git_odb_object_size(raw));
  auto pointer = parse_lfs_pointer(bytes);
  git_odb_object_free(raw);
  return pointer;
}

LfsPolicy::LfsPolicy(LfsOptions options, const std::string& git_dir)
    : options_(std::move(options)), store_(LfsStore::of_git_dir(git_dir)) {}

void LfsPolicy::load_attributes(int root_fd) {
  struct stat st {};
  const int fd = openat(root_fd, kAttributesFile, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  const bool present = fd >= 0 && fstat(fd, &st) == 0;
  if (fd >= 0) close(fd);
  if (present == has_file_ && (!present || same_file_state(st, loaded_))) return;
  bool exists = false;
  text_ = read_attributes(root_fd, loaded_, exists);
  has_file_ = exists;
  // The block's anchored lines only record what the size rule chose: they select nothing
  // themselves, so a file that shrinks goes back to git (and its line goes).
  covering_ = LfsAttributes(with_lfs_block(text_, options_.track, {}));
}

bool LfsPolicy::wants(const std::string& path, std::uint64_t size) const {
  if (size == 0) return false;
  if (size > kLfsAlwaysAbove || size >= options_.size_threshold) return true;
  for (const auto& pattern : options_.track)
    if (attribute_pattern_matches(pattern, path)) return true;
  return covering_.is_lfs(path);
}

bool LfsPolicy::update_attributes(int root_fd, TreeOverlay& overlay, git_odb* odb, const std::set<std::string>& stored,
                                  const std::set<std::string>& moved) {
  load_attributes(root_fd);
  // A tree without LFS files gets no block (and no .gitattributes made for it).
  if (stored.empty() && text_.find(kLfsBlockBegin) == std::string::npos) return false;
  auto is_lfs_file = [&](const std::string& path) {
    auto entry = overlay.get(path);
    return entry && is_file_mode(entry->mode) && read_lfs_pointer(odb, entry->oid).has_value();
  };
  std::set<std::string> paths = managed_lfs_paths(text_);
  std::erase_if(paths, [&](const std::string& path) { return covering_.is_lfs(path) || !is_lfs_file(path); });
  std::set<std::string> candidates = stored;
  for (const auto& to : moved)
    overlay.for_each_file(to, [&](const std::string& file, const TreeEntryInfo&) { candidates.insert(file); });
  for (const auto& path : candidates)
    if (!covering_.is_lfs(path) && !exact_path_pattern(path).empty() && is_lfs_file(path)) paths.insert(path);
  const std::string wanted = with_lfs_block(text_, options_.track, paths);
  if (wanted == text_ && has_file_) return false;
  if (wanted.empty() && !has_file_) return false;
  struct stat old = loaded_;
  write_attributes(root_fd, wanted, has_file_, old);
  spdlog::info("lfs: .gitattributes updated ({} tracked patterns, {} files selected by size)", options_.track.size(),
               paths.size());
  load_attributes(root_fd);
  return true;
}

}  // namespace histfs::gitstore
