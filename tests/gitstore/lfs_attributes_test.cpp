#include "gitstore/lfs_attributes.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace histfs::gitstore;

TEST_CASE("gitattributes patterns match as git matches them") {
  struct Case {
    const char* pattern;
    const char* path;
    bool matches;
  };
  const Case cases[] = {
      {"*.png", "a.png", true},
      {"*.png", "deep/down/a.png", true},
      {"*.png", "a.png.txt", false},
      {"*.png", "a.PNG", false},
      {"/top.bin", "top.bin", true},
      {"/top.bin", "sub/top.bin", false},
      {"media/*.mov", "media/a.mov", true},
      {"media/*.mov", "media/x/a.mov", false},
      {"media/*.mov", "other/media/a.mov", false},
      {"media/**/*.mov", "media/x/y/a.mov", true},
      {"media/**/*.mov", "media/a.mov", true},
      {"**/raw/*", "a/raw/b", true},
      {"raw/**", "raw/a/b", true},
      {"raw/", "raw", false},  // a folder-only pattern names no file
  };
  for (const Case& c : cases) {
    INFO(c.pattern << " on " << c.path);
    CHECK(attribute_pattern_matches(c.pattern, c.path) == c.matches);
  }
}

TEST_CASE("an exact line names one file, whatever its name holds") {
  for (const std::string path : {"a b/c d.bin", "x*y?[z]\\w.bin", "#hash.bin", "!bang.bin", "sub/ü.bin"}) {
    const std::string pattern = exact_path_pattern(path);
    CHECK(attribute_pattern_matches(pattern, path));
    CHECK(managed_lfs_paths(with_lfs_block("", {}, {path})) == std::set<std::string>{path});
  }
  CHECK_FALSE(attribute_pattern_matches(exact_path_pattern("x*y"), "xzzy"));
  CHECK(exact_path_pattern("new\nline") == "");
  CHECK(exact_path_pattern("a b") == "/a[[:space:]]b");
}

TEST_CASE("the last line that sets filter decides") {
  const LfsAttributes attributes(
      "*.bin filter=lfs diff=lfs merge=lfs -text\n"
      "keep/*.bin -filter\n"
      "# *.txt filter=lfs\n"
      "*.psd   filter=lfs\r\n"
      "other.psd filter=other\n");
  CHECK(attributes.is_lfs("a.bin"));
  CHECK_FALSE(attributes.is_lfs("keep/a.bin"));
  CHECK_FALSE(attributes.is_lfs("a.txt"));
  CHECK(attributes.is_lfs("x/y.psd"));
  CHECK_FALSE(attributes.is_lfs("other.psd"));
  CHECK_FALSE(LfsAttributes("").is_lfs("a.bin"));
}

TEST_CASE("histfs's block is replaced in place and the user's lines are kept byte for byte") {
  const std::string user = "*.txt text eol=lf\n# my comment\n*.psd filter=lfs diff=lfs merge=lfs -text\n";
  const std::string first = with_lfs_block(user, {"*.png"}, {"big one.bin"});
  CHECK(first.starts_with(user));
  CHECK(first.find("*.png filter=lfs diff=lfs merge=lfs -text\n") != std::string::npos);
  CHECK(first.find("/big[[:space:]]one.bin filter=lfs diff=lfs merge=lfs -text\n") != std::string::npos);
  // The user adds a line after the block: the block stays where it is.
  const std::string edited = first + "*.csv -text\n";
  const std::string second = with_lfs_block(edited, {"*.png", "*.jpg"}, {});
  CHECK(second.starts_with(user));
  CHECK(second.ends_with("*.csv -text\n"));
  CHECK(second.find("*.jpg filter=lfs") != std::string::npos);
  CHECK(second.find("big") == std::string::npos);
  CHECK(managed_lfs_paths(second).empty());
  CHECK(with_lfs_block(second, {}, {}) == user + "*.csv -text\n");  // nothing to say: no block
  CHECK(with_lfs_block(with_lfs_block(user, {"*.png"}, {"a"}), {"*.png"}, {"a"}) ==
        with_lfs_block(user, {"*.png"}, {"a"}));
  // A user file without a final newline keeps its last line whole.
  CHECK(with_lfs_block("*.txt text", {"*.png"}, {}).starts_with("*.txt text\n"));
}

TEST_CASE("a begin marker without its end loses none of the lines after it") {
  const std::string broken = "a x\n" + std::string(kLfsBlockBegin) + "\n*.png filter=lfs\nmine -text\n";
  const std::string fixed = with_lfs_block(broken, {"*.gif"}, {});
  CHECK(fixed.find("mine -text\n") != std::string::npos);
  CHECK(fixed.find("*.gif filter=lfs") != std::string::npos);
}
