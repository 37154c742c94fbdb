#include "gitstore/stat_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <vector>

#include <spdlog/spdlog.h>

#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

constexpr char kMagic[8] = {'H', 'F', 'S', 'S', 'T', 'A', 'T', '1'};
constexpr std::int64_t kRacyWindowNs = 2'000'000'000;
// Longer paths (a folder chain deeper than PATH_MAX, up to 16 times over) are not saved,
// only rehashed after a restart: load() reads a longer length as a sign of a damaged file.
constexpr std::uint32_t kMaxSavedPath = 65536;

std::int64_t ns_of(const struct timespec& ts) { return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec; }

std::int64_t now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ns_of(ts);
}

// Reads a file front to back through one buffer (a load takes three small fields a file).
class FileReader {
 public:
  explicit FileReader(UniqueFd fd) : fd_(std::move(fd)) {}

  // Copies the next `size` bytes to `out`; false at the end of the file or on an error.
  bool take(void* out, size_t size) {
    char* to = static_cast<char*>(out);
    while (size > 0) {
      if (begin_ == end_) {
        const ssize_t got = ::read(fd_.get(), buffer_.data(), buffer_.size());
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        begin_ = 0;
        end_ = size_t(got);
      }
      const size_t part = std::min(size, end_ - begin_);
      std::memcpy(to, buffer_.data() + begin_, part);
      begin_ += part;
      to += part;
      size -= part;
    }
    return true;
  }

 private:
  UniqueFd fd_;
  std::vector<char> buffer_ = std::vector<char>(size_t(1) << 20);
  size_t begin_ = 0, end_ = 0;
};

}  // namespace

StatCache::Entry StatCache::entry_of(const struct stat& st, const git_oid& oid) {
  return Entry{std::uint64_t(st.st_ino), std::uint64_t(st.st_size), ns_of(st.st_mtim),
               ns_of(st.st_ctim),        std::uint32_t(st.st_mode), oid};
}

std::optional<git_oid> StatCache::lookup(const std::string& path, const struct stat& st) {
  if (slots_.empty()) return std::nullopt;
  // A walk in the order the files were remembered (every remount, after an import) finds each
  // in the slot after the last: one compare, no hash and no probe through the index.
  std::uint32_t number = 0;
  if (next_ < slots_.size() && slots_[next_].name_offset != kDead && name_of(slots_[next_]) == path) {
    number = std::uint32_t(next_ + 1);
  } else {
    ensure_index();
    number = index_[place_of(path)];
  }
  if (number == 0) return std::nullopt;
  next_ = number;  // the slot after this one (slot `number - 1`)
  const Entry& have = slots_[number - 1].entry;
  const Entry want = entry_of(st, have.oid);
  if (have.ino != want.ino || have.size != want.size || have.mtime_ns != want.mtime_ns ||
      have.ctime_ns != want.ctime_ns || have.mode != want.mode)
    return std::nullopt;
  return have.oid;
}

void StatCache::remember(const std::string& path, const struct stat& st, const git_oid& oid) {
  const std::int64_t now = now_ns();
  if (now - ns_of(st.st_mtim) < kRacyWindowNs || now - ns_of(st.st_ctim) < kRacyWindowNs) {
    forget(path);
    return;
  }
  put(path, entry_of(st, oid));
}

size_t StatCache::place_of(std::string_view path) const {
  const size_t mask = index_.size() - 1;
  for (size_t place = hash_of(path) & mask;; place = (place + 1) & mask) {
    const std::uint32_t number = index_[place];
    if (number == 0 || name_of(slots_[number - 1]) == path) return place;
  }
}

void StatCache::ensure_index() {
  if (!index_.empty() || slots_.empty()) return;
  size_t places = 64;
  while (places * 3 < live_ * 4 + 4) places *= 2;  // at most three quarters full, as put keeps it
  index_.assign(places, 0);
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].name_offset == kDead) continue;
    const size_t place = place_of(name_of(slots_[i]));
    if (index_[place] != 0) {  // the same path saved twice: the later entry wins, as in put
      slots_[index_[place] - 1].name_offset = kDead;
      --live_;
      ++dead_;
      changed_ = true;
    }
    index_[place] = std::uint32_t(i + 1);
  }
}

void StatCache::put(std::string_view path, const Entry& entry) {
  ensure_index();
  // At most three quarters full, so a probe ends soon.
  if ((live_ + 1) * 4 > index_.size() * 3) rebuild(std::max<size_t>(64, index_.size() * 2));
  const size_t place = place_of(path);
  if (index_[place] != 0) {
    Entry& have = slots_[index_[place] - 1].entry;
    if (std::memcmp(&have, &entry, sizeof entry) != 0) changed_ = true;
    have = entry;
    return;
  }
  changed_ = true;
  // Offsets are 32-bit: past 4 GiB of names (forgotten ones included), compact first, and
  // beyond that, remember nothing more (the file is rehashed when read, as if never cached).
  if (names_.size() + path.size() > kDead - 1 || slots_.size() + 1 >= kDead) {
    if (dead_ == 0) return;
    rebuild(index_.size());
    if (names_.size() + path.size() > kDead - 1) return;
    return put(path, entry);
  }
  slots_.push_back(Slot{std::uint32_t(names_.size()), std::uint32_t(path.size()), entry});
  names_.append(path);
  index_[place] = std::uint32_t(slots_.size());
  ++live_;
}

