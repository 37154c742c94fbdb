#include "gitstore/ignore_rules.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <random>
#include <string_view>
#include <thread>

#include "support/temp_dir.hpp"

namespace stdfs = std::filesystem;
using histfs::gitstore::default_ignore_patterns;
using histfs::gitstore::IgnoreRules;
using histfs::test::run;
using histfs::test::TempDir;
using histfs::test::write_file;

namespace {

// An O_PATH fd of a directory, as the daemon holds the backing dir.
class DirFd {
 public:
  explicit DirFd(const stdfs::path& dir) : fd_(open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
  }
  ~DirFd() { close(fd_); }
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A backing dir whose root .gitignore holds the given text.
struct Tree {
  explicit Tree(const std::string& root_gitignore = "", std::vector<std::string> extras = {}) {
    if (!root_gitignore.empty()) write_file(dir / ".gitignore", root_gitignore);
    rules = std::make_unique<IgnoreRules>(fd.get(), std::move(extras));
  }
  bool file(std::string_view path) const { return rules->is_ignored(path, false); }
  bool folder(std::string_view path) const { return rules->is_ignored(path, true); }
  // Checks that each of `paths`, as a file, is ignored; or kept.
  void expect_ignored(std::initializer_list<std::string_view> paths) const {
    for (auto path : paths) {
      INFO(path);
      CHECK(file(path));
    }
  }
  void expect_kept(std::initializer_list<std::string_view> paths) const {
    for (auto path : paths) {
      INFO(path);
      CHECK_FALSE(file(path));
    }
  }

