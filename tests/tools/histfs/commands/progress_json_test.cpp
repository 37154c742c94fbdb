#include "tools/histfs/commands/progress_json.hpp"

#include <catch2/catch.hpp>

using namespace histfs;
using nlohmann::json;

TEST_CASE("progress_json lists the board's tasks", "[progress]") {
  gitstore::ProgressBoard board;
  CHECK(commands::progress_json(board) == json::array());
  auto task = board.begin("restore", "writing files");
  task->set_total(10);
  task->advance(4, 2048);
  const json list = commands::progress_json(board);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["task"] == "restore");
  CHECK(list[0]["done"] == 4);
  CHECK(list[0]["total"] == 10);
  CHECK(list[0]["bytes"] == 2048);
  CHECK(commands::progress_text(list[0]).starts_with("restore: writing files 4/10, 0.0 MiB"));
}

TEST_CASE("tasks_in_status adds the remote's LFS and git transfers", "[progress]") {
  const json status = {
      {"progress", json::array({{{"task", "restore"}, {"done", 1}, {"total", 2}}})},
      {"remote",
       {{"state", "pushing"},
        {"progress", {{"objects_done", 3}, {"objects_total", 9}, {"bytes", 1048576}}},
        {"lfs", {{"progress", {{"objects_done", 1}, {"objects_total", 2}, {"bytes_done", 5}, {"bytes_total", 10}}}}}}}};
  const json tasks = commands::tasks_in_status(status);
  REQUIRE(tasks.size() == 3);
  CHECK(tasks[1]["task"] == "lfs transfer");
  CHECK(tasks[1]["bytes_total"] == 10);
  CHECK(tasks[2]["task"] == "pushing");
  CHECK(commands::progress_text(tasks[2]) == "pushing: objects 3/9, 1.0 MiB");
  CHECK(commands::tasks_in_status({{"remote", nullptr}}) == json::array());
  CHECK(commands::progress_text({{"task", "import"}, {"done", 7}}) == "import: 7");
}
