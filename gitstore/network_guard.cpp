#include "gitstore/network_guard.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

namespace histfs::gitstore {
namespace {

thread_local NetworkGuard* current_guard = nullptr;

using ConnectFn = int (*)(int, const sockaddr*, socklen_t);

ConnectFn real_connect() {
  static const auto real = reinterpret_cast<ConnectFn>(dlsym(RTLD_NEXT, "connect"));
  return real;
}

timeval to_timeval(std::chrono::milliseconds duration) {
  return {static_cast<time_t>(duration.count() / 1000), static_cast<suseconds_t>((duration.count() % 1000) * 1000)};
}

// A non-blocking connect bounded by the guard's timeout; then reads and writes that make
// no progress for as long fail with EAGAIN, which libgit2 reports as a socket error.
int guarded_connect(NetworkGuard& guard, int fd, const sockaddr* address, socklen_t length) {
  if (!guard.add_socket(fd)) {
    errno = ECANCELED;
    return -1;
  }
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int result = real_connect()(fd, address, length);
  if (result != 0 && errno == EINPROGRESS) {
    pollfd wait{fd, POLLOUT, 0};
    int ready;
    do ready = poll(&wait, 1, int(guard.timeout().count()));
    while (ready < 0 && errno == EINTR);
    int error = 0;
    socklen_t size = sizeof error;
    if (ready == 0) {
      error = ETIMEDOUT;
    } else if (ready < 0) {
      error = errno;
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
      error = errno;
    }
    if (guard.cancelled()) error = ECANCELED;
    result = error == 0 ? 0 : -1;
    errno = error;
  }
  const int saved = errno;
  fcntl(fd, F_SETFL, flags);
  if (result == 0) {
    const timeval timeout = to_timeval(guard.timeout());
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  } else {
    guard.remove_socket(fd);
  }
  errno = saved;
  return result;
}

}  // namespace

void NetworkGuard::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  for (int fd : sockets_) shutdown(fd, SHUT_RDWR);  // blocked reads return at once
}

bool NetworkGuard::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool NetworkGuard::add_socket(int fd) {
  std::lock_guard lock(mutex_);
  if (cancelled_) return false;
  sockets_.insert(fd);
  return true;
}

void NetworkGuard::remove_socket(int fd) {
  std::lock_guard lock(mutex_);
  sockets_.erase(fd);
}

NetworkGuard* NetworkGuard::current() { return current_guard; }

NetworkGuard::Scope::Scope(NetworkGuard* guard) : previous_(current_guard) { current_guard = guard; }

NetworkGuard::Scope::~Scope() {
  if (current_guard) {
    // The operation is over: its sockets are closed or about to be; forget them all.
    std::lock_guard lock(current_guard->mutex_);
    current_guard->sockets_.clear();
  }
  current_guard = previous_;
}

void link_network_guard() {}

}  // namespace histfs::gitstore

// The interposed connect(2); see network_guard.hpp. Unguarded threads and Unix sockets
// go straight to libc.
extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
  histfs::gitstore::NetworkGuard* guard = histfs::gitstore::NetworkGuard::current();
  if (!guard || !address || address->sa_family == AF_UNIX) return histfs::gitstore::real_connect()(fd, address, length);
  return histfs::gitstore::guarded_connect(*guard, fd, address, length);
}