void StatCache::forget(const std::string& path) {
  if (slots_.empty()) return;
  ensure_index();
  const size_t mask = index_.size() - 1;
  size_t hole = place_of(path);
  if (index_[hole] == 0) return;
  Slot& slot = slots_[index_[hole] - 1];
  slot.name_offset = kDead;
  changed_ = true;
  --live_;
  ++dead_;
  // Linear probing without tombstones: a later entry of the same run moves back into the hole
  // unless its home place lies after the hole.
  for (size_t next = (hole + 1) & mask; index_[next] != 0; next = (next + 1) & mask) {
    const size_t home = hash_of(name_of(slots_[index_[next] - 1])) & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      index_[hole] = index_[next];
      hole = next;
    }
  }
  index_[hole] = 0;
  if (dead_ > 1024 && dead_ > live_) rebuild(index_.size());
}

void StatCache::forget_blobs(const std::vector<git_oid>& blobs) {
  if (blobs.empty() || live_ == 0) return;
  auto before = [](const git_oid& a, const git_oid& b) { return git_oid_cmp(&a, &b) < 0; };
  std::vector<git_oid> sorted = blobs;
  std::sort(sorted.begin(), sorted.end(), before);
  std::vector<std::string> paths;  // forgotten after the walk: forget() may compact slots_
  for (const Slot& slot : slots_)
    if (slot.name_offset != kDead && std::binary_search(sorted.begin(), sorted.end(), slot.entry.oid, before))
      paths.emplace_back(name_of(slot));
  for (const auto& path : paths) forget(path);
}

void StatCache::rebuild(size_t places) {
  std::vector<Slot> slots;
  std::string names;
  slots.reserve(live_);
  names.reserve(names_.size());
  for (const Slot& slot : slots_) {
    if (slot.name_offset == kDead) continue;
    slots.push_back(Slot{std::uint32_t(names.size()), slot.name_size, slot.entry});
    names.append(name_of(slot));
  }
  slots_ = std::move(slots);
  names_ = std::move(names);
  dead_ = 0;
  index_.assign(places, 0);
  const size_t mask = places - 1;
  for (size_t i = 0; i < slots_.size(); ++i) {
    size_t place = hash_of(name_of(slots_[i])) & mask;
    while (index_[place] != 0) place = (place + 1) & mask;
    index_[place] = std::uint32_t(i + 1);
  }
}

void StatCache::clear() {
  changed_ = true;  // unlike the file, if there is one
  std::vector<Slot>().swap(slots_);
  std::string().swap(names_);
  std::vector<std::uint32_t>().swap(index_);
  live_ = dead_ = next_ = 0;
}

void StatCache::load(const std::string& file) {
  clear();
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return;
  struct stat st;
  const bool sized = fstat(fd.get(), &st) == 0;
  FileReader in(std::move(fd));
  char magic[sizeof kMagic];
  std::uint64_t count = 0;
  if (!sized || !in.take(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0 ||
      !in.take(&count, sizeof count)) {
    spdlog::warn("stat cache {} is unreadable; files will be rehashed once", file);
    return;
  }
  // Sized for the count the file claims, but no more than its bytes can hold (a damaged count
  // must not reserve gigabytes): each entry takes at least its length and its Entry.
  const std::uint64_t bytes = std::uint64_t(st.st_size);
  const size_t expected = size_t(std::min<std::uint64_t>(count, bytes / (sizeof(std::uint32_t) + sizeof(Entry))));
  slots_.reserve(expected);
  // The names take what the entries' lengths and stats leave of the file: one allocation
  // instead of a doubling after another.
  const std::uint64_t fixed = sizeof kMagic + sizeof count + expected * (sizeof(std::uint32_t) + sizeof(Entry));
  if (bytes > fixed) names_.reserve(size_t(bytes - fixed));
  // Slots in the saved order, which is the order a remount's walk asks for them; the index is
  // built when something else is asked first (ensure_index).
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t length = 0;
    Entry entry;
    if (!in.take(&length, sizeof length) || length > kMaxSavedPath || names_.size() + length > kDead - 1) break;
    const size_t offset = names_.size();
    names_.resize(offset + length);
    if (!in.take(names_.data() + offset, length) || !in.take(&entry, sizeof entry)) break;
    slots_.push_back(Slot{std::uint32_t(offset), length, entry});
  }
  live_ = slots_.size();
  changed_ = false;  // as on disk
  if (live_ != count) {
    spdlog::warn("stat cache {} is truncated; files will be rehashed once", file);
    clear();
  }
}

void StatCache::save_if_changed(const std::string& file) {
  if (changed_ || !std::filesystem::exists(file)) save(file);
}

void StatCache::save(const std::string& file) {
  const std::string temp = file + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    auto saved = [](const Slot& slot) { return slot.name_offset != kDead && slot.name_size <= kMaxSavedPath; };
    std::uint64_t count = 0;
    for (const Slot& slot : slots_) count += saved(slot);
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(&count), sizeof count);
    for (const Slot& slot : slots_) {
      if (!saved(slot)) continue;
      const std::uint32_t length = slot.name_size;
      out.write(reinterpret_cast<const char*>(&length), sizeof length);
      out.write(names_.data() + slot.name_offset, length);
      out.write(reinterpret_cast<const char*>(&slot.entry), sizeof slot.entry);
    }
    if (!out) {
      spdlog::warn("cannot write stat cache {}", temp);
      std::remove(temp.c_str());
      return;
    }
  }
  // Losing the cache costs only a rehash, so no fsync here.
  if (std::rename(temp.c_str(), file.c_str()) != 0) {
    spdlog::warn("cannot replace stat cache {}", file);
    return;
  }
  changed_ = false;
}

}  // namespace histfs::gitstore
