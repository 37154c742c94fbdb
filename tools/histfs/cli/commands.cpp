#include "tools/histfs/cli/commands.hpp"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "tools/histfs/cli/control_client.hpp"
#include "tools/histfs/settings/config.hpp"
#include "tools/histfs/cli/offline_connect.hpp"

namespace histfs::cli {
namespace {

using nlohmann::json;
namespace stdfs = std::filesystem;

struct Common {
  std::string mount;  // --mount
  bool as_json = false;
  // Set by a command that can also work without a running daemon (connect --git-dir).
  std::function<std::optional<json>()> without_daemon;
};

// PATH as the user typed it (relative to the current directory) -> relative to the mount root.
std::string mount_relative(const MountRef& mount, const std::string& path) {
  if (path.empty()) return "";
  const stdfs::path absolute = stdfs::absolute(path).lexically_normal();
  const stdfs::path relative = absolute.lexically_relative(mount.mountpoint);
  const std::string text = relative.string();
  if (text.empty() || text == ".") return "";
  if (text == ".." || text.starts_with("../")) throw ClientError(path + " is not inside the mount " + mount.mountpoint);
  return text;
}

// The daemon's answers hold names and messages in the printable form (docs/user-guide.md), which
// is what is printed: a newline arrives as \x0a. The first line of such a text.
std::string first_line(const std::string& text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\') continue;
    if (text.compare(i, 4, "\\x0a") == 0) return text.substr(0, i);
    ++i;  // an escaped backslash or another \xHH: skip its second character
  }
  return text;
}

void print_commits(const json& commits) {
  for (const auto& c : commits)
    printf("%s  %s  %s\n", c["id"].get<std::string>().substr(0, 12).c_str(), c["time"].get<std::string>().c_str(),
           c["subject"].get<std::string>().c_str());
}

void print_restore(const json& r) {
  const bool dry = r["dry_run"];
  for (const auto& change : r["changes"])
    printf("%s %s\n", change["action"] == "delete" ? (dry ? "would delete" : "deleted") : (dry ? "would write" : "wrote"),
           change["path"].get<std::string>().c_str());
  if (r["changes"].empty()) printf("nothing to restore: the files already match %s\n", r["rev"].get<std::string>().substr(0, 12).c_str());
  else if (!dry) printf("committed %s\n", r["commit"].get<std::string>().substr(0, 12).c_str());
  if (r.contains("needs_allow_mass_delete"))
    printf("note: %s; the restore itself needs --allow-mass-delete\n", r["needs_allow_mass_delete"].get<std::string>().c_str());
}

void print_status(const json& s) {
  printf("mount:        %s\n", s["mountpoint"].get<std::string>().c_str());
  printf("backing dir:  %s\n", s["backing"].get<std::string>().c_str());
  if (s.contains("backing_problem") && !s["backing_problem"].is_null())
    printf("warning:      %s\n", s["backing_problem"].get<std::string>().c_str());
  printf("git dir:      %s\n", s["git_dir"].get<std::string>().c_str());
  if (s["head"].is_null()) {
    printf("HEAD:         (no commit yet)\n");
  } else {
    printf("HEAD:         %s %s\n", s["head"].get<std::string>().substr(0, 12).c_str(),
           s["last_commit"]["subject"].get<std::string>().c_str());
    printf("last commit:  %s\n", s["last_commit"]["time"].get<std::string>().c_str());
  }
  printf("pending:      %zu change(s) not yet committed\n", s["pending_changes"].get<size_t>());
  if (s["remote"].is_null()) {
    printf("remote:       none (histfs connect --remote URL)\n");
  } else {
    const json& r = s["remote"];
    auto text = [&](const char* key) { return r[key].is_null() ? std::string("never") : r[key].get<std::string>(); };
    printf("remote:       %s (%s)\n", r["url"].get<std::string>().c_str(), r["state"].get<std::string>().c_str());
    printf("last push:    %s\n", text("last_push").c_str());
    printf("last fetch:   %s\n", text("last_fetch").c_str());
    printf("last webhook: %s\n", text("last_webhook").c_str());
    if (!r["held"].is_null()) printf("push held:    %s\n", r["held"].get<std::string>().c_str());
    if (r.contains("pull_held") && !r["pull_held"].is_null())
      printf("pull held:    %s\n", r["pull_held"].get<std::string>().c_str());
    if (!r["refused"].is_null()) printf("pull refused: %s\n", r["refused"].get<std::string>().c_str());
    if (!r["last_error"].get<std::string>().empty()) printf("remote error: %s\n", r["last_error"].get<std::string>().c_str());
    for (const auto& c : r["conflicts"])
      printf("conflict:     %s (the remote's version is %s)\n", c["path"].get<std::string>().c_str(),
             c["copy"].get<std::string>().c_str());
  }
  if (!s["last_error"].get<std::string>().empty())
    printf("last error:   %s\n", s["last_error"].get<std::string>().c_str());
}

// Registers one subcommand whose work is: build a request, send it, print the answer.
CLI::App* add(CLI::App& app, const char* name, const char* help, std::shared_ptr<Common> common, bool json_option,
              std::function<json(const MountRef&)> request, std::function<void(const json&)> print) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("--mount", common->mount, "The mount point (default: the mount holding the current directory)");
  if (json_option) sub->add_flag("--json", common->as_json, "Print the answer as JSON");
  sub->callback([=] {
    try {
      std::optional<json> offline = common->without_daemon ? common->without_daemon() : std::nullopt;
      json answer = offline ? *offline : [&] {
        const MountRef mount = locate_mount(common->mount);
        return call_daemon(mount, request(mount));
      }();
      answer.erase("ok");
      if (common->as_json)
        printf("%s\n", answer.dump(2).c_str());
      else
        print(answer);
      // A push that is held or a pull that is refused did not do what it says: scripts must see it.
      if (answer.contains("held") || answer.contains("refused")) throw CLI::RuntimeError(1);
    } catch (const CLI::RuntimeError&) {
      throw;
    } catch (const std::exception& error) {
      fprintf(stderr, "histfs %s: %s\n", name, error.what());
      throw CLI::RuntimeError(1);
    }
  });
  return sub;
}

}  // namespace

