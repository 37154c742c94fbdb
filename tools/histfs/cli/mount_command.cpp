#include "tools/histfs/cli/mount_command.hpp"

#include <cstdio>
#include <memory>

#include "tools/histfs/daemon/daemon.hpp"
#include "tools/histfs/settings/config.hpp"

namespace histfs::cli {

using daemon::MountArguments;
using daemon::UsageError;
using settings::ConfigError;

void add_mount_command(CLI::App& app) {
  auto args = std::make_shared<MountArguments>();
  CLI::App* mount = app.add_subcommand("mount", "Mount BACKING at MOUNTPOINT and version every change in git");
  mount->add_option("BACKING", args->backing, "The directory that holds the files")->required();
  mount->add_option("MOUNTPOINT", args->mountpoint, "Where to expose it (may be BACKING itself)")->required();
  mount->add_option("--git-dir", args->git_dir, "Bare git repository (default: BACKING.git beside BACKING)");
  mount->add_flag("-f,--foreground", args->foreground, "Stay in the foreground");
  mount->add_option("-o", args->fuse_options, "FUSE mount options, comma-separated (e.g. ro,allow_other)");
  mount->add_option("--config", args->config_file, "JSON config file (see docs/user-guide.md)");
  mount->add_option("--set", args->settings, "Override one config key: --set git.commitQuiet=500ms");
  mount->add_option("--commit-quiet", args->commit_quiet, "Same as --set git.commitQuiet=...");
  mount->add_option("--commit-max-delay", args->commit_max_delay, "Same as --set git.commitMaxDelay=...");
  mount->add_option("--log-level", args->log_level, "trace, debug, info, warn, error or off");
  mount->add_option("--log-file", args->log_file, "Also write the log to this file");
  mount->add_flag("--no-git", args->no_git, "Plain passthrough, no versioning (git.enabled=false)");
  mount->add_flag("--xattr", args->xattr,
                  "Pass extended attributes through (off by default: then `ls -l` and every write cost a round trip "
                  "more per file)");
  mount
      ->add_option("--history", args->history,
                   "The read-only .history/ tree: hidden (reachable by path, not listed; default), visible, or off")
      ->check(CLI::IsMember({"hidden", "visible", "off"}));
  mount->add_flag("--debug-fuse", args->debug_fuse, "Print every FUSE request (implies -f)");
  mount->callback([args] {
    if (args->debug_fuse) args->foreground = true;
    try {
      int status = daemon::run_daemon(*args);
      if (status != 0) throw CLI::RuntimeError(status);
    } catch (const UsageError& error) {
      fprintf(stderr, "histfs mount: %s\n", error.what());
      throw CLI::RuntimeError(2);
    } catch (const ConfigError& error) {
      fprintf(stderr, "histfs mount: %s\n", error.what());
      throw CLI::RuntimeError(2);
    } catch (const CLI::RuntimeError&) {
      throw;
    } catch (const std::exception& error) {
      fprintf(stderr, "histfs mount: %s\n", error.what());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace histfs::cli
