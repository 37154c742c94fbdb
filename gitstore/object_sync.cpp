#include "gitstore/object_sync.hpp"

#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

#include "gitstore/errno_error.hpp"
#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {
namespace {

constexpr size_t kSyncfsThreshold = 2000;
// Below this many new objects a commit writes loose objects only, so that everyday commits do
// not pile up small packs; an import or a large restore writes the rest into one pack.
std::atomic<size_t> pack_threshold{1000};
// Larger objects stay loose (libgit2 streams them): the pack deflates each in one call.
constexpr size_t kPackObjectLimit = 64 << 20;

int open_for_sync(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) throw_errno("open " + path);
  return fd;  // ENOENT: the object was already packed or existed before; nothing of ours to flush
}

thread_local ObjectSync* recorder = nullptr;

// An object database backend that writes like the loose one it wraps and tells the thread's
// ObjectSync. libgit2 calls a backend's write (and a stream's finalize) only for objects no
// backend holds yet, so what it reports is exactly what the attempt created.
struct RecordingBackend {
  git_odb_backend parent;
  git_odb_backend* loose;
};

struct RecordingStream {
  git_odb_stream parent;
  git_odb_stream* inner;
};

// libgit2 wants errors as its own codes, with a message; no exception may cross into it.
int report(const std::exception& error) {
  git_error_set_str(GIT_ERROR_ODB, error.what());
  return GIT_ERROR;
}

int recording_write(git_odb_backend* backend, const git_oid* oid, const void* data, size_t length, git_object_t type) {
  auto* self = reinterpret_cast<RecordingBackend*>(backend);
  try {
    if (recorder && recorder->write_to_pack(backend->odb, *oid, data, length, type)) return 0;
  } catch (const std::exception& error) {
    return report(error);
  }
  int error = self->loose->write(self->loose, oid, data, length, type);
  if (error == 0 && recorder) recorder->created_object(*oid);
  return error;
}

// Reads of objects in a pack this thread is still writing (its attempt's, or an outer one's);
// anything else is the other backends' (GIT_ENOTFOUND passes it on).
PackWriter* pending(const git_oid& oid) {
  for (const ObjectSync* sync = recorder; sync; sync = sync->outer())
    if (PackWriter* pack = sync->pending_pack(oid)) return pack;
  return nullptr;
}

int pending_exists(git_odb_backend*, const git_oid* oid) { return pending(*oid) ? 1 : 0; }

int pending_read_header(size_t* length, git_object_t* type, git_odb_backend*, const git_oid* oid) {
  PackWriter* pack = pending(*oid);
  if (!pack) return GIT_ENOTFOUND;
  try {
    auto header = pack->header(*oid);
    if (!header) return GIT_ENOTFOUND;
    *type = header->first;
    *length = static_cast<size_t>(header->second);
    return 0;
  } catch (const std::exception& error) {
    return report(error);
  }
}

int pending_read(void** data, size_t* length, git_object_t* type, git_odb_backend* backend, const git_oid* oid) {
  PackWriter* pack = pending(*oid);
  if (!pack) return GIT_ENOTFOUND;
  try {
    std::string content;
    if (!pack->read(*oid, content, *type)) return GIT_ENOTFOUND;
    void* out = git_odb_backend_data_alloc(backend, content.size() + 1);
    if (!out) return GIT_ERROR;
    std::memcpy(out, content.data(), content.size());
    static_cast<char*>(out)[content.size()] = '\0';
    *data = out;
    *length = content.size();
    return 0;
  } catch (const std::exception& error) {
    return report(error);
  }
}

int stream_write(git_odb_stream* stream, const char* buffer, size_t length) {
  auto* self = reinterpret_cast<RecordingStream*>(stream);
  return self->inner->write(self->inner, buffer, length);
}

int stream_finalize(git_odb_stream* stream, const git_oid* oid) {
  auto* self = reinterpret_cast<RecordingStream*>(stream);
  int error = self->inner->finalize_write(self->inner, oid);
  if (error == 0 && recorder) recorder->created_object(*oid);
  return error;
}

void stream_free(git_odb_stream* stream) {
  auto* self = reinterpret_cast<RecordingStream*>(stream);
  self->inner->free(self->inner);
  delete self;
}

int recording_writestream(git_odb_stream** out, git_odb_backend* backend, git_object_size_t size, git_object_t type) {
  auto* self = reinterpret_cast<RecordingBackend*>(backend);
  git_odb_stream* inner = nullptr;
  if (int error = self->loose->writestream(&inner, self->loose, size, type)) return error;
  auto* stream = new RecordingStream{};
  stream->parent.backend = backend;
  stream->parent.mode = inner->mode;
  stream->parent.write = stream_write;
  stream->parent.finalize_write = stream_finalize;
  stream->parent.free = stream_free;
  stream->inner = inner;
  *out = &stream->parent;
  return 0;
}

void recording_free(git_odb_backend* backend) {
  auto* self = reinterpret_cast<RecordingBackend*>(backend);
  self->loose->free(self->loose);
  delete self;
}

}  // namespace

ObjectSync::ObjectSync(std::string git_dir) : git_dir_(std::move(git_dir)), outer_(recorder) { recorder = this; }

ObjectSync::~ObjectSync() { recorder = outer_; }

ObjectSync* ObjectSync::current() { return recorder; }

