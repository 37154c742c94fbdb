#pragma once
// tests/support/http_test_server.py as a child process for a test, killed when the object goes.
#include <filesystem>
#include <string>
#include <vector>

#include "support/server_process.hpp"

namespace histfs::test {

inline const std::filesystem::path kServerScript =
    std::filesystem::path(__FILE__).parent_path() / "http_test_server.py";

class TestServer {
 public:
  explicit TestServer(const std::vector<std::string>& extra = {}) : process_(kServerScript, extra) {}
  std::string url(const std::string& scheme, const std::string& host, const std::string& path) const {
    return scheme + "://" + host + ":" + std::to_string(process_.port()) + path;
  }
  std::string http(const std::string& path) const { return url("http", "127.0.0.1", path); }

 private:
  ServerProcess process_;
};

}  // namespace histfs::test
