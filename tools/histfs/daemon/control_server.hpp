#pragma once
// The daemon's control socket: a Unix stream socket in the git dir (mode
// 0600). Each connection carries one JSON request line and gets one JSON
// response line. Only the daemon's own user (and root) may connect: the
// peer's credentials are checked before anything is read.
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tools/histfs/protocol/control_protocol.hpp"

namespace histfs::daemon {


class ControlServer {
 public:
  // handler(request) returns the response; exceptions become {"ok":false,"error":...}.
  using Handler = std::function<nlohmann::json(const nlohmann::json&)>;

  ControlServer(std::string socket_path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  void start();  // listens; the serving thread blocks SIGINT/SIGTERM/SIGHUP
  void stop();

 private:
  void serve();
  void serve_one(int client);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace histfs::daemon