  TempDir dir;
  DirFd fd{dir.path()};
  std::unique_ptr<IgnoreRules> rules;
};

}  // namespace

TEST_CASE("comments and blank lines are not patterns; \\# escapes a leading #", "[ignore]") {
  Tree t("# a comment\n\n   \n#hash\n\\#escaped\n");
  t.expect_ignored({"#escaped"});
  t.expect_kept({"# a comment", "#hash", "notes.md"});
}

TEST_CASE("unescaped trailing spaces are dropped, escaped ones and tabs kept", "[ignore]") {
  Tree t("plain   \nkept\\ \nkept2\\   \ntab\t\n");
  t.expect_ignored({"plain", "kept ", "kept2 ", "tab\t"});
  t.expect_kept({"plain ", "kept", "tab"});
}

TEST_CASE("backslash makes the next character literal", "[ignore]") {
  Tree t("\\!bang\n\\*\nq\\?\n[\\]]x\ntrailing\\\n");
  t.expect_ignored({"!bang", "*", "q?", "]x"});
  t.expect_kept({"star", "qq"});
  t.expect_kept({"trailing", "trailing\\"});  // a pattern ending in a lone backslash matches nothing
}

TEST_CASE("CRLF line ends and a UTF-8 byte order mark are tolerated", "[ignore]") {
  Tree t(
      "\xEF\xBB\xBF"
      "first\r\nsecond\r\n");
  CHECK(t.file("first"));
  CHECK(t.file("second"));
}

TEST_CASE("the last matching pattern wins; ! re-includes", "[ignore]") {
  Tree t("*.log\n!keep.log\nreally.log\n");
  t.expect_ignored({"a.log", "really.log"});
  t.expect_kept({"keep.log", "sub/keep.log"});
  Tree reversed("!keep.log\n*.log\n");
  CHECK(reversed.file("keep.log"));
}

TEST_CASE("a trailing slash matches directories only", "[ignore]") {
  Tree t("build/\n");
  CHECK(t.folder("build"));
  CHECK(t.folder("src/build"));
  t.expect_ignored({"build/out.o", "src/build/out.o"});
  t.expect_kept({"build"});
}

TEST_CASE("a pattern with an inner or leading slash is anchored to its .gitignore", "[ignore]") {
  Tree t("/top\ndoc/frotz\nname\n");
  write_file(t.dir / "sub/.gitignore", "/here\na/b\n");
  t.expect_ignored({"top", "doc/frotz", "sub/here", "sub/a/b"});
  t.expect_kept({"x/top", "a/doc/frotz", "here", "sub/x/here", "a/b"});
  t.expect_ignored({"deep/er/name"});  // no slash: any depth
}

TEST_CASE("* and ? never match a slash", "[ignore]") {
  Tree t("*.txt\ndoc/*.md\na?c\nx/?/y\n");
  t.expect_ignored({"a.txt", ".txt", "d/e/a.txt", "doc/a.md", "abc", "x/z/y"});
  t.expect_kept({"doc/sub/a.md", "ac", "abbc", "x/zz/y"});
}

TEST_CASE("bracket expressions", "[ignore]") {
  Tree t("[a-c]1\n[!a-c]2\n[^a]3\n[]]4\n[a-]5\n[[:digit:]]6\n[[:upper:][:punct:]]7\n[ab\n[[:bogus:]]8\n");
  t.expect_ignored({"b1", "d2", "b3", "]4", "-5", "a5", "96", "Q7", "_7"});
  t.expect_kept({"d1", "a2", "a3", "x6", "q7", "b8"});
  t.expect_kept({"[ab", "a"});  // unterminated: matches nothing
}

TEST_CASE("** spans directories at the start, the end and between slashes", "[ignore]") {
  Tree t("**/lead\ntrail/**\na/**/b\nx**y\n");
  t.expect_ignored({"lead", "p/q/lead", "trail/x", "trail/x/y", "a/b", "a/x/b", "a/x/y/b"});
  t.expect_kept({"a/xb"});
  CHECK_FALSE(t.folder("trail"));
  t.expect_ignored({"xzy"});  // not next to a slash: a plain *
}

TEST_CASE("a file cannot be re-included when a parent directory is excluded", "[ignore]") {
  Tree t("whole/\n!whole/keep\ncontents/*\n!contents/keep\n");
  write_file(t.dir / "whole/.gitignore", "!*\n");  // never read: its directory is excluded
  t.expect_ignored({"whole/keep", "whole/other", "contents/other"});
  t.expect_kept({"contents/keep"});
}

TEST_CASE("deeper .gitignore files win over shallower ones and over the root lists", "[ignore]") {
  Tree t("*.md\n!*.tmp\n", {"*.secret", "!*.swp"});
  write_file(t.dir / "sub/.gitignore", "!*.md\n");
  write_file(t.dir / "sub/deep/.gitignore", "*.md\n!*.secret\n");
  CHECK(t.file("a.md"));
  CHECK_FALSE(t.file("sub/a.md"));
  CHECK(t.file("sub/deep/a.md"));
  CHECK_FALSE(t.file("a.tmp"));  // .gitignore over the defaults
  CHECK(t.file("a.secret"));     // user's list
  CHECK_FALSE(t.file("sub/deep/a.secret"));
  CHECK_FALSE(t.file("x.swp"));  // user's list over the defaults
  CHECK(t.file("x.swo"));
}

TEST_CASE("default patterns keep editor, OS and temp litter out", "[ignore]") {
  Tree t;
  t.expect_ignored({".note.md.swp", "a.swo", "4913", "note.md~", ".#note.md", "#note.md#", ".~lock.a.odt#",
                    "~$report.docx", "x.tmp", "a.b.partial", ".fuse_hidden000a", ".nfs0001", ".DS_Store",
                    "sub/._note.md", "Thumbs.db", "desktop.ini", "sub/.git", "a.kate-swp"});
  for (auto path : {".Trash-1000", "sub/.git", ".cache", "x/__pycache__", "$RECYCLE.BIN"}) CHECK(t.folder(path));
  t.expect_kept({"notes.md", ".gitignore", ".gitattributes", "a#b", "swp", "git", ".bmmeta"});
  CHECK_FALSE(t.file(".cache"));  // a folder only
}

TEST_CASE("names whose first and last characters some default pattern has are still matched in full", "[ignore]") {
  // The list looks at each pattern only when a name's ends could match one: ".fseventsd" puts
  // '.' and 'd' among them, "desktop.ini" 'd' and 'i', "*.swp" a final 'p', ".nfs*" a first '.'.
  Tree t;
  t.expect_ignored({".fseventsd", "desktop.ini", "Thumbs.db", "4913", "a.swp", ".nfs", ".Trash-", "~$", "~"});
  t.expect_kept({"doc.md", "dd", "desktop.in", ".d", "Thumbs.dbx", "4913x", "x4913", "p", ".", "e"});
  Tree none("", {"!*.swp"});  // a negation is a match too: it wins, and keeps the file
  none.expect_kept({"a.swp", "notes.md"});
}

TEST_CASE("anything named .git is ignored whatever the rules say", "[ignore]") {
  Tree t("!.git\n", {"!.git"});
  CHECK(t.folder("sub/.git"));
  CHECK(t.file("sub/.git/config"));
  CHECK(t.folder("sub/.GIT"));
}

TEST_CASE("scopes answer like is_ignored and stop at ignored directories", "[ignore]") {
  Tree t("out/\n*.o\n");
  write_file(t.dir / "src/.gitignore", "!keep.o\n/gen/\n");
  auto root = t.rules->root_scope();
  CHECK(root->dir().empty());
  CHECK(root->is_ignored("a.o", false));
  CHECK_FALSE(root->is_ignored("src", true));
  auto src = t.rules->child_scope(root, "src");
  CHECK(src->dir() == "src");
  CHECK_FALSE(src->is_ignored("keep.o", false));
  CHECK(src->is_ignored("x.o", false));
  CHECK(src->is_ignored("gen", true));
  auto gen = t.rules->child_scope(src, "src/gen");
  CHECK(gen->all_ignored());
  CHECK(t.rules->child_scope(gen, "src/gen/more")->all_ignored());
  auto lib = t.rules->child_scope(src, "src/lib");
  CHECK_FALSE(lib->is_ignored("keep.o", false));
  CHECK(lib->is_ignored("out", true));
  CHECK_FALSE(lib->is_ignored("gen", true));
}

TEST_CASE(".gitignore edits are seen: by stamp, and by invalidate", "[ignore]") {
  Tree t("a\n");
  write_file(t.dir / "sub/.gitignore", "x\n");
  CHECK(t.file("a"));
  CHECK(t.file("sub/x"));
  write_file(t.dir / ".gitignore", "bb\n");  // another size: the stamp differs
  CHECK_FALSE(t.file("a"));
  CHECK(t.file("bb"));
  stdfs::rename(t.dir / "sub", t.dir / "moved");
  t.rules->invalidate("sub");
  CHECK_FALSE(t.file("sub/x"));
  CHECK(t.file("moved/x"));
  stdfs::remove(t.dir / "moved/.gitignore");
  t.rules->invalidate("moved");
  CHECK_FALSE(t.file("moved/x"));
  t.rules->invalidate("");
  CHECK(t.file("bb"));
}

TEST_CASE("a missing, symlinked or non-file .gitignore holds no rules", "[ignore]") {
  Tree t;
  write_file(t.dir / "elsewhere", "x\n");
  stdfs::create_directories(t.dir / "link");
  stdfs::create_symlink(t.dir / "elsewhere", t.dir / "link/.gitignore");
  stdfs::create_directories(t.dir / "dir/.gitignore");
  t.expect_kept({"link/x", "dir/x", "none/x"});
}

TEST_CASE("is_ignored is safe from many threads while rules change", "[ignore]") {
  Tree t("*.o\n");
  write_file(t.dir / "sub/.gitignore", "y\n");
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      while (!stop) {
        const auto sub = t.rules->child_scope(t.rules->root_scope(), "sub");
        if (!t.file("sub/a.o") || t.file("sub/keep") || !sub->is_ignored("b.o", false)) ++wrong;
      }
    });
  for (int i = 0; i < 300; ++i) {
    write_file(t.dir / "sub/.gitignore", i % 2 ? "y\n" : "zz\n");
    t.rules->invalidate(i % 3 ? "sub" : "");
  }
  stop = true;
  for (auto& reader : readers) reader.join();
  CHECK(wrong == 0);
}

