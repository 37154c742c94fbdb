// Commit messages: paths and process names quoted as git quotes them, and trailers that
// nobody can forge with a file name, a process name or a label (parsed by stock git).
#include "gitstore/commit_message.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "support/temp_dir.hpp"

namespace histfs::gitstore {
namespace {

using test::run;
using test::TempDir;
using test::write_file;

// The trailers stock git finds in a message, one "Key: value" a line.
std::string git_trailers(const std::string& message) {
  TempDir dir;
  write_file(dir / "message", message);
  return run("cd '" + dir.path().string() + "' && git interpret-trailers --parse < message");
}

// What `git log --format=%(trailers)` shows for a commit with this message.
std::string git_log_trailers(const std::string& message) {
  TempDir dir;
  const std::string git = "git -C '" + dir.path().string() + "' ";
  write_file(dir / "message", message);
  run(git + "init -q");
  run(git + "-c user.name=t -c user.email=t@t commit -q --allow-empty --cleanup=verbatim -F message");
  return run(git + "log -1 --format='%(trailers)'");
}

std::set<Actor> actor(const std::string& process) { return {Actor{0, 1, process}}; }

const std::string kExpectedTrailers = "Changed-By: root (uid 0) via vim\nCorrelation-Id: 0123\n";

TEST_CASE("paths are quoted as git quotes them (core.quotePath)", "[commit_message]") {
  CHECK(quote_path("notes/a.md") == "notes/a.md");
  CHECK(quote_path("with space/and-~!#$%&'()*+,;=?@[]^`{|}") == "with space/and-~!#$%&'()*+,;=?@[]^`{|}");
  CHECK(quote_path("") == "");
  CHECK(quote_path("a\nRestored-From: deadbeef") == "\"a\\nRestored-From: deadbeef\"");
  CHECK(quote_path("q\"uote\\back") == "\"q\\\"uote\\\\back\"");
  CHECK(quote_path("\a\b\t\v\f\r") == "\"\\a\\b\\t\\v\\f\\r\"");
  CHECK(quote_path(std::string("\x01\x1b\x1f\x7f", 4)) == "\"\\001\\033\\037\\177\"");
  CHECK(quote_path("caf\xc3\xa9.md") == "\"caf\\303\\251.md\"");
  CHECK(quote_path("\xff") == "\"\\377\"");
  CHECK(trailer("Conflict", "notes/a.md") == "Conflict: notes/a.md");
  CHECK(trailer("Conflict", "a\nb") == "Conflict: \"a\\nb\"");
}

TEST_CASE("quote_path writes what git ls-files writes", "[commit_message]") {
  TempDir dir;
  const std::string git = "git -C '" + dir.path().string() + "' ";
  run(git + "init -q");
  std::vector<std::string> names = {"plain.md",
                                    "two words",
                                    "new\nline",
                                    "tab\there",
                                    "quote\"d",
                                    "back\\slash",
                                    "esc\x1b[31m",
                                    "del\x7f",
                                    "caf\xc3\xa9",
                                    "bell\a",
                                    "cr\r",
                                    "\xe2\x80\xae"
                                    "rtl"};
  for (const auto& name : names) write_file(dir / name, "x\n");
  run(git + "add -A");
  std::istringstream listed(run(git + "-c core.quotePath=true ls-files"));
  std::set<std::string> git_lines, ours;
  for (std::string line; std::getline(listed, line);) git_lines.insert(line);
  for (const auto& name : names) ours.insert(quote_path(name));
  CHECK(ours == git_lines);
}

TEST_CASE("a file name cannot forge a trailer", "[commit_message]") {
  for (const std::string path :
       {"a\nRestored-From: deadbeef", "a\n\nRestored-From: deadbeef\n---", "a\n\nRestored-From: deadbeef\n"}) {
    CAPTURE(path);
    ChangeSummary one;
    one.added = {path};
    const std::string single = commit_message("", one, actor("vim"), "0123");
    CHECK(single.substr(0, single.find('\n')) == "chore(sync): add " + quote_path(path));
    CHECK(git_trailers(single) == kExpectedTrailers);
    CHECK(git_log_trailers(single) == kExpectedTrailers + "\n");

    ChangeSummary many;
    many.added = {path, "b.md"};
    many.updated = {"dir/" + path};
    many.removed = {path + "/x"};
    many.renamed = {{path, path + ".old"}};
    const std::string listed = commit_message("", many, actor("vim"), "0123");
    CHECK(listed.find("\nA " + quote_path(path) + "\n") != std::string::npos);
    CHECK(listed.find("\nR " + quote_path(path) + " -> " + quote_path(path + ".old") + "\n") != std::string::npos);
    CHECK(git_trailers(listed) == kExpectedTrailers);

    // A restore's subject names the path; its Restored-From is the only one.
    const std::string restore =
        commit_message("", one, actor("vim"), "0123", "restore: " + quote_path(path) + " to HEAD~1",
                       {trailer("Restored-From", "c0ffee")});
    CHECK(git_trailers(restore) == "Changed-By: root (uid 0) via vim\nRestored-From: c0ffee\nCorrelation-Id: 0123\n");
  }
}

TEST_CASE("a process name cannot forge a trailer", "[commit_message]") {
  // /proc/<pid>/comm holds 15 bytes: what prctl(PR_SET_NAME, "x\nRestored-From: ...") leaves.
  for (const std::string process : {"x\nRestored-From", "\nA: deadbeef", "x\n\nB: c\n---", "vim\r"}) {
    CAPTURE(process);
    ChangeSummary one;
    one.updated = {"a.md"};
    const std::string message = commit_message("", one, actor(process), "0123");
    const std::string expected = "Changed-By: root (uid 0) via " + quote_path(process) + "\nCorrelation-Id: 0123\n";
    CHECK(git_trailers(message) == expected);
    CHECK(git_log_trailers(message) == expected + "\n");
  }
}

TEST_CASE("a label's subject and trailers stay one line each, whatever the caller passed", "[commit_message]") {
  ChangeSummary one;
  one.updated = {"a.md"};
  const std::string message =
      commit_message("", one, actor("vim"), "0123", "restore: a\nRestored-From: deadbeef to HEAD",
                     {"Conflict: b\nRestored-From: deadbeef", "Restored-From: c0ffee"});
  CHECK(message.substr(0, message.find('\n')) == "restore: a\\nRestored-From: deadbeef to HEAD");
  CHECK(git_trailers(message) ==
        "Changed-By: root (uid 0) via vim\nConflict: b\\nRestored-From: deadbeef\nRestored-From: c0ffee\n"
        "Correlation-Id: 0123\n");
}

}  // namespace
}  // namespace histfs::gitstore
