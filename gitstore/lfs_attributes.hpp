#pragma once
// The LFS side of the root .gitattributes: which paths it marks `filter=lfs`, and the block
// of lines histfs keeps in it. Lines look as `git lfs track` writes them:
//   *.png filter=lfs diff=lfs merge=lfs -text
// histfs owns only the lines between its two marker comments (the patterns of
// git.lfs.track, then one anchored line per file selected by size); every other line is the
// user's and is kept as it is, in its place.
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace histfs::gitstore {

inline constexpr std::string_view kLfsBlockBegin =
    "# histfs: Git LFS (kept by histfs from git.lfs.track and git.lfs.sizeThreshold; your own lines go outside)";
inline constexpr std::string_view kLfsBlockEnd = "# histfs: end of Git LFS";
inline constexpr std::string_view kLfsAttributes = "filter=lfs diff=lfs merge=lfs -text";

// git.lfs.track when the config does not set it: common media and archives.
const std::vector<std::string>& default_lfs_track();

// gitattributes pattern matching (gitignore(5) rules without negation): a pattern without a
// slash matches the name at any depth; one with a slash matches the whole path from the
// root; `**` spans folders; `*`, `?`, `[...]` and backslash escapes are fnmatch's.
bool attribute_pattern_matches(std::string_view pattern, std::string_view path);

// The pattern of an anchored line for one file, escaped as git-lfs escapes it (spaces as
// [[:space:]], glob characters with a backslash).
std::string exact_path_pattern(std::string_view path);

// What one .gitattributes text says about the `filter` attribute.
class LfsAttributes {
 public:
  LfsAttributes() = default;
  explicit LfsAttributes(std::string_view text);
  // True when the last line whose pattern matches `path` and that sets or unsets `filter`
  // sets it to lfs (git's rule: later lines win).
  bool is_lfs(std::string_view path) const;

 private:
  struct Line {
    std::string pattern;
    bool lfs;
  };
  std::vector<Line> lines_;
};

// The files named by the anchored lines inside histfs's block of `text`.
std::set<std::string> managed_lfs_paths(std::string_view text);

// `text` with histfs's block holding `patterns` then one anchored line per `paths`: the
// block replaced where it stands, or appended; removed when both are empty. Lines outside
// the block are kept byte for byte.
std::string with_lfs_block(std::string_view text, const std::vector<std::string>& patterns,
                           const std::set<std::string>& paths);

}  // namespace histfs::gitstore
