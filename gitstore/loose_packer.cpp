#include "gitstore/loose_packer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <system_error>
#include <vector>

#include <git2.h>
#include <spdlog/spdlog.h>

#include "gitstore/git_handle.hpp"
#include "gitstore/pack_adoption.hpp"

namespace histfs::gitstore {
namespace {

using PackbuilderPtr = GitPtr<git_packbuilder, git_packbuilder_free>;

struct LooseObject {
  git_oid oid;
  std::string path;
  std::uint64_t bytes;
};

bool is_hex(const char* text, std::size_t length) {
  for (std::size_t i = 0; i < length; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(text[i])) || std::isupper(static_cast<unsigned char>(text[i])))
      return false;
  return text[length] == '\0';
}

// The loose objects of one fan-out directory ("objects/3f"), appended to `out`.
void list_fanout(const std::string& dir, const char* prefix, std::vector<LooseObject>* out, std::size_t* count) {
  DIR* stream = opendir(dir.c_str());
  if (!stream) return;  // no object with this prefix
  while (const dirent* entry = readdir(stream)) {
    if (!is_hex(entry->d_name, GIT_OID_HEXSZ - 2)) continue;  // temp files, "." and ".."
    ++*count;
    if (!out) continue;
    LooseObject object{};
    const std::string hex = std::string(prefix) + entry->d_name;
    if (git_oid_fromstr(&object.oid, hex.c_str()) != 0) continue;
    object.path = dir + "/" + entry->d_name;
    struct stat st {};
    if (stat(object.path.c_str(), &st) != 0) {
      --*count;  // gone already
      continue;
    }
    object.bytes = static_cast<std::uint64_t>(st.st_size);
    out->push_back(std::move(object));
  }
  closedir(stream);
}

std::vector<LooseObject> list_loose(const std::string& git_dir) {
  std::vector<LooseObject> objects;
  std::size_t count = 0;
  char prefix[3];
  for (int i = 0; i < 256; ++i) {
    std::snprintf(prefix, sizeof prefix, "%02x", i);
    list_fanout(git_dir + "/objects/" + prefix, prefix, &objects, &count);
  }
  return objects;
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

struct WriteWatch {
  ProgressTask* task;
  const std::function<bool()>& stop_requested;
  bool stopped() const { return stop_requested && stop_requested(); }
};

// Non-zero makes libgit2 give the pack up (GIT_EUSER).
int count_progress(const git_indexer_progress* stats, void* payload) {
  auto* watch = static_cast<WriteWatch*>(payload);
  if (watch->task) watch->task->set_done(stats->indexed_objects, stats->received_bytes);
  return watch->stopped() ? -1 : 0;
}

int build_progress(int /*stage*/, std::uint32_t /*current*/, std::uint32_t /*total*/, void* payload) {
  return static_cast<WriteWatch*>(payload)->stopped() ? -1 : 0;
}

}  // namespace

LooseCount count_loose_objects(const std::string& git_dir) {
  LooseCount count;
  for (const auto& object : list_loose(git_dir)) {
    ++count.objects;
    count.bytes += object.bytes;
  }
  return count;
}

std::size_t estimate_loose_objects(const std::string& git_dir) {
  std::size_t count = 0;
  list_fanout(git_dir + "/objects/17", "17", nullptr, &count);
  return count * 256;
}

PackResult pack_loose_objects(const std::string& git_dir, ProgressTask* progress,
                              const std::function<bool()>& stop_requested) {
  const auto started = std::chrono::steady_clock::now();
  PackResult result;
  std::vector<LooseObject> loose = list_loose(git_dir);
  if (loose.empty()) return result;

  const RepositoryPtr repo = open_bare_repository(git_dir, "open the git dir to pack it");
  git_packbuilder* raw_builder = nullptr;
  check(git_packbuilder_new(&raw_builder, repo.get()), "start a pack");
  PackbuilderPtr builder(raw_builder);
  git_packbuilder_set_threads(builder.get(), 1);  // the other core stays with the mount
  WriteWatch watch{progress, stop_requested};
  check(git_packbuilder_set_callbacks(builder.get(), build_progress, &watch), "watch the pack");
  if (progress) {
    progress->set_state("packing");
    progress->set_total(loose.size());
  }
  // Written in the order inserted (no tagged tips): commits, then trees, then blobs, as git
  // orders a pack, so that reading every tree (a remount, a snapshot's listing) touches one
  // stretch of the pack, not pages all over it (they stay in the daemon's RSS, mapped).
  std::vector<std::pair<int, std::size_t>> order;  // (rank of the type, index in `loose`)
  order.reserve(loose.size());
  git_odb* repo_odb = nullptr;
  check(git_repository_odb(&repo_odb, repo.get()), "open the object database to pack it");
  const OdbPtr repo_odb_owner(repo_odb);
  for (std::size_t i = 0; i < loose.size(); ++i) {
    if (watch.stopped()) throw PackStopped();
    std::size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    // One that vanished since the listing (a failed commit took it back) is left out.
    if (git_odb_read_header(&size, &type, repo_odb, &loose[i].oid) != 0) continue;
    const int rank = type == GIT_OBJECT_COMMIT || type == GIT_OBJECT_TAG ? 0 : type == GIT_OBJECT_TREE ? 1 : 2;
    order.emplace_back(rank, i);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LooseObject> inserted;
  inserted.reserve(order.size());
  for (const auto& [rank, i] : order) {
    if (watch.stopped()) throw PackStopped();
    if (git_packbuilder_insert(builder.get(), &loose[i].oid, nullptr) != 0) continue;
    inserted.push_back(std::move(loose[i]));
  }
  const std::string pack_dir = git_dir + "/objects/pack";
  if (progress) progress->set_state("writing the pack");
  const int written = git_packbuilder_write(builder.get(), pack_dir.c_str(), 0, count_progress, &watch);
  if (written != 0 && watch.stopped()) throw PackStopped();
  check(written, "write the pack");
  result.pack = std::string("pack-") + git_packbuilder_name(builder.get());
  const std::string base = pack_dir + "/" + result.pack;
  // Nothing loose goes before the pack and its index are on the disk.
  fsync_pack(base, pack_dir);
  result.pack_bytes = file_size(base + ".pack") + file_size(base + ".idx");

  // Every object is looked up in the new pack alone before its loose file goes.
  const PackContents packed(base + ".idx");
  if (progress) progress->set_state("removing packed loose objects");
  for (const auto& object : inserted) {
    if (!packed.contains(object.oid)) {
      spdlog::warn("housekeeping: {} is missing from {}; its loose copy stays", oid_hex(object.oid), result.pack);
      continue;
    }
    ++result.packed;
    if (unlink(object.path.c_str()) == 0) {
      ++result.removed;
      result.loose_bytes += object.bytes;
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace histfs::gitstore
