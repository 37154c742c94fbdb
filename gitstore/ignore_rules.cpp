#include "gitstore/ignore_rules.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bitset>
#include <cerrno>
#include <stdexcept>

#include "gitstore/dir_walk.hpp"

namespace histfs::gitstore {

const std::vector<std::string>& default_ignore_patterns() {
  static const std::vector<std::string> patterns = {
      // Nested repositories, and the gitfiles of worktrees and submodules.
      ".git",
      // Vim swap files (".name.swp", then .swo, .swn, ...), its write probe "4913",
      // and the "name~" backups of Vim, Emacs, gedit, nano.
      "*.swp",
      "*.swo",
      "*.swx",
      ".*.sw?",
      "4913",
      "*~",
      // Emacs lock links and auto-save files ('#' is escaped: it starts a comment).
      ".#*",
      "\\#*#",
      // Kate swap files; LibreOffice and Microsoft Office lock files.
      "*.kate-swp",
      ".~lock.*",
      "~$*",
      // Temporary files: generic, rclone partial transfers, files unlinked while open
      // on FUSE and NFS.
      "*.tmp",
      "*.partial",
      ".fuse_hidden*",
      ".nfs*",
      // macOS litter.
      ".DS_Store",
      "._*",
      ".AppleDouble",
      ".Spotlight-V100",
      ".Trashes",
      ".fseventsd",
      ".TemporaryItems",
      // Windows litter.
      "Thumbs.db",
      "ehthumbs.db",
      "desktop.ini",
      "$RECYCLE.BIN/",
      // Freedesktop trash folders on removable and network volumes.
      ".Trash-*",
      // Caches.
      ".cache/",
      "__pycache__/",
  };
  return patterns;
}

namespace detail {

// One step of a compiled glob. Star: a run without '/'. AnyDirs: "**/", i.e. nothing
// or anything ending in '/'. Rest: a trailing "**", i.e. everything left.
enum class Op : std::uint8_t { Literal, AnyChar, Class, Star, AnyDirs, Rest };

struct Token {
  Op op;
  unsigned char ch = 0;   // Literal
  std::uint16_t cls = 0;  // Class: index into Pattern::classes
};

struct Pattern {
  std::vector<Token> tokens;
  std::vector<std::bitset<256>> classes;  // '/' never in a set
  bool never = false;                     // malformed (unterminated '[', trailing '\'): git matches nothing
  bool negated = false;                   // "!pattern"
  bool dir_only = false;                  // "pattern/"
  bool basename_only = false;             // no '/' inside: matches the entry name at any depth
  // The literal characters the pattern ends with ("~" of "*~", ".swp" of "*.swp"): a text
  // that does not end with them cannot match, which most names are rejected by at once.
  std::string tail;

  bool matches(std::string_view text) const;
};

struct PatternList {
  std::vector<Pattern> patterns;  // file order; the last match wins

  // rel_path: the path relative to the directory of this list; name: its last component.
  const Pattern* last_match(std::string_view rel_path, std::string_view name, bool is_dir) const {
    if (!may_match(name)) return nullptr;
    for (auto it = patterns.rbegin(); it != patterns.rend(); ++it) {
      if (it->dir_only && !is_dir) continue;
      if (it->matches(it->basename_only ? name : rel_path)) return &*it;
    }
    return nullptr;
  }

  // Which first and last characters of a name some pattern could match, so that most names
  // (a note's ".md" passes none of the defaults) are answered without a look at each pattern.
  // Called once the patterns are all added.
  void index_ends() {
    for (const Pattern& p : patterns) {
      if (p.never) continue;
      // A pattern with a '/' matches the path from this list's folder: its first character is
      // not the name's.
      const bool first_known = p.basename_only && !p.tokens.empty() && p.tokens.front().op == Op::Literal;
      const bool last_known = !p.tail.empty();
      if (first_known && last_known) {
        both_first.set(p.tokens.front().ch);
        both_last.set(static_cast<unsigned char>(p.tail.back()));
      } else if (last_known) {
        last_only.set(static_cast<unsigned char>(p.tail.back()));
      } else if (first_known) {
        first_only.set(p.tokens.front().ch);
      } else {
        any_name = true;
      }
    }
  }
  // False only when no pattern can match `name` (nor a path that ends with it).
  bool may_match(std::string_view name) const {
    if (any_name || name.empty()) return true;
    const auto first = static_cast<unsigned char>(name.front()), last = static_cast<unsigned char>(name.back());
    return last_only[last] || first_only[first] || (both_first[first] && both_last[last]);
  }