void ObjectSync::watch(git_odb* odb, const std::string& objects_dir) {
  if (const std::size_t removed = remove_unfinished_packs(objects_dir + "/pack"))
    spdlog::info("removed {} temporary pack file(s) an interrupted commit left", removed);
  git_odb_backend* loose = nullptr;
  // Level 1 (Z_BEST_SPEED), git's own default for loose objects (core.looseCompression): a
  // commit rewrites its root tree, 400 KiB with 10,000 folders at the top, and zlib's default
  // level took most of a one-file commit there. Housekeeping packs them later anyway.
  check(git_odb_backend_loose(&loose, objects_dir.c_str(), 1, 0, 0, 0), "open loose object writer");
  loose->odb = odb;
  auto* self = new RecordingBackend{};
  self->parent.version = GIT_ODB_BACKEND_VERSION;
  self->parent.write = recording_write;
  self->parent.writestream = recording_writestream;
  self->parent.exists = pending_exists;
  self->parent.read_header = pending_read_header;
  self->parent.read = pending_read;
  self->parent.free = recording_free;
  self->loose = loose;
  // Above the default loose (1) and pack (2) backends, so writes come here first; reads and
  // existence checks come here first too, and find only a pack still being written.
  if (int error = git_odb_add_backend(odb, &self->parent, 3)) {
    recording_free(&self->parent);
    check(error, "watch object writes");
  }
}

std::size_t ObjectSync::pack_after() { return pack_threshold.load(); }

void ObjectSync::set_pack_after(std::size_t objects) { pack_threshold.store(objects); }

PackWriter* ObjectSync::pack_for_next(git_odb* odb, git_object_t type) {
  std::unique_ptr<PackWriter>& pack = type == GIT_OBJECT_BLOB ? blob_pack_ : tree_pack_;
  if (!pack && created_.size() + pending_objects() >= pack_threshold.load()) {
    pack = std::make_unique<PackWriter>(git_dir_ + "/objects/pack");
    pack_odb_ = odb;
  }
  return pack.get();
}

PackWriter* ObjectSync::pending_pack(const git_oid& oid) const {
  for (PackWriter* pack : {blob_pack_.get(), tree_pack_.get()})
    if (pack && pack->contains(oid)) return pack;
  return nullptr;
}

std::size_t ObjectSync::pending_objects() const {
  return (blob_pack_ ? blob_pack_->count() : 0) + (tree_pack_ ? tree_pack_->count() : 0);
}

bool ObjectSync::write_to_pack(git_odb* odb, const git_oid& oid, const void* data, std::size_t length,
                               git_object_t type) {
  PackWriter* pack = length <= kPackObjectLimit ? pack_for_next(odb, type) : nullptr;
  if (!pack) return false;
  pack->add(oid, data, length, type);
  return true;
}

std::vector<git_oid> ObjectSync::created() const {
  std::vector<git_oid> all = created_;
  for (const PackWriter* pack : {blob_pack_.get(), tree_pack_.get()})
    if (pack) pack->append_ids(all);
  return all;
}

void ObjectSync::discard() {
  // An unfinished pack goes with it. A finished one stays, named by nothing, for a later gc:
  // libgit2 may hold it open, and would then go on answering for objects no longer on disk.
  blob_pack_.reset();
  tree_pack_.reset();
  for (const auto& oid : created_) {
    const std::string path = object_path(oid);
    if (unlink(path.c_str()) == 0) rmdir(path.substr(0, path.rfind('/')).c_str());  // the fan-out dir, if now empty
  }
  created_.clear();
  written_.clear();
}

std::string ObjectSync::object_path(const git_oid& oid) const {
  const std::string hex = oid_hex(oid);
  return git_dir_ + "/objects/" + hex.substr(0, 2) + "/" + hex.substr(2);
}

void ObjectSync::sync() { flush(true); }

void ObjectSync::write_out() { flush(false); }

void ObjectSync::flush(bool durable) {
  if (blob_pack_ || tree_pack_) {
    for (auto* pack : {&blob_pack_, &tree_pack_})
      if (*pack) {
        (*pack)->finish(durable);
        pack->reset();
      }
    // libgit2 would find the new packs at its first miss anyway; from now on every read of
    // their objects is such a miss, so it is told at once.
    if (pack_odb_) check(git_odb_refresh(pack_odb_), "read the new packs");
  }
  if (written_.empty()) return;
  if (written_.size() >= kSyncfsThreshold) {
    int fd = open_for_sync(git_dir_, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      int result = syncfs(fd);
      close(fd);
      if (result != 0) throw_errno("syncfs " + git_dir_);
    }
    written_.clear();
    return;
  }
  // Start writing everything out, wait for it, then one fsync commits the journal
  // (the new files and directory entries) and flushes the disk's cache.
  for (const auto& oid : written_) {
    int fd = open_for_sync(object_path(oid), O_RDONLY);
    if (fd < 0) continue;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    close(fd);
  }
  for (const auto& oid : written_) {
    int fd = open_for_sync(object_path(oid), O_RDONLY);
    if (fd < 0) continue;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    close(fd);
  }
  if (durable) commit_file(object_path(written_.back()));
  written_.clear();
}

void ObjectSync::write_out_file(const std::string& path) {
  int fd = open_for_sync(path, O_RDONLY);
  if (fd < 0) return;
  const int result =
      sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  close(fd);
  if (result != 0) throw_errno("write out " + path);
}

void ObjectSync::commit_file(const std::string& path) {
  int fd = open_for_sync(path, O_RDONLY);
  if (fd < 0) return;
  const int result = fsync(fd);
  close(fd);
  if (result != 0) throw_errno("fsync " + path);
}

void ObjectSync::sync_file(const std::string& path) {
  commit_file(path);
  commit_file(path.substr(0, path.rfind('/')));
}

}  // namespace histfs::gitstore
