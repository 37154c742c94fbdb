#include "gitstore/http_client.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using namespace std::chrono_literals;
using test::TempDir;
using test::TestServer;

// A CA and a certificate for localhost/127.0.0.1 signed by it, made with the openssl CLI.
struct TestCa {
  explicit TestCa(const std::filesystem::path& dir, const std::string& name = "ca",
                  const std::string& names = "DNS:localhost,IP:127.0.0.1") {
    const std::string d = dir.string() + "/" + name;
    std::filesystem::create_directories(d);
    test::run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -keyout " + d +
              "/ca.key -out " + d +
              "/ca.crt -subj '/CN=histfs http test CA' -addext basicConstraints=critical,CA:TRUE" +
              " -addext keyUsage=critical,keyCertSign 2>&1");
    test::run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
              "/server.key -out " + d + "/server.csr -subj /CN=localhost 2>&1");
    test::write_file(d + "/server.ext", "subjectAltName=" + names + "\n");
    test::run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
              "/ca.key -CAcreateserial -days 2 -extfile " + d + "/server.ext -out " + d + "/server.crt 2>&1");
    ca = d + "/ca.crt";
    cert = d + "/server.crt";
    key = d + "/server.key";
  }
  std::string ca, cert, key;
};

HttpClientOptions options(std::chrono::milliseconds timeout, const std::string& ca_file = "") {
  HttpClientOptions result;
  result.timeout = timeout;
  result.ca_file = ca_file;
  return result;
}

HttpResponse get(HttpClient& client, const std::string& url) {
  HttpRequest request;
  request.url = url;
  return client.send(request);
}

TEST_CASE("http: any status comes back as a response, body in memory", "[http]") {
  TestServer server;
  HttpClient client;
  for (int status : {200, 201, 204, 401, 404, 422, 500}) {
    const HttpResponse response = get(client, server.http("/status/" + std::to_string(status)));
    CHECK(response.status == status);
    if (status != 204) CHECK(response.body == "status " + std::to_string(status));
    CHECK(response.header("content-length").has_value());
    CHECK_FALSE(response.header("X-Absent").has_value());
  }
}

TEST_CASE("http: headers go out, Host and User-Agent are set", "[http]") {
  TestServer server;
  HttpClientOptions agent;
  agent.user_agent = "histfs-test/1";
  HttpClient client(agent);
  HttpRequest request;
  request.url = server.http("/headers?x=1");
  request.headers = {{"Authorization", basic_authorization("x-access-token", "tok")}, {"X-Custom", "yes"}};
  const HttpResponse response = client.send(request);
  CHECK(response.status == 200);
  CHECK(response.body.find("authorization: Basic eC1hY2Nlc3MtdG9rZW46dG9r\n") != std::string::npos);
  CHECK(response.body.find("x-custom: yes\n") != std::string::npos);
  CHECK(response.body.find("user-agent: histfs-test/1\n") != std::string::npos);
  CHECK(response.body.find("host: 127.0.0.1:") != std::string::npos);

  request.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  CHECK_THROWS_AS(client.send(request), HttpError);
}

