// LfsTransfer against tests/integration/lfs_server.py (the batch API and the basic transfer), an
// honest server first, then one answering what a hostile or broken server might.
#include "gitstore/lfs_transfer.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/lfs_sample.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::kHello;
using test::kHelloOid;
using test::read_file;
using test::store_with_hello;
using test::temp_files;
using test::TempDir;
using test::write_file;
namespace stdfs = std::filesystem;

const stdfs::path kLfsServer = stdfs::path(__FILE__).parent_path().parent_path() / "integration" / "lfs_server.py";

// lfs_server.py serving ROOT/r.git's objects on a free port, for the life of the object.
class LfsServer {
 public:
  explicit LfsServer(const TempDir& dir)
      : faults_((dir / "faults").string()), process_(kLfsServer, {"0", (dir / "repos").string(), faults_}) {
    stdfs::create_directories(dir / "repos/r.git");
    stdfs::create_directories(faults_);
    url = "http://127.0.0.1:" + std::to_string(process_.port()) + "/r.git";
    objects = (dir / "repos/r.git/lfs/objects").string();
  }
  // The next batch request is answered with `json`, verbatim.
  void answer_next_batch(const std::string& json) const { write_file(faults_ + "/batch.json", json); }
  std::string url, objects;

 private:
  std::string faults_;
  test::ServerProcess process_;
};

TEST_CASE("the batch endpoint of a git remote URL", "[lfs]") {
  CHECK(lfs_endpoint("https://github.com/o/r") == "https://github.com/o/r.git/info/lfs");
  CHECK(lfs_endpoint("https://github.com/o/r.git") == "https://github.com/o/r.git/info/lfs");
  CHECK(lfs_endpoint("https://github.com/o/r.git/") == "https://github.com/o/r.git/info/lfs");
}

TEST_CASE("objects go up and come down through the batch API, verified", "[lfs]") {
  TempDir dir;
  LfsServer server(dir);
  LfsStore local = store_with_hello(dir, "local");
  LfsTransfer up(local, {server.url, "", "", std::chrono::milliseconds(10000)});
  std::vector<LfsProgress> seen;
  up.upload({kHello}, [&](const LfsProgress& p) { seen.push_back(p); });
  CHECK(read_file(server.objects + "/a9/48/" + kHelloOid) == "hello world\n");
  REQUIRE(!seen.empty());
  CHECK(seen.back().objects_done == 1);
  CHECK(seen.back().bytes_done == 12);
  up.upload({kHello});  // the server has it: nothing to send

  LfsStore other((dir / "other").string());
  LfsTransfer down(other, {server.url, "", "", std::chrono::milliseconds(10000)});
  down.download({kHello});
  CHECK(other.check(kHello).empty());
  CHECK(temp_files(other) == 0);
}

TEST_CASE("a corrupt or missing object on the server never enters the store", "[lfs]") {
  TempDir dir;
  LfsServer server(dir);
  LfsStore local = store_with_hello(dir, "local");
  LfsTransfer(local, {server.url, "", "", std::chrono::milliseconds(10000)}).upload({kHello});
  LfsStore other((dir / "other").string());
  LfsTransfer down(other, {server.url, "", "", std::chrono::milliseconds(10000)});
  write_file(server.objects + "/a9/48/" + kHelloOid, "HELLO world\n");
  CHECK_THROWS_WITH(down.download({kHello}), Catch::Contains(kHelloOid) && Catch::Contains("corrupt"));
  stdfs::remove(server.objects + "/a9/48/" + kHelloOid);
  CHECK_THROWS_WITH(down.download({kHello}), Catch::Contains(kHelloOid) && Catch::Contains("missing"));
  CHECK_FALSE(other.has(kHello));
  CHECK(temp_files(other) == 0);
}

TEST_CASE("a hostile batch answer is refused with a clear error and nothing stored", "[lfs]") {
  TempDir dir;
  LfsServer server(dir);
  LfsStore local((dir / "local").string());
  LfsTransfer down(local, {server.url, "", "", std::chrono::milliseconds(10000)});
  const std::string other_oid(64, 'b');
  const std::string href = server.url + "/info/lfs/objects/" + kHelloOid;
  auto object = [&](const std::string& oid, const std::string& rest) {
    return R"({"objects":[{"oid":")" + oid + R"(","size":12)" + rest + "}]}";
  };
  struct Case {
    std::string answer, error;
  };
  const std::vector<Case> cases = {
      {object(other_oid, R"(,"actions":{"download":{"href":")" + href + R"("}})"), "said nothing of"},
      {R"({"objects":[{"oid":")" + kHelloOid + R"(","size":13,"actions":{"download":{"href":")" + href + R"("}}}]})",
       "another size"},
      {object(kHelloOid, R"(,"actions":{"download":{"href":"file:///etc/passwd"}})"), "unusable address"},
      {object(kHelloOid, R"(,"actions":{"download":{"href":"ftp://127.0.0.1/x"}})"), "unusable address"},
      {object(kHelloOid, R"(,"actions":{"download":{"href":")" + href + R"(","header":{"X-A":"1\r\nX-B: 2"}}})"),
       "unusable header"},
      {object(kHelloOid, R"(,"error":{"code":404,"message":"gone"})"), "missing on the server"},
      {object(kHelloOid, R"(,"error":{"code":403,"message":"no"})"), "refused by the server"},
      {R"({"transfer":"ssh","objects":[]})", "not basic"},
      {"not json at all", "not JSON"},
      {R"({"objects":[{"oid":5}]})", "malformed"},
      {object(kHelloOid, R"(,"actions":{})"), "no download"},
  };
  for (const auto& c : cases) {
    INFO(c.answer);
    server.answer_next_batch(c.answer);
    CHECK_THROWS_WITH(down.download({kHello}), Catch::Contains(c.error));
    CHECK_FALSE(local.has(kHello));
  }
  CHECK(temp_files(local) == 0);
}

TEST_CASE("a local remote's objects are copied into its own lfs folder", "[lfs]") {
  TempDir dir;
  stdfs::create_directories(dir / "remote.git");
  LfsStore local = store_with_hello(dir, "local");
  LfsTransfer(local, {"file://" + (dir / "remote.git").string(), "", "", {}}).upload({kHello});
  CHECK(read_file(dir / "remote.git/lfs/objects/a9/48" / kHelloOid) == "hello world\n");
  LfsStore other((dir / "other").string());
  LfsTransfer((other), {(dir / "remote.git").string(), "", "", {}}).download({kHello});
  CHECK(other.check(kHello).empty());
  const LfsPointer absent{std::string(64, 'c'), 3};
  CHECK_THROWS_WITH(LfsTransfer(other, {(dir / "remote.git").string(), "", "", {}}).download({absent}),
                    Catch::Contains("missing on the remote"));
}

}  // namespace
}  // namespace histfs::gitstore