void add_control_commands(CLI::App& app) {
  auto common = std::make_shared<Common>();

  add(app, "status", "Show the mount, its git dir, HEAD and pending changes", common, true,
      [](const MountRef&) { return json{{"command", "status"}}; }, print_status);

  add(app, "flush", "Commit pending changes now", common, true,
      [](const MountRef&) { return json{{"command", "flush"}}; },
      [](const json& a) { printf("HEAD is %s\n", a["head"].is_null() ? "unborn" : a["head"].get<std::string>().substr(0, 12).c_str()); });

  auto log_path = std::make_shared<std::string>();
  auto log_count = std::make_shared<size_t>(20);
  CLI::App* log = add(app, "log", "List commits, newest first, or those that changed PATH", common, true,
                      [=](const MountRef& m) {
                        return json{{"command", "log"}, {"path", mount_relative(m, *log_path)}, {"limit", *log_count}};
                      },
                      [](const json& a) { print_commits(a["commits"]); });
  log->add_option("PATH", *log_path, "A file or folder in the mount");
  log->add_option("-n", *log_count, "How many commits (default 20)")->check(CLI::PositiveNumber);

  auto snap_name = std::make_shared<std::string>();
  auto snap_message = std::make_shared<std::string>();
  CLI::App* snapshot = add(app, "snapshot", "Commit pending changes, then tag HEAD as a named snapshot", common, true,
                           [=](const MountRef&) {
                             return json{{"command", "snapshot"}, {"name", *snap_name}, {"message", *snap_message}};
                           },
                           [](const json& a) {
                             printf("snapshot %s at %s\n", a["name"].get<std::string>().c_str(),
                                    a["commit"].get<std::string>().substr(0, 12).c_str());
                           });
  snapshot->add_option("NAME", *snap_name, "Snapshot name (default: the UTC time, like 2026-11-24T10-00-00Z)");
  snapshot->add_option("-m,--message", *snap_message, "What this snapshot is");

  add(app, "snapshots", "List snapshots, newest first", common, true,
      [](const MountRef&) { return json{{"command", "snapshots"}}; },
      [](const json& a) {
        for (const auto& s : a["snapshots"])
          printf("%-28s %s  %s  %s\n", s["name"].get<std::string>().c_str(), s["time"].get<std::string>().c_str(),
                 s["commit"].get<std::string>().substr(0, 12).c_str(),
                 first_line(s["message"].get<std::string>()).c_str());
      });

  auto restore_path = std::make_shared<std::string>();
  auto restore_rev = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto mass_delete = std::make_shared<bool>(false);
  CLI::App* restore = add(app, "restore", "Bring a file, a folder or . back to how it was at REV", common, true,
                          [=](const MountRef& m) {
                            return json{{"command", "restore"},         {"path", mount_relative(m, *restore_path)},
                                        {"rev", *restore_rev},          {"dry_run", *dry_run},
                                        {"allow_mass_delete", *mass_delete}};
                          },
                          print_restore);
  restore->add_option("PATH", *restore_path, "A file, a folder, or . for everything")->required();
  restore->add_option("--to", *restore_rev, "A commit id or prefix, a snapshot, HEAD~N, or a UTC time")->required();
  restore->add_flag("--dry-run", *dry_run, "List what would change, change nothing");
  restore->add_flag("--allow-mass-delete", *mass_delete, "Allow deleting more than git.maxDelete files");

  auto remote_url = std::make_shared<std::string>();
  auto token_file = std::make_shared<std::string>();
  auto token_env = std::make_shared<std::string>();
  auto prefer = std::make_shared<std::string>();
  CLI::App* connect = add(app, "connect", "Back this mount up to a remote (and pull from it)", common, true,
                          [=](const MountRef&) {
                            return json{{"command", "connect"},
                                        {"remote", *remote_url},
                                        {"token_file", token_file->empty() ? "" : stdfs::absolute(*token_file).string()},
                                        {"token_env", *token_env},
                                        {"prefer", *prefer}};
                          },
                          [](const json& a) {
                            printf("connected to %s\n", a["remote"].get<std::string>().c_str());
                            const json& r = a["result"];
                            if (a.value("deferred", false))
                              printf(a["was_empty"].get<bool>() ? "the next mount pushes everything\n"
                                                                : "the next mount imports the remote's history\n");
                            else if (r.contains("imported")) {
                              printf("both sides' files kept (%zu written here), the remote's history merged in\n",
                                     r["files_changed"].get<size_t>());
                              for (const auto& p : r.value("replaced", json::array()))
                                printf("both had %s: kept the %s version (the other is in %s)\n",
                                       p["path"].get<std::string>().c_str(), p["kept"].get<std::string>().c_str(),
                                       p["other_in"].get<std::string>().c_str());
                              if (!r.value("kept_as_tag", std::string()).empty())
                                printf("the local state before the connect is tag %s\n",
                                       r["kept_as_tag"].get<std::string>().c_str());
                            }
                            else
                              printf("the remote was empty: pushed everything\n");
                          });
  connect->add_option("--remote", *remote_url, "https://..., http://..., file:///... or /path/to/bare.git")->required();
  auto* file_option = connect->add_option("--token-file", *token_file, "Read the access token from this file");
  connect->add_option("--token-env", *token_env, "Read the access token from this environment variable of the daemon")
      ->excludes(file_option);
  connect->add_option("--prefer", *prefer, "For a remote that already has history: local or remote")
      ->check(CLI::IsMember({"local", "remote"}));
  auto git_dir = std::make_shared<std::string>();
  connect->add_option("--git-dir", *git_dir, "Connect a git dir that is not mounted now (remembered for the next mount)");
  common->without_daemon = [=]() -> std::optional<json> {
    if (git_dir->empty()) return std::nullopt;
    settings::RemoteSettings settings;
    settings.url = *remote_url;
    settings.token_file = token_file->empty() ? "" : stdfs::absolute(*token_file).string();
    settings.token_env = *token_env;
    settings::Config checked;
    settings::apply_setting(checked, "git.repo", settings.url);  // no credentials in URLs
    return connect_offline(stdfs::absolute(*git_dir).lexically_normal().string(), settings, *prefer);
  };

  auto allow_delete = std::make_shared<bool>(false);
  CLI::App* push = add(app, "push", "Push to the remote now", common, true,
                       [=](const MountRef&) { return json{{"command", "push"}, {"allow_mass_delete", *allow_delete}}; },
                       [](const json& a) {
                         if (a.contains("held")) printf("push held: %s\n", a["held"].get<std::string>().c_str());
                         else if (a.value("pushed", false)) printf("pushed %s\n", a["head"].get<std::string>().substr(0, 12).c_str());
                         else printf("%s\n", a.value("reason", std::string("nothing to push")).c_str());
                       });
  push->add_flag("--allow-mass-delete", *allow_delete, "Push even though the commits delete more than git.maxDelete files");

  auto pull_allow_delete = std::make_shared<bool>(false);
  CLI::App* pull = add(app, "pull", "Fetch from the remote now and bring its changes into the files", common, true,
      [=](const MountRef&) { return json{{"command", "pull"}, {"allow_mass_delete", *pull_allow_delete}}; },
      [](const json& a) {
        if (a.contains("refused")) printf("pull refused: %s\n", a["refused"].get<std::string>().c_str());
        else if (a.contains("held")) printf("pull held: %s\n", a["held"].get<std::string>().c_str());
        else if (!a.value("pulled", false)) printf("%s\n", a.value("reason", std::string("nothing to pull")).c_str());
        else {
          printf("%s: %zu file(s) changed\n", a["fast_forward"].get<bool>() ? "fast-forward" : "merged",
                 a["files_changed"].get<size_t>());
          if (a.contains("conflicts"))
            for (const auto& c : a["conflicts"])
              printf("conflict: %s (the remote's version is %s)\n", c["path"].get<std::string>().c_str(),
                     c["copy"].get<std::string>().c_str());
        }
      });

  pull->add_flag("--allow-mass-delete", *pull_allow_delete,
                 "Apply the pull even though it deletes more than git.maxDelete files here");

  auto reconcile_path = std::make_shared<std::string>();
  CLI::App* reconcile = add(app, "reconcile", "Commit changes that reached the backing dir without the mount", common, true,
                            [=](const MountRef& m) {
                              return json{{"command", "reconcile"}, {"path", mount_relative(m, *reconcile_path)}};
                            },
                            [](const json& a) {
                              printf(a["committed"] ? "committed %s\n" : "nothing to commit\n",
                                     a["head"].is_null() ? "" : a["head"].get<std::string>().substr(0, 12).c_str());
                            });
  reconcile->add_option("PATH", *reconcile_path, "Only compare this file or folder");
}

}  // namespace histfs::cli
