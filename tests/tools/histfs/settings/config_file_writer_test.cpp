#include "tools/histfs/settings/config_file_writer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>

#include "support/temp_dir.hpp"

using namespace histfs::settings;
using Catch::Matchers::Contains;
using histfs::test::read_file;
using histfs::test::write_file;

namespace {

const char* const kFile = R"({
  "log": { "level": "info" },
  "git": { "fetchInterval": "10m", "autoPushInterval": "5s" }
}
)";

// Every bad value leaves the file byte for byte as it was, and the error names the key.
void check_refused(const std::string& file, const std::string& key, const std::string& value,
                   const std::string& message) {
  const std::string before = read_file(file);
  INFO(key << "=" << value);
  CHECK_THROWS_WITH(set_in_config_file(file, key, value), Contains(message));
  CHECK(read_file(file) == before);
  // No temporary file is left beside it.
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(file).parent_path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

}  // namespace

TEST_CASE("set_in_config_file changes one key and keeps the rest and its order", "[config]") {
  histfs::test::TempDir dir;
  const std::string file = (dir / "histfs.json").string();
  write_file(file, kFile);
  chmod(file.c_str(), 0640);
  const Config result = set_in_config_file(file, "git.autoPushInterval", "1500ms");
  CHECK(result.git.auto_push_interval == std::chrono::milliseconds(1500));
  CHECK(result.git.fetch_interval == std::chrono::minutes(10));
  const std::string text = read_file(file);
  CHECK_THAT(text, Contains("\"autoPushInterval\": \"1500ms\""));
  CHECK(text.find("\"log\"") < text.find("\"git\""));  // order kept
  CHECK(text.find("fetchInterval") < text.find("autoPushInterval"));
  CHECK(load_config_file(file) == result);
  struct stat st {};
  REQUIRE(stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  // A key the file does not have yet goes in its nested place.
  set_in_config_file(file, "git.lfs.sizeThreshold", "1MB");
  set_in_config_file(file, "git.authors", "1000=Ann <ann@example.com>");
  const Config again = load_config_file(file);
  CHECK(again.git.lfs_size_threshold == 1048576);
  CHECK(again.git.authors.at("1000") == "Ann <ann@example.com>");
  CHECK_THAT(read_file(file), Contains("\"sizeThreshold\": 1048576"));
}

TEST_CASE("set_in_config_file refuses bad values and leaves the file as it was", "[config]") {
  histfs::test::TempDir dir;
  const std::string file = (dir / "histfs.json").string();
  write_file(file, kFile);
  check_refused(file, "git.autoPushInterval", "fast", "git.autoPushInterval: expected a duration like 2s or 500ms");
  check_refused(file, "git.autoPushIntervall", "5s", "did you mean git.autoPushInterval?");
  check_refused(file, "git.commitQuiet", "1h", "git.commitMaxDelay: must be at least git.commitQuiet");
  check_refused(file, "git.authors", "1000=Ann", "git.authors: \"1000\": expected \"Name <email>\"");
  check_refused(file, "git", "{}", "git is a group of keys");

  // A file that is wrong now is reported, not rewritten.
  write_file(file, R"({"git": {"autoPushInterval": 5}})");
  check_refused(file, "log.level", "debug", "git.autoPushInterval: expected a duration");
}

TEST_CASE("set_in_config_file follows a symlink to the real file", "[config]") {
  histfs::test::TempDir dir;
  std::filesystem::create_directory(dir / "real");
  const std::string real = (dir / "real" / "histfs.json").string();
  write_file(real, kFile);
  const std::string link = (dir / "link.json").string();
  std::filesystem::create_symlink(real, link);
  set_in_config_file(link, "log.level", "debug");
  CHECK(std::filesystem::is_symlink(link));
  CHECK(load_config_file(real).log.level == "debug");
}

TEST_CASE("set_in_config_file on a missing file says so", "[config]") {
  histfs::test::TempDir dir;
  CHECK_THROWS_WITH(set_in_config_file((dir / "none.json").string(), "log.level", "debug"),
                    Contains("cannot read config file"));
}