TEST_CASE("http: bodies stream from and into files, with progress", "[http]") {
  TestServer server;
  TempDir dir;
  HttpClient client;
  const std::size_t size = 3 * 1024 * 1024 + 17;
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>(i * 7 % 251);
  test::write_file(dir / "upload", data);

  HttpRequest request;
  request.method = "PUT";
  request.url = server.http("/echo");
  request.body_file = dir / "upload";
  request.response_file = dir / "download";
  std::uint64_t last_done = 0, last_total = 0, calls = 0;
  request.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(done >= (calls == 0 ? 0 : 1));
    last_done = done;
    last_total = total;
    ++calls;
  };
  const HttpResponse response = client.send(request);
  CHECK(response.status == 200);
  CHECK(response.body.empty());
  CHECK(last_done == size);
  CHECK(last_total == size);
  CHECK(calls > 2);
  CHECK(test::read_file(dir / "download") == data);
  struct stat st {};
  REQUIRE(::stat((dir / "download").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // A string body goes out as is; a non-2xx answer stays in memory even with a response_file.
  HttpRequest small;
  small.method = "POST";
  small.url = server.http("/length");
  small.body = "hello";
  CHECK(client.send(small).body == "5");
  HttpRequest missing;
  missing.url = server.http("/status/404");
  missing.response_file = dir / "not-written";
  const HttpResponse not_found = client.send(missing);
  CHECK(not_found.status == 404);
  CHECK(not_found.body == "status 404");
  CHECK_FALSE(std::filesystem::exists(dir / "not-written"));
}

TEST_CASE("http: an in-memory body larger than the limit is an error", "[http]") {
  TestServer server;
  HttpClientOptions small;
  small.max_memory_body = 1000;
  HttpClient client(small);
  CHECK(get(client, server.http("/bytes/1000")).body.size() == 1000);
  CHECK_THROWS_WITH(get(client, server.http("/bytes/100000")), Catch::Contains("exceeds 1000 bytes"));
}

TEST_CASE("http: a redirect is returned, never followed", "[http]") {
  TestServer server;
  HttpClient client;
  const HttpResponse response = get(client, server.http("/redirect"));
  CHECK(response.status == 302);
  CHECK(response.header("Location") == "https://elsewhere.invalid/stolen");
}

TEST_CASE("http: a silent server is an HttpError within the timeout", "[http]") {
  // Listening but never accepting: the kernel completes the connection, nobody answers.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::string base = "://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/x";

  HttpClient client(options(300ms));
  for (const std::string scheme : {"http", "https"}) {
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(get(client, scheme + base), Catch::Contains("timed out"));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
  ::close(listener);

  TestServer server;  // a body that stops halfway
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(get(client, server.http("/stall-body")), Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("http: a refused connection is an HttpError naming the URL without secrets", "[http]") {
  HttpClient client(options(2s));
  HttpRequest request;
  request.url = "http://user:pa55word@127.0.0.1:1/path?token=s3cret";
  request.headers = {{"Authorization", "Bearer hunter2"}};
  try {
    client.send(request);
    FAIL("no error");
  } catch (const HttpError& error) {
    const std::string message = error.what();
    CHECK(message.find("http://127.0.0.1:1/path") != std::string::npos);
    CHECK(message.find("pa55word") == std::string::npos);
    CHECK(message.find("s3cret") == std::string::npos);
    CHECK(message.find("hunter2") == std::string::npos);
  }
  CHECK_THROWS_AS(get(client, "ftp://127.0.0.1/"), HttpError);
  CHECK_THROWS_AS(get(client, "http://127.0.0.1:99999999/"), HttpError);
}

TEST_CASE("https: the test CA is trusted only when given, and the name must match", "[http]") {
  TempDir dir;
  const TestCa ca(dir.path());
  const TestCa other(dir.path(), "other", "DNS:wrong.example");
  TestServer server({"--cert", ca.cert, "--key", ca.key});

  HttpClient trusting(options(5s, ca.ca));
  CHECK(get(trusting, server.url("https", "localhost", "/status/200")).status == 200);
  CHECK(get(trusting, server.url("https", "127.0.0.1", "/status/201")).status == 201);

  HttpClient system_roots(options(5s));
  CHECK_THROWS_WITH(get(system_roots, server.url("https", "localhost", "/status/200")), Catch::Contains("certificate"));
  HttpClient wrong_ca(options(5s, other.ca));
  CHECK_THROWS_WITH(get(wrong_ca, server.url("https", "localhost", "/status/200")), Catch::Contains("certificate"));
  // A certificate from a trusted CA but for another name.
  TestServer misnamed({"--cert", other.cert, "--key", other.key});
  CHECK_THROWS_WITH(get(wrong_ca, misnamed.url("https", "localhost", "/status/200")), Catch::Contains("certificate"));
  HttpClient missing_ca(options(5s, (dir / "absent.crt").string()));
  CHECK_THROWS_WITH(get(missing_ca, server.url("https", "localhost", "/status/200")),
                    Catch::Contains("cannot read the CA file"));
}

TEST_CASE("http: cancel() from another thread ends a request in progress, and later ones", "[http]") {
  TestServer server;
  HttpClient client(options(20s));
  std::atomic<bool> started{false};
  HttpRequest request;
  request.url = server.http("/stall-body");
  request.progress = [&](std::uint64_t, std::uint64_t) { started = true; };
  std::thread canceller([&] {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!started && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
    client.cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(client.send(request), Catch::Contains("cancelled"));
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK_THROWS_WITH(get(client, server.http("/status/200")), Catch::Contains("cancelled"));
}

}  // namespace
}  // namespace histfs::gitstore
