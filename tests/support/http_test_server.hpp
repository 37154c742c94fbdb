#pragma once
// tests/support/http_test_server.py as a child process for a test, killed when the object goes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace histfs::test {

inline const std::filesystem::path kServerScript =
    std::filesystem::path(__FILE__).parent_path() / "http_test_server.py";

class TestServer {
 public:
  explicit TestServer(const std::vector<std::string>& extra = {}) {
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<std::string> args{"python3", kServerScript.string()};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("python3", argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c = 0;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    REQUIRE(!line.empty());
    port_ = std::stoi(line);
  }
  ~TestServer() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  std::string url(const std::string& scheme, const std::string& host, const std::string& path) const {
    return scheme + "://" + host + ":" + std::to_string(port_) + path;
  }
  std::string http(const std::string& path) const { return url("http", "127.0.0.1", path); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace histfs::test
