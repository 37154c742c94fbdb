#include "gitstore/path_list.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace histfs::gitstore {

TEST_CASE("a path list gives back each path as it was added, any bytes", "[path_list]") {
  PathList list;
  CHECK(list.empty());
  CHECK(list == std::vector<std::string>{});
  const std::vector<std::string> paths = {"a.md", "", std::string("n\0ul", 4), "dir/\xff\xfe.md", "a.md"};
  for (const auto& path : paths) list.push_back(path);
  CHECK(list.size() == paths.size());
  CHECK(list == paths);
  CHECK(list.front() == "a.md");
  CHECK(list[2] == std::string("n\0ul", 4));
  CHECK(std::vector<std::string>(list.begin(), list.end()) == paths);
  CHECK(std::count(list.begin(), list.end(), "a.md") == 2);
  CHECK_FALSE(list == std::vector<std::string>{"a.md"});
  const PathList braced = {"x", "y/z"};
  CHECK(braced == std::vector<std::string>{"x", "y/z"});
}

}  // namespace histfs::gitstore
