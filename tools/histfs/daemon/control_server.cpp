#include "tools/histfs/daemon/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"

namespace histfs::daemon {
namespace {

constexpr size_t kMaxRequest = 1 << 20;

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

}  // namespace

ControlServer::ControlServer(std::string socket_path, Handler handler)
    : path_(std::move(socket_path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::start() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof address.sun_path) throw std::runtime_error("control socket path too long: " + path_);
  std::strcpy(address.sun_path, path_.c_str());
  unlink(path_.c_str());  // a stale socket of a dead daemon; the git dir lock says we are the only one
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("cannot create control socket");
  // Created with mode 0600 from the start: no window in which others could connect.
  const mode_t old_mask = umask(0177);
  const int bound = bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  umask(old_mask);
  if (bound != 0 || listen(listen_fd_, 16) != 0)
    throw std::runtime_error("cannot listen on " + path_ + ": " + strerror(errno));
  if (pipe2(wake_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("cannot create pipe");

  thread_ = fs::start_quiet_thread([this] { serve(); });
}

void ControlServer::stop() {
  if (thread_.joinable()) {
    (void)!write(wake_pipe_[1], "x", 1);
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  unlink(path_.c_str());
}

void ControlServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serve_one(client);
    close(client);
  }
}

void ControlServer::serve_one(int client) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != geteuid() && peer.uid != 0)) {
    spdlog::warn("control socket: refused a connection from uid {}", peer.uid);
    write_all(client, nlohmann::json{{"ok", false}, {"error", "permission denied: this mount belongs to another user"}}.dump() + "\n");
    return;
  }
  timeval timeout{5, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string text;
  char buffer[4096];
  while (text.find('\n') == std::string::npos && text.size() < kMaxRequest) {
    ssize_t n = recv(client, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, size_t(n));
  }
  nlohmann::json response;
  try {
    auto request = nlohmann::json::parse(text.substr(0, text.find('\n')));
    if (!request.is_object() || !request.contains("command") || !request["command"].is_string())
      throw std::invalid_argument("request must be an object with a \"command\"");
    response = handler_(request);
    response["ok"] = true;
  } catch (const std::exception& error) {
    response = {{"ok", false}, {"error", error.what()}};
  }
  write_all(client, response.dump() + "\n");
}

}  // namespace histfs::daemon
