#include "tools/histfs/cli/mount_helper.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>

namespace histfs::cli {
namespace {

// Read by mount(8), fstab, systemd's fstab generator or mount.fuse3, never by the kernel; most
// are removed before histfs sees them, but a helper called by hand may pass them on. `rw` is
// the default (`ro` is not here: it makes the mount read-only).
constexpr std::array kMountOnly = {"defaults", "auto",   "noauto", "_netdev", "nofail", "user",
                                   "users",    "nouser", "owner",  "group",   "rw"};
constexpr std::array kMountOnlyPrefixes = {"x-", "comment="};

// The kernel and libfuse options histfs passes through to -o (the ones libfuse accepts from a
// filesystem). fsname= and subtype= are histfs's own: the CLI finds a daemon through them.
constexpr std::array kKernel = {"ro",          "suid",    "nosuid",      "dev",        "nodev",
                                "exec",        "noexec",  "sync",        "async",      "dirsync",
                                "atime",       "noatime", "allow_other", "allow_root", "default_permissions",
                                "auto_unmount"};
constexpr std::array kKernelWithValue = {
    "max_read=", "blksize=", "context=", "fscontext=", "defcontext=", "rootcontext="};

// `histfs mount` flags that make no sense from a -o list.
constexpr std::array kNotFromOptions = {"help", "o"};

template <size_t N>
bool is_one_of(std::string_view word, const std::array<const char*, N>& list) {
  return std::any_of(list.begin(), list.end(), [&](const char* entry) { return word == entry; });
}

template <size_t N>
bool starts_with_one_of(std::string_view word, const std::array<const char*, N>& list) {
  return std::any_of(list.begin(), list.end(), [&](const char* prefix) { return word.starts_with(prefix); });
}

bool names_subcommand(const CLI::App& app, const std::string& word) {
  const std::function<bool(const CLI::App*)> named = [&](const CLI::App* sub) { return sub->check_name(word); };
  return !app.get_subcommands(named).empty();
}

// The `histfs mount` flag an option names: git_dir -> --git-dir; nullptr when there is none.
const CLI::Option* mount_flag(const CLI::App& mount, const std::string& key) {
  std::string name = key;
  std::replace(name.begin(), name.end(), '_', '-');
  if (is_one_of(name, kNotFromOptions)) return nullptr;
  return mount.get_option_no_throw(name.size() == 1 ? "-" + name : "--" + name);
}

// The `histfs mount` options (flags first, then the one -o) that a -o list means.
std::vector<std::string> translate(const CLI::App& mount, const std::vector<std::string>& words) {
  std::vector<std::string> flags, kernel, unknown, mistakes;
  for (const std::string& word : words) {
    const size_t equals = word.find('=');
    const std::string key = word.substr(0, equals);
    if (is_one_of(word, kMountOnly) || starts_with_one_of(word, kMountOnlyPrefixes)) continue;
    if (is_one_of(word, kKernel) || starts_with_one_of(word, kKernelWithValue)) {
      kernel.push_back(word);
    } else if (const CLI::Option* flag = mount_flag(mount, key)) {
      const bool takes_value = flag->get_expected_max() > 0;  // a flag expects 0 values
      if (takes_value && equals == std::string::npos)
        mistakes.push_back(key + " needs a value (" + key + "=...)");
      else if (!takes_value && equals != std::string::npos)
        mistakes.push_back(key + " takes no value");
      else
        flags.push_back(flag->get_lnames().empty() ? "-" + flag->get_snames().front()
                                                   : "--" + flag->get_lnames().front());
      if (takes_value && equals != std::string::npos) flags.push_back(word.substr(equals + 1));
    } else {
      unknown.push_back(word);
    }
  }
  if (!unknown.empty()) {
    std::string message = "unknown mount option(s): " + CLI::detail::join(unknown, ", ");
    message +=
        " (histfs takes the `histfs mount` flags as options, e.g. git_dir=DIR,config=FILE,set=KEY=VALUE, "
        "kernel options such as ro,noatime,allow_other, and fstab's own such as defaults,_netdev,nofail)";
    mistakes.insert(mistakes.begin(), message);
  }
  if (!mistakes.empty()) throw CLI::ValidationError("-o", CLI::detail::join(mistakes, "; "));
  if (!kernel.empty()) {
    flags.push_back("-o");
    flags.push_back(CLI::detail::join(kernel, ","));
  }
  return flags;
}

}  // namespace

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::optional<std::vector<std::string>> mount_helper_arguments(const CLI::App& app, int argc, const char* const* argv) {
  // histfs SOURCE MOUNTPOINT -o OPTS [-o OPTS]...: mount.fuse3 always passes -o, so a first word
  // that names no subcommand, with a -o after it, is a mount; anything else is left to CLI11.
  const std::vector<std::string> given(argv + 1, argv + argc);
  if (given.empty() || given[0].starts_with('-') || names_subcommand(app, given[0]) ||
      std::find(given.begin(), given.end(), "-o") == given.end())
    return std::nullopt;
  const std::string usage = " (histfs SOURCE MOUNTPOINT -o OPTIONS, as mount.fuse3 calls it)";
  if (given.size() < 2 || given[1] == "-o")
    throw CLI::ValidationError("MOUNTPOINT", "the mount point is missing" + usage);
  std::vector<std::string> words;
  for (size_t i = 2; i < given.size(); i += 2) {
    if (given[i] != "-o") throw CLI::ValidationError(given[i], "unexpected here" + usage);
    if (i + 1 == given.size()) throw CLI::ValidationError("-o", "the option list is missing" + usage);
    for (auto& word : split_commas(given[i + 1])) words.push_back(word);
  }
  std::vector<std::string> args = {"mount", given[0], given[1]};
  for (auto& word : translate(*app.get_subcommand("mount"), words)) args.push_back(word);
  std::reverse(args.begin(), args.end());
  return args;
}

}  // namespace histfs::cli
