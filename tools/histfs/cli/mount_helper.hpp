#pragma once
// The mount(8) calling convention. `mount -t fuse.histfs BACKING MOUNTPOINT -o OPTS` (and an
// fstab line of type fuse.histfs) runs mount.fuse3, which runs `histfs BACKING MOUNTPOINT -o OPTS`
// with the fstab options less the ones mount(8) and mount.fuse3 keep for themselves.
// This turns such a call into the `histfs mount` call it means:
//   - an option named like a `histfs mount` flag (git_dir=DIR, config=FILE, set=KEY=VALUE,
//     commit_quiet=2s, xattr, ...: `_` for `-`) becomes that flag;
//   - a kernel or FUSE mount option (ro, noatime, nosuid, allow_other, ...) goes to -o;
//   - an option only mount(8), fstab or systemd read (defaults, noauto, _netdev, nofail,
//     user, x-systemd.*, comment=, rw, ...) is dropped;
//   - anything else is an error naming it: a typo must not leave a default in place.
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace histfs::cli {

// "a,b,,c" -> {"a", "b", "c"}: the words of a -o option list (empty ones dropped).
std::vector<std::string> split_commas(const std::string& text);

// nullopt unless argv is a mount(8) call: a first word that names no subcommand of `app`, and a
// -o after it. Then the arguments of the equivalent `histfs mount ...` call, in reverse order as
// CLI::App::parse(std::vector<std::string>&) takes them. Throws CLI::ValidationError for a call
// not of the form `histfs SOURCE MOUNTPOINT -o OPTS...`, and naming every unknown option.
std::optional<std::vector<std::string>> mount_helper_arguments(const CLI::App& app, int argc, const char* const* argv);

}  // namespace histfs::cli
