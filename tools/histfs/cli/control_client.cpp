#include "tools/histfs/cli/control_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tools/histfs/protocol/control_protocol.hpp"

namespace histfs::cli {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += char((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 + (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool is_within(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

std::optional<MountRef> find_mount(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  std::optional<MountRef> best;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devices, root, mountpoint, word;
    fields >> id >> parent >> devices >> root >> mountpoint;
    while (fields >> word && word != "-") {
    }
    std::string type, source, options;
    fields >> type >> source >> options;
    if (type != "fuse.histfs") continue;
    mountpoint = unescape(mountpoint);
    if (!is_within(path, mountpoint)) continue;
    long owner = -1;
    if (auto at = ("," + options).find(",user_id="); at != std::string::npos)
      owner = std::atol(options.c_str() + at + 8);
    if (!best || mountpoint.size() >= best->mountpoint.size()) best = MountRef{mountpoint, unescape(source), owner};
  }
  return best;
}

MountRef locate_mount(const std::string& mount_option) {
  namespace stdfs = std::filesystem;
  std::error_code error;
  const std::string start = mount_option.empty() ? stdfs::current_path(error).string() : mount_option;
  if (error) throw ClientError("cannot read the current directory: " + error.message());
  const stdfs::path absolute = stdfs::absolute(start).lexically_normal();
  std::string text = absolute.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  auto mount = find_mount(text);
  if (!mount) {
    if (mount_option.empty())
      throw ClientError("no histfs mount here: run this inside a mounted directory, or pass --mount MOUNTPOINT");
    throw ClientError("no histfs mount at " + text);
  }
  return *mount;
}

nlohmann::json call_daemon(const MountRef& mount, const nlohmann::json& request) {
  const std::string path = mount.git_dir + "/" + protocol::kSocketName;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) throw ClientError("control socket path too long: " + path);
  std::strcpy(address.sun_path, path.c_str());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ClientError("cannot create a socket");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  // A socket someone else put there would receive our request and could answer anything.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0 && (!S_ISSOCK(st.st_mode) || (mount.owner >= 0 && long(st.st_uid) != mount.owner)))
    throw ClientError("the control socket " + path + " does not belong to the owner of " + mount.mountpoint + " (uid " +
                      std::to_string(mount.owner) + "); refusing to talk to it");
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EACCES)
      throw ClientError("permission denied: the histfs daemon of " + mount.mountpoint + " belongs to another user");
    throw ClientError("the histfs daemon of " + mount.mountpoint + " is not answering (" + strerror(errno) +
                      "); is it running with versioning on?");
  }
  ucred peer{};
  socklen_t length = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (mount.owner >= 0 && long(peer.uid) != mount.owner))
    throw ClientError("the process on " + path + " (uid " + std::to_string(peer.uid) + ") is not the daemon of " +
                      mount.mountpoint + "; refusing to talk to it");
  const std::string text = request.dump() + "\n";
  // A refusing daemon answers and closes without reading: the send may fail, the answer is still there.
  const bool sent = send(fd, text.data(), text.size(), MSG_NOSIGNAL) == ssize_t(text.size());
  std::string reply;
  char buffer[65536];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buffer, size_t(n));
  }
  nlohmann::json response;
  try {
    response = nlohmann::json::parse(reply);
  } catch (const std::exception&) {
    throw ClientError(sent ? "the daemon closed the connection without an answer"
                           : "cannot send the request to the daemon");
  }
  if (!response.value("ok", false)) throw ClientError(response.value("error", std::string("unknown error")));
  return response;
}

}  // namespace histfs::cli
