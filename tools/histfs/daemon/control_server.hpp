#pragma once
// The daemon's control socket: a Unix stream socket in the git dir (mode
// 0600). Each connection carries one JSON request line and gets one JSON
// response line (tools/histfs/protocol/control_protocol.hpp). Only the
// daemon's own user (and root) may connect: the peer's credentials are checked
// before anything is read.
//
// No client and no request can block the others: one thread accepts and reads
// every request line (at most kMaxWaiting connections at once, each with
// kReadTimeout for its whole line), and each complete request is answered on a
// thread of its own (at most kMaxRunning; the next one is answered "busy" at
// once), whose answer must be sent within kSendTimeout. So an idle client, one
// that never reads its answer, or a push waiting for a silent remote never
// keeps `histfs status` waiting.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/histfs/protocol/control_protocol.hpp"

namespace histfs::daemon {

class ControlServer {
 public:
  // handler(request) returns the answer; exceptions become {"ok":false,"error":...}. It runs on
  // the connection's own thread, several at once: it takes its own locks.
  using Handler = protocol::Handler;

  static constexpr std::size_t kMaxRunning = 16;
  static constexpr std::size_t kMaxWaiting = 64;
  static constexpr std::chrono::seconds kReadTimeout{5};
  static constexpr std::chrono::seconds kSendTimeout{10};

  ControlServer(std::string socket_path, Handler handler);
  // Joins every request thread: call it only once whatever a request waits for (the remote
  // sync, the committer) has stopped.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();  // listens; the threads block SIGINT/SIGTERM/SIGHUP
  // Stops accepting, ends every connection and waits briefly for the requests still running. One
  // that waits for another service (a push for a silent remote) ends when that service stops;
  // the destructor joins it. Never blocks for long.
  void stop();

 private:
  struct Waiting;  // a connection whose request line is still coming
  struct Running {
    std::thread thread;
    int fd;  // -1 once the thread closed it
    bool done = false;
  };

  void serve();
  void accept_one(std::list<Waiting>& waiting);
  void start_request(int fd, std::string line);
  void answer(Running& running, const std::string& line);
  void join_finished();

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;  // accepts and reads

  // Guards running_ (the list and each entry's fd and done). A leaf lock: never held across a
  // handler, a read or a send.
  std::mutex mutex_;
  std::condition_variable finished_;
  std::list<Running> running_;
};

}  // namespace histfs::daemon
