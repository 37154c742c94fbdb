#pragma once
// A test server script (python3) as a child process: started with its arguments, its port read
// from the first line it prints, killed when the object goes.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace histfs::test {

class ServerProcess {
 public:
  ServerProcess(const std::filesystem::path& script, const std::vector<std::string>& args);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace histfs::test