  bool any_name = false;  // a pattern that fixes neither end ("*", "a*b?")
  std::bitset<256> last_only, first_only, both_first, both_last;
};

}  // namespace detail

namespace {

using detail::Op;
using detail::Pattern;
using detail::PatternList;
constexpr auto npos = std::string_view::npos;

// git refuses .gitignore files above this size.
constexpr off_t kMaxGitignoreSize = 100 * 1024 * 1024;

bool add_named_class(std::string_view name, std::bitset<256>& set) {
  // ASCII only, like git's wildmatch.
  auto add = [&](auto pred) {
    for (int c = 0; c < 128; ++c)
      if (pred(c)) set.set(c);
  };
  auto lower = [](int c) { return c >= 'a' && c <= 'z'; };
  auto upper = [](int c) { return c >= 'A' && c <= 'Z'; };
  auto digit = [](int c) { return c >= '0' && c <= '9'; };
  auto alnum = [&](int c) { return lower(c) || upper(c) || digit(c); };
  auto graph = [](int c) { return c > ' ' && c < 127; };
  if (name == "alnum")
    add(alnum);
  else if (name == "alpha")
    add([&](int c) { return lower(c) || upper(c); });
  else if (name == "blank")
    add([](int c) { return c == ' ' || c == '\t'; });
  else if (name == "cntrl")
    add([](int c) { return c < ' ' || c == 127; });
  else if (name == "digit")
    add(digit);
  else if (name == "graph")
    add(graph);
  else if (name == "lower")
    add(lower);
  else if (name == "print")
    add([&](int c) { return graph(c) || c == ' '; });
  else if (name == "punct")
    add([&](int c) { return graph(c) && !alnum(c); });
  else if (name == "space")
    add([](int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  else if (name == "upper")
    add(upper);
  else if (name == "xdigit")
    add([&](int c) { return digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); });
  else
    return false;
  return true;
}

// Parses the bracket expression opening at g[i] == '['. Returns the index past its
// closing ']', or npos when it is unterminated or names an unknown class.
size_t parse_class(std::string_view g, size_t i, std::bitset<256>& set) {
  ++i;
  bool negated = false;
  if (i < g.size() && (g[i] == '!' || g[i] == '^')) {
    negated = true;
    ++i;
  }
  int prev = -1;  // the previous single character, which may start a range
  for (bool first = true;; first = false) {
    if (i >= g.size()) return npos;
    auto c = static_cast<unsigned char>(g[i]);
    if (c == ']' && !first) break;  // a leading ']' is a member
    if (c == '\\') {
      if (++i == g.size()) return npos;
      c = g[i++];
      set.set(c);
      prev = c;
    } else if (c == '-' && prev >= 0 && i + 1 < g.size() && g[i + 1] != ']') {
      auto hi = static_cast<unsigned char>(g[++i]);
      if (hi == '\\') {
        if (++i == g.size()) return npos;
        hi = g[i];
      }
      for (int ch = prev; ch <= hi; ++ch) set.set(ch);
      prev = -1;
      ++i;
    } else if (c == '[' && i + 1 < g.size() && g[i + 1] == ':') {
      const size_t close = g.find(']', i + 2);
      if (close == npos) return npos;
      if (close == i + 2 || g[close - 1] != ':') {  // no ":]": a plain '['
        set.set('[');
        prev = '[';
        ++i;
        continue;
      }
      if (!add_named_class(g.substr(i + 2, close - 1 - (i + 2)), set)) return npos;
      prev = -1;
      i = close + 1;
    } else {
      set.set(c);
      prev = c;
      ++i;
    }
  }
  if (negated) set.flip();
  set.reset('/');
  return i + 1;
}

// Compiles glob into p.tokens; false when malformed. pathname: the pattern is matched
// against a path (so '*' stops at '/' and "**" may span directories) rather than a name.
bool compile(std::string_view glob, bool pathname, Pattern& p) {
  // git compares the literal prefix (up to the first wildcard) separately and runs its
  // matcher on the rest, where a "**" at the very start counts as following a '/'.
  const size_t first_wild = glob.find_first_of("*?[\\");
  auto push = [&](Op op, unsigned char ch = 0) { p.tokens.push_back({op, ch, 0}); };
  size_t i = 0;
  while (i < glob.size()) {
    const char c = glob[i];
    if (c == '*') {
      const size_t start = i;
      while (i < glob.size() && glob[i] == '*') ++i;
      const bool at_boundary = start == 0 || glob[start - 1] == '/' || start == first_wild;
      if (pathname && i - start >= 2 && at_boundary) {
        if (i == glob.size()) {
          push(Op::Rest);
          continue;
        }
        const size_t slash_len = glob[i] == '/' ? 1 : glob.substr(i, 2) == "\\/" ? 2 : 0;
        if (slash_len) {
          push(Op::AnyDirs);
          i += slash_len;
          continue;
        }
      }
      push(Op::Star);
    } else if (c == '?') {
      push(Op::AnyChar);
      ++i;
    } else if (c == '[') {
      std::bitset<256> set;
      i = parse_class(glob, i, set);
      if (i == npos) return false;
      p.tokens.push_back({Op::Class, 0, static_cast<std::uint16_t>(p.classes.size())});
      p.classes.push_back(set);
    } else if (c == '\\') {
      if (++i == glob.size()) return false;
      push(Op::Literal, glob[i++]);
    } else {
      push(Op::Literal, c);
      ++i;
    }
  }
  return true;
}

// Match, or why not: AbortToAnyDirs and AbortAll tell enclosing wildcards that trying
// further positions cannot help (as in git's wildmatch), which keeps matching polynomial.
enum class Outcome { Match, NoMatch, AbortToAnyDirs, AbortAll };

Outcome match_from(const Pattern& p, size_t ti, std::string_view text, size_t pos) {
  for (; ti < p.tokens.size(); ++ti) {
    const auto& t = p.tokens[ti];
    switch (t.op) {
      case Op::Literal:
      case Op::AnyChar:
      case Op::Class: {
        if (pos == text.size()) return Outcome::AbortAll;
        const auto ch = static_cast<unsigned char>(text[pos++]);
        const bool ok = t.op == Op::Literal ? ch == t.ch : t.op == Op::AnyChar ? ch != '/' : p.classes[t.cls].test(ch);
        if (!ok) return Outcome::NoMatch;
        break;
      }
      case Op::Star:
        if (ti + 1 == p.tokens.size()) return text.find('/', pos) == npos ? Outcome::Match : Outcome::NoMatch;
        for (; pos < text.size(); ++pos) {
          const Outcome r = match_from(p, ti + 1, text, pos);
          if (r != Outcome::NoMatch) return r;
          if (text[pos] == '/') return Outcome::AbortToAnyDirs;
        }
        return Outcome::AbortAll;
      case Op::AnyDirs:
        if (match_from(p, ti + 1, text, pos) == Outcome::Match) return Outcome::Match;
        for (; pos < text.size(); ++pos) {
          if (text[pos] != '/') continue;
          const Outcome r = match_from(p, ti + 1, text, pos + 1);
          if (r == Outcome::Match || r == Outcome::AbortAll) return r;
        }
        return Outcome::AbortAll;
      case Op::Rest:
        return Outcome::Match;
    }
  }
  return pos == text.size() ? Outcome::Match : Outcome::NoMatch;
}

// git drops unescaped trailing spaces; "\ " keeps one.
std::string_view trim_trailing_spaces(std::string_view s) {
  size_t cut = npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ') {
      if (cut == npos) cut = i;
      continue;
    }
    if (s[i] == '\\' && ++i == s.size()) return s;
    cut = npos;
  }
  return s.substr(0, cut);
}

void add_line(PatternList& list, std::string_view line) {
  if (line.empty() || line.front() == '#') return;
  if (line.back() == '\r') line.remove_suffix(1);
  line = trim_trailing_spaces(line.substr(0, line.find('\0')));
  Pattern p;
  if (!line.empty() && line.front() == '!') {
    p.negated = true;
    line.remove_prefix(1);
  }
  if (!line.empty() && line.back() == '/') {
    p.dir_only = true;
    line.remove_suffix(1);
  }
  if (line.empty()) return;
  p.basename_only = line.find('/') == npos;
  if (!p.basename_only && line.front() == '/') line.remove_prefix(1);
  p.never = !compile(line, !p.basename_only, p);
  for (auto t = p.tokens.rbegin(); t != p.tokens.rend() && t->op == Op::Literal; ++t)
    p.tail.insert(p.tail.begin(), char(t->ch));
  list.patterns.push_back(std::move(p));
}

// Parses gitignore text; null when it holds no pattern.
std::shared_ptr<const PatternList> parse(std::string_view text) {
  auto list = std::make_shared<PatternList>();
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    add_line(*list, text.substr(0, nl));
    text.remove_prefix(nl == npos ? text.size() : nl + 1);
  }
  if (list->patterns.empty()) return nullptr;
  list->index_ends();
  return list;
}

