#include "gitstore/stored_object.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>

#include "gitstore/digest.hpp"
#include "gitstore/errno_error.hpp"
#include "gitstore/git_handle.hpp"
#include "gitstore/unique_fd.hpp"

namespace histfs::gitstore {
namespace {

void write_all(int fd, const unsigned char* data, std::size_t length, const std::string& path) {
  while (length > 0) {
    const ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write " + path);
    data += n;
    length -= static_cast<std::size_t>(n);
  }
}

// The loose file of `oid`, written to a temporary name beside it and linked into place.
void write_loose(const std::string& objects_dir, const git_oid& oid, const std::string& header, std::string_view data) {
  // One zlib stream of stored blocks for the header and the bytes (level 0: no compression).
  z_stream z{};
  if (deflateInit(&z, Z_NO_COMPRESSION) != Z_OK) throw std::runtime_error("zlib: cannot start a stream");
  std::string out(deflateBound(&z, header.size() + data.size()), '\0');
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(header.data()));
  z.avail_in = static_cast<uInt>(header.size());
  int result = deflate(&z, Z_NO_FLUSH);
  if (result == Z_OK) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    result = deflate(&z, Z_FINISH);
  }
  const std::size_t length = out.size() - z.avail_out;
  deflateEnd(&z);
  if (result != Z_STREAM_END) throw std::runtime_error("zlib: cannot store an object");

  const std::string hex = oid_hex(oid);
  const std::string dir = objects_dir + "/" + hex.substr(0, 2);
  const std::string path = dir + "/" + hex.substr(2);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("create " + dir);
  // "tmp_" as git names its own: a temporary file a crash leaves is pruned by a later gc.
  std::string temp = dir + "/tmp_obj_histfs_XXXXXX";
  UniqueFd fd(mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) throw_errno("create a temporary object in " + dir);
  try {
    write_all(fd.get(), reinterpret_cast<const unsigned char*>(out.data()), length, temp);
    if (fchmod(fd.get(), 0444) != 0) throw_errno("chmod " + temp);
    // link, not rename: an object already there (written meanwhile) stays as it is.
    if (link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) throw_errno("link " + path);
  } catch (...) {
    unlink(temp.c_str());
    throw;
  }
  unlink(temp.c_str());
}

}  // namespace

git_oid write_stored_when_large(git_odb* odb, const std::string& objects_dir, git_object_t type, std::string_view data,
                                ObjectSync* written) {
  git_oid oid;
  if (data.size() < kStoredObjectSize) {
    check(git_odb_write(&oid, odb, data.data(), data.size(), type), "write object");
    return oid;
  }
  oid = object_id(type, data.data(), data.size());
  if (git_odb_exists_ext(odb, &oid, GIT_ODB_LOOKUP_NO_REFRESH)) return oid;
  if (written && written->write_to_pack(odb, oid, data.data(), data.size(), type)) return oid;
  write_loose(objects_dir, oid, object_header(type, data.size()), data);
  if (ObjectSync* recorder = ObjectSync::current()) recorder->created_object(oid);
  return oid;
}

}  // namespace histfs::gitstore
