// The GitHub App's JWT (gitstore/github_app_jwt.*) and the API client's handling of hostile answers
// (gitstore/github_api.*), against the openssl CLI and the local test server.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "gitstore/github_api.hpp"
#include "gitstore/github_app_jwt.hpp"
#include "support/http_test_server.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::TempDir;
using test::TestServer;

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  return test::run("printf %s '" + text + "' | base64 -d");
}

GithubApi api_for(const TestServer& server) {
  GithubApiOptions options;
  options.api_url = server.http("");
  options.timeout = std::chrono::seconds(5);
  options.max_wait = std::chrono::seconds(3);
  return GithubApi(options);
}

TEST_CASE("base64url has no padding and the URL-safe alphabet", "[github]") {
  CHECK(base64url("") == "");
  CHECK(base64url("f") == "Zg");
  CHECK(base64url("fo") == "Zm8");
  CHECK(base64url("foo") == "Zm9v");
  CHECK(base64url("\xfb\xff") == "-_8");
}

TEST_CASE("the App JWT is RS256 over iat 60 s ago, exp within 10 minutes, iss the app id", "[github]") {
  TempDir dir;
  const std::string key = (dir / "app.pem").string();
  test::run("openssl genrsa -out " + key + " 2048 2>&1 && chmod 600 " + key + " && openssl rsa -in " + key +
            " -pubout -out " + (dir / "app.pub").string() + " 2>&1");
  const auto now = std::chrono::system_clock::now();
  const std::string jwt = AppPrivateKey::load(key).app_jwt("4242", now);
  const auto first = jwt.find('.'), second = jwt.rfind('.');
  REQUIRE(first != second);
  const auto header = nlohmann::json::parse(base64url_decode(jwt.substr(0, first)));
  CHECK(header["alg"] == "RS256");
  const auto claims = nlohmann::json::parse(base64url_decode(jwt.substr(first + 1, second - first - 1)));
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  CHECK(claims["iss"] == "4242");
  CHECK(claims["iat"].get<long long>() == seconds - 60);
  CHECK(claims["exp"].get<long long>() <= seconds + 600);
  CHECK(claims["exp"].get<long long>() > seconds);
  // The signature checks out with the public key (openssl, not our code).
  test::write_file(dir / "input", jwt.substr(0, second));
  std::string signature = jwt.substr(second + 1);
  for (char& c : signature) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (signature.size() % 4) signature += '=';
  test::run("printf %s '" + signature + "' | base64 -d > " + (dir / "sig").string());
  CHECK_NOTHROW(test::run("openssl dgst -sha256 -verify " + (dir / "app.pub").string() + " -signature " +
                          (dir / "sig").string() + " " + (dir / "input").string()));
}

TEST_CASE("a private key readable by others, missing or not a key is refused clearly", "[github]") {
  TempDir dir;
  const std::string key = (dir / "app.pem").string();
  test::run("openssl genrsa -out " + key + " 2048 2>&1 && chmod 640 " + key);
  CHECK_THROWS_WITH(AppPrivateKey::load(key), Catch::Contains("readable by others") && Catch::Contains("0640"));
  CHECK_THROWS_WITH(AppPrivateKey::load((dir / "absent.pem").string()), Catch::Contains("cannot read"));
  test::write_file(dir / "junk.pem", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
  ::chmod((dir / "junk.pem").c_str(), 0600);
  CHECK_THROWS_WITH(AppPrivateKey::load((dir / "junk.pem").string()), Catch::Contains("not an unencrypted PEM RSA"));
  try {
    AppPrivateKey::load(key);
  } catch (const GithubKeyError& error) {
    CHECK(std::string(error.what()).find("PRIVATE") == std::string::npos);  // never the key's text
  }
}

TEST_CASE("the API client: a redirect, malformed JSON and a huge body are clear errors", "[github]") {
  TestServer server;
  GithubApi api = api_for(server);
  CHECK_THROWS_WITH(api.call("GET", "/redirect", "token secret-token"), Catch::Contains("redirect, not followed"));
  CHECK_THROWS_WITH(api.call("GET", "/status/200", "token secret-token"), Catch::Contains("malformed JSON"));
  CHECK_THROWS_WITH(api.call("GET", "/bytes/2000000", "token secret-token"), Catch::Contains("no usable answer"));
  CHECK(api.last_error().find("secret-token") == std::string::npos);
  CHECK(api.last_error().find("no usable answer") != std::string::npos);
}

TEST_CASE("the API client waits out Retry-After and then succeeds", "[github]") {
  TestServer server;
  GithubApi api = api_for(server);
  const auto start = std::chrono::steady_clock::now();
  const GithubAnswer answer = api.call("GET", "/limited-once", "");
  CHECK(answer.status == 200);
  CHECK(answer.body["ok"] == true);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
  CHECK(api.last_error().find("rate limited") != std::string::npos);
}

}  // namespace
}  // namespace histfs::gitstore
