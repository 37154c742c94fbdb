#include "gitstore/private_dir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace histfs::gitstore {
namespace {

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", unsigned(mode & 07777));
  return text;
}

void check_owned_and_closed(const std::string& path, const struct stat& st, uid_t owner, const char* what,
                            bool sticky_ok) {
  if (st.st_uid != owner && st.st_uid != 0)
    throw UnsafeDirError(std::string(what) + " " + path + " belongs to uid " + std::to_string(st.st_uid) +
                         ", not to the mount's owner (uid " + std::to_string(owner) + "); refusing to use it");
  const bool sticky = sticky_ok && (st.st_mode & S_ISVTX);
  if ((st.st_mode & 0022) && !sticky)
    throw UnsafeDirError(std::string(what) + " " + path + " can be written by other users (mode " + octal(st.st_mode) +
                         "): they could redirect backups or read every past version. Check it, then run `chmod -R "
                         "go-rwx " +
                         path + "`");
}

}  // namespace

bool create_private_dir(const std::string& dir) {
  const auto path = std::filesystem::path(dir);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  if (mkdir(dir.c_str(), 0700) == 0) return true;
  if (errno == EEXIST) return false;
  throw UnsafeDirError("cannot create " + dir + ": " + strerror(errno));
}

void check_parents_of(const std::string& path, uid_t owner) {
  auto dir = std::filesystem::absolute(path).lexically_normal();
  while (dir.has_parent_path() && dir != dir.root_path() && !std::filesystem::exists(dir)) dir = dir.parent_path();
  dir = std::filesystem::canonical(dir);
  for (;; dir = dir.parent_path()) {
    struct stat st;
    if (lstat(dir.c_str(), &st) != 0) throw UnsafeDirError("cannot inspect " + dir.string());
    check_owned_and_closed(dir.string(), st, owner, "folder", true);
    if (dir == dir.root_path()) break;
  }
}

void ensure_private_git_dir(const std::string& git_dir, uid_t owner) {
  std::error_code error;
  const auto real = std::filesystem::canonical(git_dir, error);
  if (error) throw UnsafeDirError("cannot resolve the git dir " + git_dir + ": " + error.message());
  struct stat st;
  if (lstat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw UnsafeDirError("git dir " + git_dir + " is not a folder");
  check_owned_and_closed(real.string(), st, owner, "git dir", false);
  check_parents_of(real.parent_path().string(), owner);
  const auto config = real / "config";
  struct stat config_st;
  if (lstat(config.c_str(), &config_st) == 0) {
    if (!S_ISREG(config_st.st_mode)) throw UnsafeDirError("git config " + config.string() + " is not a regular file");
    check_owned_and_closed(config.string(), config_st, owner, "git config", false);
  }
  if (st.st_mode & 0077) {
    // Readable by others: every past version of every file. We own it, so close it.
    if (chmod(real.c_str(), st.st_mode & 07700) != 0)
      throw UnsafeDirError("cannot make the git dir " + git_dir + " private: " + strerror(errno));
    spdlog::info("made the git dir {} private (mode {} -> {})", git_dir, octal(st.st_mode), octal(st.st_mode & 07700));
  }
}

}  // namespace histfs::gitstore
