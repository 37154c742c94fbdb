#include "gitstore/pack_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "gitstore/digest.hpp"
#include "gitstore/errno_error.hpp"

namespace histfs::gitstore {
namespace {

constexpr std::size_t kBufferBytes = 1 << 20;

void put32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

void put64(std::string& out, std::uint64_t value) {
  put32(out, static_cast<std::uint32_t>(value >> 32));
  put32(out, static_cast<std::uint32_t>(value));
}

void write_all_at(int fd, const char* data, std::size_t length, std::uint64_t offset, const std::string& what) {
  while (length > 0) {
    const ssize_t n = pwrite(fd, data, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + what);
    data += n;
    length -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

// Reads up to `length` bytes (fewer only at the end of the file).
std::size_t read_at(int fd, char* data, std::size_t length, std::uint64_t offset, const std::string& what) {
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = pread(fd, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read " + what);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

int make_temporary(const std::string& dir, const char* prefix, std::string& path) {
  path = dir + "/" + prefix + "XXXXXX";
  const int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) throw_errno("create a temporary file in " + dir);
  return fd;
}

// The pack index, written through a buffer that hashes everything it writes.
class IndexOut {
 public:
  IndexOut(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  std::string& buffer() { return buffer_; }
  void spill(bool all = false) {
    if (!all && buffer_.size() < kBufferBytes) return;
    sha_.update(buffer_.data(), buffer_.size());
    write_all_at(fd_, buffer_.data(), buffer_.size(), offset_, what_);
    offset_ += buffer_.size();
    buffer_.clear();
  }
  void finish() {
    spill(true);
    const std::string digest = sha_.bytes();
    write_all_at(fd_, digest.data(), digest.size(), offset_, what_);
  }

 private:
  int fd_;
  std::string what_;
  std::string buffer_;
  std::uint64_t offset_ = 0;
  Digest sha_{Digest::Algorithm::Sha1};
};

void write_out(int fd, bool durable, const std::string& what) {
  const int result =
      durable
          ? fsync(fd)
          : sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  if (result != 0) throw_errno((durable ? "fsync " : "write out ") + what);
}

z_stream& stream_of(void* zstream) { return *static_cast<z_stream*>(zstream); }

}  // namespace

std::size_t remove_unfinished_packs(const std::string& pack_dir) {
  std::size_t removed = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(pack_dir, error)) {
    const std::string name = entry.path().filename().string();
    if ((name.starts_with("tmp_histfs_pack_") || name.starts_with("tmp_histfs_idx_")) &&
        std::filesystem::remove(entry.path(), error))
      ++removed;
  }
  return removed;
}

PackWriter::PackWriter(std::string pack_dir) : pack_dir_(std::move(pack_dir)) {
  if (mkdir(pack_dir_.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("create " + pack_dir_);
  fd_ = UniqueFd(make_temporary(pack_dir_, "tmp_histfs_pack_", temp_path_));
  buffer_.assign(12, '\0');  // the header, written by finish() once the count is known
  auto* stream = new z_stream{};
  if (deflateInit(stream, Z_BEST_SPEED) != Z_OK) {
    delete stream;
    remove_temporary();
    throw std::runtime_error("zlib: deflateInit failed");
  }
  zstream_ = stream;
}

PackWriter::~PackWriter() {
  if (zstream_) {
    deflateEnd(&stream_of(zstream_));
    delete &stream_of(zstream_);
  }
  if (!finished_) remove_temporary();
}

void PackWriter::remove_temporary() {
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
  temp_path_.clear();
}

std::uint32_t PackWriter::find(const git_oid& oid) const {
  if (index_.empty()) return kNone;
  std::uint64_t key;
  std::memcpy(&key, oid.id, sizeof key);
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = key & mask;; slot = (slot + 1) & mask) {
    const std::uint32_t entry = index_[slot];
    if (entry == kNone || git_oid_equal(&entries_[entry].oid, &oid)) return entry;
  }
}

void PackWriter::index_insert(std::uint32_t entry) {
  if ((entries_.size() + 1) * 2 > index_.size()) {
    index_.assign(std::max<std::size_t>(1024, index_.size() * 2), kNone);
    for (std::uint32_t e = 0; e < entry; ++e) index_insert(e);
  }
  std::uint64_t key;
  std::memcpy(&key, entries_[entry].oid.id, sizeof key);
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = key & mask;
  while (index_[slot] != kNone) slot = (slot + 1) & mask;
  index_[slot] = entry;
}

void PackWriter::add(const git_oid& oid, const void* data, std::size_t length, git_object_t type) {
  if (finished_) throw std::logic_error("object added to a finished pack");
  if (contains(oid)) return;
  if (entries_.size() >= kNone - 1) throw std::length_error("too many objects for one pack");
  // The object header: type and size, seven bits a byte after the first four, low bits first.
  unsigned char head[16];
  std::size_t head_length = 0;
  std::uint64_t size = length;
  unsigned char byte = static_cast<unsigned char>((static_cast<unsigned>(type) << 4) | (size & 0x0f));
  size >>= 4;
  while (size) {
    head[head_length++] = byte | 0x80;
    byte = size & 0x7f;
    size >>= 7;
  }
  head[head_length++] = byte;

  z_stream& z = stream_of(zstream_);
  if (deflateReset(&z) != Z_OK) throw std::runtime_error("zlib: deflateReset failed");
  // Trees are stored (zlib level 0), as large loose trees are (stored_object.hpp): their object
  // ids do not compress, and every remount reads a tree for each folder, where inflating them
  // was a fifth of a 100k remount's instructions. Blobs and commits take level 1.
  const int level = type == GIT_OBJECT_TREE ? Z_NO_COMPRESSION : Z_BEST_SPEED;
  if (level != level_ && deflateParams(&z, level, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateParams failed");
  level_ = level;
  deflated_.resize(deflateBound(&z, static_cast<uLong>(length)) + 64);
  z.next_in = static_cast<Bytef*>(const_cast<void*>(data));
  z.avail_in = static_cast<uInt>(length);
  z.next_out = deflated_.data();
  z.avail_out = static_cast<uInt>(deflated_.size());
  if (length != z.avail_in || deflate(&z, Z_FINISH) != Z_STREAM_END)
    throw std::runtime_error("zlib: could not deflate an object of " + std::to_string(length) + " bytes");
  const std::size_t deflated_length = deflated_.size() - z.avail_out;

  std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, head, static_cast<uInt>(head_length)));
  crc = static_cast<std::uint32_t>(crc32(crc, deflated_.data(), static_cast<uInt>(deflated_length)));
  entries_.push_back({oid, crc, end_});
  write_buffered(head, head_length);
  write_buffered(deflated_.data(), deflated_length);
  index_insert(static_cast<std::uint32_t>(entries_.size() - 1));
}

void PackWriter::write_buffered(const void* data, std::size_t length) {
  buffer_.append(static_cast<const char*>(data), length);
  end_ += length;
  if (buffer_.size() >= kBufferBytes) flush_buffer();
}

void PackWriter::flush_buffer() {
  if (buffer_.empty()) return;
  write_all_at(fd_.get(), buffer_.data(), buffer_.size(), end_ - buffer_.size(), temp_path_);
  buffer_.clear();
}

void PackWriter::read_header_at(std::uint64_t offset, git_object_t& type, std::uint64_t& size,
                                std::uint64_t& data_offset) {
  flush_buffer();
  unsigned char head[16];
  const std::size_t got = read_at(fd_.get(), reinterpret_cast<char*>(head), sizeof head, offset, temp_path_);
  std::size_t at = 0;
  if (got == 0) throw std::runtime_error("pack being written is shorter than its objects: " + temp_path_);
  unsigned char byte = head[at++];
  type = static_cast<git_object_t>((byte >> 4) & 7);
  size = byte & 0x0f;
  for (int shift = 4; byte & 0x80; shift += 7) {
    if (at >= got) throw std::runtime_error("damaged object header in the pack being written: " + temp_path_);
    byte = head[at++];
    size |= std::uint64_t(byte & 0x7f) << shift;
  }
  data_offset = offset + at;
}

std::optional<std::pair<git_object_t, std::uint64_t>> PackWriter::header(const git_oid& oid) {
  const std::uint32_t entry = find(oid);
  if (entry == kNone) return std::nullopt;
  git_object_t type;
  std::uint64_t size, data_offset;
  read_header_at(entries_[entry].offset, type, size, data_offset);
  return std::make_pair(type, size);
}

bool PackWriter::read(const git_oid& oid, std::string& content, git_object_t& type) {
  const std::uint32_t entry = find(oid);
  if (entry == kNone) return false;
  std::uint64_t size, offset;
  read_header_at(entries_[entry].offset, type, size, offset);
  content.resize(size + 1);  // a spare byte, so that inflate can always reach the stream's end
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw std::runtime_error("zlib: inflateInit failed");
  std::vector<char> chunk(64 << 10);
  z.next_out = reinterpret_cast<Bytef*>(content.data());
  z.avail_out = static_cast<uInt>(size + 1);
  int status = Z_OK;
  while (status == Z_OK) {
    const std::size_t got = read_at(fd_.get(), chunk.data(), chunk.size(), offset, temp_path_);
    if (got == 0) break;
    offset += got;
    z.next_in = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_in = static_cast<uInt>(got);
    status = inflate(&z, Z_NO_FLUSH);
  }
  const bool whole = status == Z_STREAM_END && z.total_out == size;
  inflateEnd(&z);
  content.resize(size);
  if (!whole) throw std::runtime_error("damaged object in the pack being written: " + temp_path_);
  return true;
}

std::string PackWriter::finish(bool durable) {
  if (finished_) throw std::logic_error("pack finished twice");
  if (entries_.empty()) {
    remove_temporary();
    finished_ = true;
    return "";
  }
  flush_buffer();
  std::string head = "PACK";
  put32(head, 2);
  put32(head, static_cast<std::uint32_t>(entries_.size()));
  write_all_at(fd_.get(), head.data(), head.size(), 0, temp_path_);

  // The checksum covers the whole file, header included: read back, as fast-import does.
  Digest sha(Digest::Algorithm::Sha1);
  std::vector<char> chunk(kBufferBytes);
  for (std::uint64_t at = 0; at < end_;) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), end_ - at));
    const std::size_t got = read_at(fd_.get(), chunk.data(), want, at, temp_path_);
    if (got != want) throw std::runtime_error("pack being written shrank: " + temp_path_);
    sha.update(chunk.data(), got);
    at += got;
  }
  const std::string pack_hash = sha.bytes();  // SHA-1 over the whole file, as git checks it
  write_all_at(fd_.get(), pack_hash.data(), pack_hash.size(), end_, temp_path_);

