#pragma once
// Deadlines for libgit2's network calls. libgit2 1.5 has no timeout option: a
// remote that accepts and never answers blocks a fetch or push for ever. So
// histfs interposes connect(2) (network_guard.cpp defines it; the executable's
// definition wins over libc's for libgit2's calls): on a thread inside a
// NetworkGuard::Scope, a TCP connect gets the guard's timeout, and the socket
// gets SO_RCVTIMEO/SO_SNDTIMEO so a read or write that makes no progress for
// that long fails. cancel() shuts down the sockets of every operation in
// progress at once: an unmount never waits for a silent remote.
#include <chrono>
#include <mutex>
#include <set>

namespace histfs::gitstore {

class NetworkGuard {
 public:
  explicit NetworkGuard(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  NetworkGuard(const NetworkGuard&) = delete;
  NetworkGuard& operator=(const NetworkGuard&) = delete;

  // Any thread: fails the network calls in progress and every later one.
  void cancel();
  bool cancelled() const;
  std::chrono::milliseconds timeout() const { return timeout_; }

  // While alive, connects made on this thread are guarded by `guard` (may be null: no guard).
  class Scope {
   public:
    explicit Scope(NetworkGuard* guard);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    NetworkGuard* previous_;
  };

  // Used by the interposed connect(): registers a socket of an operation in progress.
  // False when the guard is cancelled (the connect must fail).
  bool add_socket(int fd);
  void remove_socket(int fd);
  static NetworkGuard* current();

 private:
  std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;  // guards the fields below; a leaf lock
  bool cancelled_ = false;
  std::set<int> sockets_;
};

// Forces the interposed connect() into the link (static libraries drop unused objects).
void link_network_guard();

}  // namespace histfs::gitstore
