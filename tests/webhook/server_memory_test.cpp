// Many large unsigned bodies at once against a real webhook::Server: every client gets an answer, the
// process's resident memory stays within the body budget while they are sent, and comes back afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <latch>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "webhook/server.hpp"

namespace histfs::webhook {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMiB = 1024 * 1024;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr size_t kAllocatorSlack = 320 * kMiB;  // the sanitizer's allocator keeps freed memory in quarantine
#else
constexpr size_t kAllocatorSlack = 0;
#endif

size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  size_t kib = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  FAIL("no VmRSS in /proc/self/status");
  return 0;
}

// Polls until check() holds or the time is up; returns whether it held.
template <typename Check>
bool wait_until(Check check, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!check()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Sends an unsigned POST /webhook with `body` as fast as the server takes it, stopping early if an answer
// comes first (a refusal from the header); returns the answer's status, or -1 with no answer.
int upload(unsigned short port, const std::string& body, std::latch& headers_sent) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string head =
        "POST /webhook HTTP/1.1\r\nHost: h\r\nX-GitHub-Event: push\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    headers_sent.count_down();
    headers_sent.wait();  // every client is in the middle of a request before any body is sent
    size_t sent = 0;
    while (sent < body.size()) {
      pollfd p{fd, POLLIN | POLLOUT, 0};
      poll(&p, 1, 10'000);
      if (p.revents & (POLLIN | POLLERR | POLLHUP)) break;  // answered (or gone) before the whole body
      const ssize_t n =
          send(fd, body.data() + sent, std::min<size_t>(body.size() - sent, 256 * 1024), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN) break;
      if (n > 0) sent += size_t(n);
    }
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, size_t(n));
    if (answer.starts_with("HTTP/1.1 ")) status = std::stoi(answer.substr(9, 3));
  }
  close(fd);
  return status;
}

TEST_CASE("80 concurrent unsigned 24 MB bodies: answered, memory bounded by the budget and given back",
          "[webhook][memory]") {
  const ServerOptions defaults;
  ServerOptions options;
  options.port = 0;
  REQUIRE(defaults.body_budget <= 128 * kMiB);  // the bound this test holds the server to
  DeliveryJudge judge({"secret", "", "main"}, [](const std::string&) { return false; });
  Server server(options, judge, nullptr, [] { return nlohmann::json::object(); });
  server.start();

  constexpr int kClients = 80;
  const std::string body(24 * kMiB, ' ');  // shared by every client, resident before the baseline
  const size_t baseline = resident_bytes();
  std::atomic<size_t> peak = baseline;
  std::atomic<bool> sending = true;
  std::thread sampler([&] {
    while (sending) {
      peak = std::max(peak.load(), resident_bytes());
      std::this_thread::sleep_for(5ms);
    }
  });
  std::latch headers_sent(kClients);
  std::vector<int> statuses(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i)
    clients.emplace_back([&, i] { statuses[i] = upload(server.port(), body, headers_sent); });
  for (auto& c : clients) c.join();
  sending = false;
  sampler.join();

  std::map<int, int> count;
  for (int s : statuses) ++count[s];
  std::string summary;
  for (auto [status, n] : count) summary += std::to_string(status) + ": " + std::to_string(n) + "  ";
  const size_t grew = peak - baseline;
  INFO("answers " << summary << "; resident memory grew by " << grew / kMiB << " MiB at most");
  CHECK(count[-1] == 0);                                              // every client got an answer
  CHECK(count[401] + count[503] == kClients);                         // unsigned: read whole and refused, or not read
  CHECK(count[401] >= 1);                                             // the budget lets some through
  CHECK(size_t(count[401]) * 24 * kMiB <= defaults.body_budget * 2);  // ... but not all (today's: all 80)
  CHECK(grew <= defaults.body_budget + 32 * kMiB + kAllocatorSlack);

  const bool back = wait_until([&] { return resident_bytes() <= baseline + 16 * kMiB + kAllocatorSlack; }, 20s);
  INFO("resident memory now " << (resident_bytes() - std::min(resident_bytes(), baseline)) / kMiB
                              << " MiB above the baseline");
  CHECK(back);
}

}  // namespace
}  // namespace histfs::webhook
