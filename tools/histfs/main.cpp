// histfs: a FUSE filesystem that versions a directory in git as it is written.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ctime>

#include "tools/histfs/cli/commands.hpp"
#include "tools/histfs/cli/mount_command.hpp"
#include "tools/histfs/cli/mount_helper.hpp"
#include "tools/histfs/cli/unmount_command.hpp"

int main(int argc, char** argv) {
  // glibc re-reads the zone on every mktime() when TZ is unset; naming the default keeps
  // threads (libgit2 signatures) from re-initialising it at once. Local time is unchanged.
  setenv("TZ", ":/etc/localtime", 0);
  tzset();
  CLI::App app{"histfs: a directory that versions itself in git"};
  app.set_version_flag("--version", "histfs 0.1.0");
  app.require_subcommand(1);
  histfs::cli::add_mount_command(app);
  histfs::cli::add_unmount_command(app);
  histfs::cli::add_control_commands(app);
  try {
    // `mount -t fuse.histfs` (and fstab) runs `histfs SOURCE MOUNTPOINT -o OPTS`: a `histfs mount`.
    if (auto mount_args = histfs::cli::mount_helper_arguments(app, argc, argv))
      app.parse(*mount_args);
    else
      app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int code = app.exit(error);
    // Usage mistakes exit 2, like most Unix tools; --help exits 0.
    return code == 0 ? 0 : (dynamic_cast<const CLI::RuntimeError*>(&error) ? error.get_exit_code() : 2);
  }
  return 0;
}