  const std::string index_temp = write_index(pack_hash, durable);
  try {
    if (fchmod(fd_.get(), 0444) != 0) throw_errno("chmod " + temp_path_);
    write_out(fd_.get(), durable, temp_path_);
    git_oid name_oid;
    git_oid_fromraw(&name_oid, reinterpret_cast<const unsigned char*>(pack_hash.data()));
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &name_oid);
    const std::string name = std::string("pack-") + hex;
    const std::string base = pack_dir_ + "/" + name;
    if (rename(temp_path_.c_str(), (base + ".pack").c_str()) != 0) throw_errno("rename " + temp_path_);
    temp_path_.clear();
    if (rename(index_temp.c_str(), (base + ".idx").c_str()) != 0) throw_errno("rename " + index_temp);
    if (durable) {
      UniqueFd dir(open(pack_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (dir.get() < 0 || fsync(dir.get()) != 0) throw_errno("fsync " + pack_dir_);
    }
    finished_ = true;
    return name;
  } catch (...) {
    unlink(index_temp.c_str());
    throw;
  }
}

void PackWriter::append_ids(std::vector<git_oid>& out) const {
  out.reserve(out.size() + entries_.size());
  for (const auto& entry : entries_) out.push_back(entry.oid);
}

std::string PackWriter::write_index(const std::string& pack_hash, bool durable) {
  // Sorted by id, as the index lists them; the lookup table is not needed any more.
  index_.clear();
  index_.shrink_to_fit();
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return git_oid_cmp(&a.oid, &b.oid) < 0; });
  std::string path;
  UniqueFd fd(make_temporary(pack_dir_, "tmp_histfs_idx_", path));
  try {
    IndexOut out(fd.get(), path);
    std::string& b = out.buffer();
    b.append("\377tOc", 4);
    put32(b, 2);
    std::uint32_t fanout[256] = {};
    for (const auto& entry : entries_) ++fanout[entry.oid.id[0]];
    for (std::uint32_t i = 0, total = 0; i < 256; ++i) put32(b, total += fanout[i]);
    for (const auto& entry : entries_) {
      b.append(reinterpret_cast<const char*>(entry.oid.id), GIT_OID_RAWSZ);
      out.spill();
    }
    for (const auto& entry : entries_) {
      put32(b, entry.crc);
      out.spill();
    }
    std::uint32_t large = 0;
    for (const auto& entry : entries_) {
      put32(b, needs_large_offset(entry.offset) ? 0x80000000u | large++ : static_cast<std::uint32_t>(entry.offset));
      out.spill();
    }
    for (const auto& entry : entries_) {
      if (needs_large_offset(entry.offset)) put64(b, entry.offset);
      out.spill();
    }
    b.append(pack_hash);
    out.finish();
    if (fchmod(fd.get(), 0444) != 0) throw_errno("chmod " + path);
    write_out(fd.get(), durable, path);
  } catch (...) {
    unlink(path.c_str());
    throw;
  }
  return path;
}

}  // namespace histfs::gitstore