bool read_all(int fd, std::string& out) {
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out.size() + n > kMaxGitignoreSize) return false;
    out.append(buf, n);
  }
}

std::int64_t ns(const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

// git never tracks anything named .git, whatever the rules say; fsck --strict rejects
// any case of it.
bool is_dot_git(std::string_view name) {
  return name.size() == 4 && name[0] == '.' && (name[1] | 0x20) == 'g' && (name[2] | 0x20) == 'i' &&
         (name[3] | 0x20) == 't';
}

}  // namespace

bool detail::Pattern::matches(std::string_view text) const {
  // The last character first: most names fail there, without a call to memcmp.
  if (!tail.empty() && (text.empty() || text.back() != tail.back())) return false;
  return !never && text.ends_with(tail) && match_from(*this, 0, text, 0) == Outcome::Match;
}

bool IgnoreScope::is_ignored(std::string_view name, bool is_dir) const {
  if (all_ignored_ || is_dot_git(name)) return true;
  std::string path = dir_;
  if (!path.empty()) path += '/';
  path += name;
  // Deeper .gitignore files take precedence; within one, the last match wins.
  for (const IgnoreScope* s = rules_ ? this : outer_.get(); s; s = s->outer_.get()) {
    const std::string_view rel = std::string_view(path).substr(s->dir_.empty() ? 0 : s->dir_.size() + 1);
    if (const auto* m = s->rules_->last_match(rel, name, is_dir)) return !m->negated;
  }
  const auto* m = root_lists_->last_match(path, name, is_dir);
  return m && !m->negated;
}