// ---- Oracle: stock git must agree on every path of a tree ----

namespace {

// Every path below root except the top .git, with whether it is a directory.
std::map<std::string, bool> list_tree(const stdfs::path& root) {
  std::map<std::string, bool> paths;
  for (auto it = stdfs::recursive_directory_iterator(root); it != stdfs::recursive_directory_iterator(); ++it) {
    const std::string rel = stdfs::relative(it->path(), root).string();
    if (rel == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    paths[rel] = it->is_directory() && !it->is_symlink();
  }
  return paths;
}

// Paths on which IgnoreRules (both by path and by a scope walk) and `git check-ignore`
// disagree, with the defaults and extras written to .git/info/exclude for git to see.
std::vector<std::string> disagreements(const stdfs::path& root, const std::vector<std::string>& extras) {
  if (!stdfs::exists(root / ".git")) run("git init -q '" + root.string() + "'");
  std::string exclude;
  for (const auto& line : default_ignore_patterns()) exclude += line + '\n';
  for (const auto& line : extras) exclude += line + '\n';
  write_file(root / ".git/info/exclude", exclude);

  const auto paths = list_tree(root);
  TempDir scratch;
  std::string input;
  for (const auto& [path, is_dir] : paths) input += path + '\0';
  write_file(scratch / "paths", input);
  // Exit 1 only means nothing was ignored.
  const std::string out = run("cd '" + root.string() +
                              "' && GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null "
                              "git check-ignore --no-index --stdin -z -v -n < '" +
                              (scratch / "paths").string() + "'; test $? -le 1");
  std::vector<std::string> fields;
  for (size_t start = 0, end; (end = out.find('\0', start)) != std::string::npos; start = end + 1)
    fields.push_back(out.substr(start, end - start));
  REQUIRE(fields.size() == 4 * paths.size());  // source, line, pattern, path

  DirFd fd(root);
  IgnoreRules rules(fd.get(), extras);
  std::map<std::string, histfs::gitstore::IgnoreScopePtr> scopes{{"", rules.root_scope()}};
  std::vector<std::string> wrong;
  for (size_t i = 0; i < fields.size(); i += 4) {
    const std::string& path = fields[i + 3];
    const bool is_dir = paths.at(path);
    const bool git = !fields[i].empty() && fields[i + 2][0] != '!';
    const size_t slash = path.rfind('/');
    const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    const auto& scope = scopes.at(parent);  // std::map order visits parents first
    if (is_dir) scopes[path] = rules.child_scope(scope, path);
    const bool by_path = rules.is_ignored(path, is_dir);
    const bool by_scope = scope->is_ignored(path.substr(slash + 1), is_dir);
    if (by_path != git || by_scope != git)
      wrong.push_back(path + (is_dir ? "/" : "") + ": git " + (git ? "ignores" : "keeps") + " (" + fields[i] + ":" +
                      fields[i + 1] + ":" + fields[i + 2] + "), is_ignored " + std::to_string(by_path) + ", scope " +
                      std::to_string(by_scope));
  }
  return wrong;
}

}  // namespace

TEST_CASE("oracle: git check-ignore agrees on a hand-made tree", "[ignore]") {
  TempDir t;
  const auto& d = t.path();
  write_file(d / ".gitignore",
             "# root rules\n*.log\n!important.log\nbuild/\n/rootonly\ndocs/*.html\n**/cache/**\n"
             "a/**/z\nlogs/*\n!logs/keep\n!/logs/sub/\n[Tt]emp*\n!temp-keep\nsp\\ ace\ntrail   \n"
             "ab**/c\nx/y**\n\\!bang\nq[]a]\nn[[:digit:]]\nopen[\n");
  write_file(d / "nested/.gitignore", "\xEF\xBB\xBF!*.log\n/local\nmid/deep/\n*.md\n!README.md\n");
  write_file(d / "nested/mid/.gitignore", "!*.md\r\ndeep\r\n");
  write_file(d / "build/.gitignore", "!*\n");  // inside an excluded dir: never read
  for (auto f : {"a.log",
                 "important.log",
                 "sub/b.log",
                 "sub/important.log",
                 "build/out",
                 "src/build/out",
                 "build.txt",
                 "rootonly",
                 "sub/rootonly",
                 "docs/a.html",
                 "docs/x/a.html",
                 "c/cache/f",
                 "cache/g",
                 "a/z",
                 "a/b/z",
                 "a/b/c/z",
                 "a/bz",
                 "logs/one",
                 "logs/keep",
                 "logs/sub/f",
                 "Temp1",
                 "temp2",
                 "temp-keep",
                 "sp ace",
                 "sp",
                 "trail",
                 "abc",
                 "ab/x/c",
                 "abx/c",
                 "x/yz/w",
                 "x/y",
                 "!bang",
                 "q]",
                 "qa",
                 "qb",
                 "n5",
                 "open[",
                 "nested/a.log",
                 "nested/local",
                 "nested/sub/local",
                 "nested/x.md",
                 "nested/README.md",
                 "nested/mid/x.md",
                 "nested/mid/deep/f",
                 "nested/deep",
                 "notes/plan.md",
                 "notes/.plan.md.swp",
                 "notes/#plan.md#",
                 "notes/.#plan.md",
                 "notes/plan.md~",
                 ".DS_Store",
                 "sub/Thumbs.db",
                 "x.tmp",
                 "vendor/.git/config",
                 ".cache/f",
                 "q/.Trash-0/f"})
    write_file(d / f, "x\n");
  stdfs::create_directories(d / "emptydir/build");
  CHECK(disagreements(d, {"*.bak", "!keep.bak", "/only-root.bak"}) == std::vector<std::string>{});
}

TEST_CASE("oracle: git check-ignore agrees on random patterns and trees", "[ignore]") {
  std::mt19937 rng(20240611);
  auto pick = [&](const std::vector<std::string>& from) { return from[rng() % from.size()]; };
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  const std::vector<std::string> pieces = {"a",  "b", "ab", "m",    ".md",  "*",     "*",   "?",          "**",
                                           "**", "/", "/",  "[ab]", "[!a]", "[a-c]", "\\a", "[[:alpha:]]"};
  auto random_pattern = [&] {
    std::string p = chance(0.25) ? "!" : "";
    if (chance(0.2)) p += "/";
    for (int n = 1 + rng() % 4; n > 0; --n) p += pick(pieces);
    if (chance(0.2)) p += "/";
    return p;
  };
  const std::vector<std::string> names = {"a", "b", "ab", "m.md", "a.md", "bb", "c", ".b", "ma"};
  for (int round = 0; round < 40; ++round) {
    TempDir t;
    std::vector<std::string> dirs = {""};
    for (int n = 0; n < 12; ++n) {
      const std::string parent = pick(dirs);
      if (std::count(parent.begin(), parent.end(), '/') < 3)
        dirs.push_back((parent.empty() ? "" : parent + "/") + pick(names));
    }
    for (const auto& dir : dirs) stdfs::create_directories(t.path() / dir);
    for (const auto& dir : dirs) {
      for (const auto& name : names)
        if (chance(0.5) && !stdfs::exists(t.path() / dir / name)) write_file(t.path() / dir / name, "x");
      if (chance(0.6)) {
        std::string text;
        for (int n = 1 + rng() % 5; n > 0; --n) text += random_pattern() + "\n";
        write_file(t.path() / dir / ".gitignore", text);
      }
    }
    std::vector<std::string> extras;
    for (int n = rng() % 3; n > 0; --n) extras.push_back(random_pattern());
    INFO("round " << round);
    CHECK(disagreements(t.path(), extras) == std::vector<std::string>{});
  }
}
