#include "gitstore/pack_adoption.hpp"

#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "gitstore/errno_error.hpp"
#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

using IndexerPtr = GitPtr<git_indexer, git_indexer_free>;

void fsync_path(const std::string& path, int flags) {
  const UniqueFd fd(open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("open " + path);
  if (fsync(fd.get()) != 0) throw_errno("fsync " + path);
}

using Progress = std::function<void(std::size_t, std::size_t)>;

int report_progress(const git_indexer_progress* stats, void* payload) {
  const auto& progress = *static_cast<const Progress*>(payload);
  if (progress) progress(stats->indexed_objects, stats->received_bytes);
  return 0;
}

}  // namespace

void fsync_pack(const std::string& base, const std::string& pack_dir) {
  fsync_path(base + ".pack", O_RDONLY);
  fsync_path(base + ".idx", O_RDONLY);
  fsync_path(pack_dir, O_RDONLY | O_DIRECTORY);
}

PackContents::PackContents(const std::string& idx_path) {
  git_odb* raw = nullptr;
  check(git_odb_new(&raw), "open a pack");
  odb_.reset(raw);
  git_odb_backend* backend = nullptr;
  check(git_odb_backend_one_pack(&backend, idx_path.c_str()), "open a pack's index");
  if (const int error = git_odb_add_backend(odb_.get(), backend, 1)) {
    backend->free(backend);
    check(error, "open a pack's index");
  }
  check(git_odb_foreach(
            odb_.get(),
            [](const git_oid*, void* payload) {
              ++*static_cast<std::size_t*>(payload);
              return 0;
            },
            &count_),
        "read a pack's index");
}

bool PackContents::contains(const git_oid& id) const { return git_odb_exists(odb_.get(), &id) != 0; }

std::vector<std::string> pack_indexes(const std::string& pack_dir) {
  std::vector<std::string> out;
  std::error_code error;
  for (std::filesystem::directory_iterator it(pack_dir, error), end; !error && it != end; it.increment(error)) {
    const std::filesystem::path& path = it->path();
    if (path.extension() != ".idx" || !it->is_regular_file(error)) continue;
    if (std::filesystem::is_regular_file(std::filesystem::path(path).replace_extension(".pack"), error))
      out.push_back(path.string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string adopt_pack(const std::string& pack_path, const std::string& pack_dir, const Progress& progress) {
  const UniqueFd in(open(pack_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) throw_errno("open " + pack_path);
  git_indexer_options options = GIT_INDEXER_OPTIONS_INIT;
  options.progress_cb = report_progress;
  options.progress_cb_payload = const_cast<Progress*>(&progress);
  git_indexer* raw = nullptr;
  // No object database: a thin pack (deltas on objects outside it) is refused.
  check(git_indexer_new(&raw, pack_dir.c_str(), 0, nullptr, &options), "index a pack");
  const IndexerPtr indexer(raw);  // freed unfinished, it removes its temporary file
  git_indexer_progress stats{};
  std::vector<char> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t got = read(in.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno("read " + pack_path);
    if (got == 0) break;
    check(git_indexer_append(indexer.get(), buffer.data(), static_cast<std::size_t>(got), &stats), "index a pack");
  }
  check(git_indexer_commit(indexer.get(), &stats), "index a pack");
  const std::string base = pack_dir + "/pack-" + git_indexer_name(indexer.get());
  try {
    fsync_pack(base, pack_dir);
  } catch (...) {
    unlink((base + ".idx").c_str());
    unlink((base + ".pack").c_str());
    throw;
  }
  return base + ".idx";
}

}  // namespace histfs::gitstore