IgnoreRules::IgnoreRules(int root_fd, std::vector<std::string> extra_patterns) : root_fd_(root_fd) {
  // One list, so that a user's "!pattern" can re-include what a default excludes.
  std::string text;
  for (const auto& line : default_ignore_patterns()) text += line + '\n';
  for (const auto& line : extra_patterns) text += line + '\n';
  root_lists_ = parse(text);
  if (!root_lists_) root_lists_ = std::make_shared<PatternList>();
}

bool IgnoreRules::is_ignored(std::string_view path, bool is_dir) const {
  // A directory's rules exist only when its parent did not ignore it, as in git.
  IgnoreScopePtr scope = root_scope();
  for (size_t slash = path.find('/'); slash != npos; slash = path.find('/', slash + 1)) {
    scope = child_scope(scope, path.substr(0, slash));
    if (scope->all_ignored()) return true;
  }
  const size_t last = path.rfind('/');
  return scope->is_ignored(last == npos ? path : path.substr(last + 1), is_dir);
}

IgnoreScopePtr IgnoreRules::root_scope() const {
  auto scope = std::shared_ptr<IgnoreScope>(new IgnoreScope);
  scope->root_lists_ = root_lists_;
  scope->rules_ = load("");
  return scope;
}

IgnoreScopePtr IgnoreRules::child_scope(const IgnoreScopePtr& parent, std::string_view dir_path) const {
  if (dir_path.empty()) return root_scope();
  if (!parent) throw std::invalid_argument("IgnoreRules::child_scope: no parent scope");
  auto scope = std::shared_ptr<IgnoreScope>(new IgnoreScope);
  scope->dir_ = dir_path;
  scope->root_lists_ = root_lists_;
  const size_t slash = dir_path.rfind('/');
  const auto name = slash == npos ? dir_path : dir_path.substr(slash + 1);
  scope->all_ignored_ = parent->is_ignored(name, true);
  if (!scope->all_ignored_) {
    scope->rules_ = load(scope->dir_);
    scope->outer_ = parent->rules_ ? parent : parent->outer_;
  }
  return scope;
}

std::shared_ptr<const PatternList> IgnoreRules::load(const std::string& dir_path) const {
  const std::string file = dir_path.empty() ? ".gitignore" : dir_path + "/.gitignore";
  struct stat st;
  // Like git, a symlinked .gitignore is not followed.
  if (stat_at(root_fd_, file, st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxGitignoreSize) {
    std::lock_guard lock(mutex_);
    cache_.erase(dir_path);
    return nullptr;
  }
  auto same = [&](const Cached& c) {
    return c.dev == st.st_dev && c.ino == st.st_ino && c.size == st.st_size && c.mtime_ns == ns(st.st_mtim) &&
           c.ctime_ns == ns(st.st_ctim);
  };
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(dir_path); it != cache_.end() && same(it->second)) return it->second.rules;
  }
  const int fd = open_at(root_fd_, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return nullptr;
  std::string text;
  // Stamp what is about to be read: a rewrite racing the read then shows up next time.
  const bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read_all(fd, text);
  close(fd);
  if (!ok) return nullptr;
  auto rules = parse(text);
  std::lock_guard lock(mutex_);
  cache_.insert_or_assign(dir_path, Cached{st.st_dev, st.st_ino, st.st_size, ns(st.st_mtim), ns(st.st_ctim), rules});
  return rules;
}

void IgnoreRules::invalidate(std::string_view dir_path) {
  std::lock_guard lock(mutex_);
  if (dir_path.empty()) {
    cache_.clear();
    return;
  }
  if (auto it = cache_.find(dir_path); it != cache_.end()) cache_.erase(it);
  const std::string prefix = std::string(dir_path) + '/';
  for (auto it = cache_.lower_bound(prefix); it != cache_.end() && it->first.starts_with(prefix);)
    it = cache_.erase(it);
}

}  // namespace histfs::gitstore
