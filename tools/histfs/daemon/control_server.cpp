#include "tools/histfs/daemon/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "fs/mount_session.hpp"
#include "gitstore/printable.hpp"

namespace histfs::daemon {

using Clock = std::chrono::steady_clock;

struct ControlServer::Waiting {
  int fd;
  std::string text;
  Clock::time_point deadline;
};

namespace {

int milliseconds_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return int(std::clamp<long long>(left, 0, 60'000));
}

// Sends all of text by the deadline; false if the client is gone, stopped reading or the
// connection was shut down.
bool send_all(int fd, const std::string& text, Clock::time_point deadline) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += size_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    pollfd out{fd, POLLOUT, 0};
    const int timeout = milliseconds_until(deadline);
    if (timeout == 0) return false;
    if (poll(&out, 1, timeout) < 0 && errno != EINTR) return false;
    if (out.revents & (POLLERR | POLLHUP | POLLNVAL)) return false;
  }
  return true;
}

// A short answer to a connection that gets no thread: sent only if the socket takes it now.
void answer_at_once(int fd, std::string_view message) {
  send_all(fd, protocol::error_line(message), Clock::now());
  close(fd);
}

}  // namespace

ControlServer::ControlServer(std::string socket_path, Handler handler)
    : path_(std::move(socket_path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  stop();
  std::unique_lock lock(mutex_);
  for (auto& running : running_) {
    lock.unlock();
    if (running.thread.joinable()) running.thread.join();
    lock.lock();
  }
  running_.clear();
}

void ControlServer::start() {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof address.sun_path) throw std::runtime_error("control socket path too long: " + path_);
  std::strcpy(address.sun_path, path_.c_str());
  unlink(path_.c_str());  // a stale socket of a dead daemon; the git dir lock says we are the only one
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw std::runtime_error("cannot create control socket");
  // Created with mode 0600 from the start: no window in which others could connect.
  const mode_t old_mask = umask(0177);
  const int bound = bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  umask(old_mask);
  if (bound != 0 || listen(listen_fd_, 64) != 0)
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
  // Every connection ends now: a thread blocked sending to a client that does not read sees
  // the shutdown. A request still running (waiting for the remote, say) is given a moment.
  std::unique_lock lock(mutex_);
  for (auto& running : running_)
    if (running.fd >= 0) shutdown(running.fd, SHUT_RDWR);
  finished_.wait_for(lock, std::chrono::seconds(2), [&] {
    return std::all_of(running_.begin(), running_.end(), [](const Running& r) { return r.done; });
  });
  lock.unlock();
  join_finished();
}

void ControlServer::serve() {
  std::list<Waiting> waiting;
  for (;;) {
    try {
      join_finished();
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      auto next_deadline = Clock::now() + std::chrono::hours(1);
      for (const auto& w : waiting) {
        fds.push_back({w.fd, POLLIN, 0});
        next_deadline = std::min(next_deadline, w.deadline);
      }
      if (poll(fds.data(), fds.size(), milliseconds_until(next_deadline)) < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("poll: ") + strerror(errno));
      }
      if (fds[1].revents) break;
      // Read what came; a complete line (or the client's end of sending) starts the request.
      size_t index = 2;
      for (auto w = waiting.begin(); w != waiting.end(); ++index) {
        bool complete = false;
        if (fds[index].revents) {
          char buffer[4096];
          const ssize_t n = recv(w->fd, buffer, sizeof buffer, MSG_DONTWAIT);
          if (n > 0) w->text.append(buffer, size_t(n));
          complete = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ||
                     w->text.find('\n') != std::string::npos;
          if (!complete && w->text.size() > protocol::kMaxRequestBytes) {
            answer_at_once(w->fd, "the request is longer than 1 MiB");
            w = waiting.erase(w);
            continue;
          }
        }
        if (complete) {
          start_request(w->fd, w->text.substr(0, w->text.find('\n')));
          w = waiting.erase(w);
        } else if (Clock::now() >= w->deadline) {
          answer_at_once(w->fd, "no complete request line within " + std::to_string(kReadTimeout.count()) + " s");
          w = waiting.erase(w);
        } else {
          ++w;
        }
      }
      if (fds[0].revents) accept_one(waiting);
    } catch (const std::exception& error) {
      // The barrier of this thread: nothing ends the daemon from here.
      spdlog::error("control socket: {}", gitstore::printable(error.what()));
    }
  }
  for (const auto& w : waiting) close(w.fd);
}

void ControlServer::accept_one(std::list<Waiting>& waiting) {
  const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  ucred peer{};
  socklen_t length = sizeof peer;
  if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || (peer.uid != geteuid() && peer.uid != 0)) {
    spdlog::warn("control socket: refused a connection from uid {}", peer.uid);
    answer_at_once(client, "permission denied: this mount belongs to another user");
    return;
  }
  if (waiting.size() >= kMaxWaiting) {
    answer_at_once(client, "busy: " + std::to_string(kMaxWaiting) + " connections are sending requests; try again");
    return;
  }
  waiting.push_back({client, {}, Clock::now() + kReadTimeout});
}

void ControlServer::start_request(int fd, std::string line) {
  std::unique_lock lock(mutex_);
  const auto busy = std::count_if(running_.begin(), running_.end(), [](const Running& r) { return !r.done; });
  if (size_t(busy) >= kMaxRunning) {
    lock.unlock();
    answer_at_once(fd, "busy: " + std::to_string(kMaxRunning) + " requests are running; try again");
    return;
  }
  Running& running = running_.emplace_back();
  running.fd = fd;
  try {
    running.thread = fs::start_quiet_thread([this, &running, line = std::move(line)] { answer(running, line); });
  } catch (const std::exception&) {  // no thread to be had
    running_.pop_back();
    lock.unlock();
    answer_at_once(fd, "busy: cannot start a thread for the request; try again");
  }
}

void ControlServer::answer(Running& running, const std::string& line) {
  // answer_request throws nothing: the handler's exceptions become the answer.
  const std::string text = protocol::answer_request(line, handler_);
  send_all(running.fd, text, Clock::now() + kSendTimeout);
  std::lock_guard lock(mutex_);
  close(running.fd);
  running.fd = -1;
  running.done = true;
  finished_.notify_all();
}

void ControlServer::join_finished() {
  std::list<Running> finished;
  {
    std::lock_guard lock(mutex_);
    for (auto r = running_.begin(); r != running_.end();) {
      auto next = std::next(r);
      if (r->done) finished.splice(finished.end(), running_, r);
      r = next;
    }
  }
  for (auto& r : finished) r.thread.join();
}

}  // namespace histfs::daemon
