// What status and flush print (--json prints the answer instead). Names arrive in the printable form.
#include <cstdio>
#include <string>

#include "tools/histfs/commands/progress_json.hpp"
#include "tools/histfs/commands/status_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

// How git authenticates: a GitHub App shows its installation and when its token expires (never the token).
void print_auth(const json& a) {
  const std::string kind = a.value("kind", std::string());
  if (kind != "github-app") {
    printf("auth:         %s\n", kind.c_str());
    return;
  }
  printf("auth:         GitHub App %s, installation %s, token expires %s\n", a.value("app_id", std::string()).c_str(),
         a.value("installation_id", std::string()).c_str(),
         a.value("token_expires_at", std::string("(none yet)")).c_str());
  if (a.contains("last_api_error")) printf("API error:    %s\n", a["last_api_error"].get<std::string>().c_str());
}

void print_remote(const json& r) {
  auto text = [&](const char* key) { return r[key].is_null() ? std::string("never") : r[key].get<std::string>(); };
  std::string state = r["state"].get<std::string>();
  if (r.contains("progress") && !r["progress"].is_null()) {
    const json& p = r["progress"];
    const auto total = p["objects_total"].get<size_t>();
    state += ": " + std::to_string(p["objects_done"].get<size_t>()) + (total ? "/" + std::to_string(total) : "") +
             " objects, " + std::to_string(p["bytes"].get<size_t>() / 1024) + " KiB";
  }
  printf("remote:       %s (%s)\n", r["url"].get<std::string>().c_str(), state.c_str());
  if (r.contains("auth")) print_auth(r["auth"]);
  printf("last push:    %s\n", text("last_push").c_str());
  printf("last fetch:   %s\n", text("last_fetch").c_str());
  printf("last webhook: %s\n", text("last_webhook").c_str());
  if (!r["held"].is_null()) printf("push held:    %s\n", r["held"].get<std::string>().c_str());
  if (r.contains("pull_held") && !r["pull_held"].is_null())
    printf("pull held:    %s\n", r["pull_held"].get<std::string>().c_str());
  if (!r["refused"].is_null()) printf("pull refused: %s\n", r["refused"].get<std::string>().c_str());
  if (r.contains("head_warning") && !r["head_warning"].is_null())
    printf("remote HEAD:  %s\n", r["head_warning"].get<std::string>().c_str());
  if (!r["last_error"].get<std::string>().empty())
    printf("remote error: %s\n", r["last_error"].get<std::string>().c_str());
  if (r.contains("lfs")) {
    const json& lfs = r["lfs"];
    if (lfs["unpushed_objects"].get<std::uint64_t>() > 0)
      printf("LFS to push:  %llu object(s), %llu KiB\n",
             (unsigned long long)lfs["unpushed_objects"].get<std::uint64_t>(),
             (unsigned long long)(lfs["unpushed_bytes"].get<std::uint64_t>() / 1024));
    if (!lfs["progress"].is_null()) {
      const json& p = lfs["progress"];
      printf("LFS transfer: %llu/%llu object(s), %llu/%llu KiB\n",
             (unsigned long long)p["objects_done"].get<std::uint64_t>(),
             (unsigned long long)p["objects_total"].get<std::uint64_t>(),
             (unsigned long long)(p["bytes_done"].get<std::uint64_t>() / 1024),
             (unsigned long long)(p["bytes_total"].get<std::uint64_t>() / 1024));
    }
  }
  for (const auto& c : r["conflicts"])
    printf("conflict:     %s (the remote's version is %s)\n", c["path"].get<std::string>().c_str(),
           c["copy"].get<std::string>().c_str());
}

}  // namespace

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
  if (s.contains("lfs") && s["lfs"]["objects"].get<std::uint64_t>() > 0)
    printf("LFS store:    %llu object(s), %llu KiB\n", (unsigned long long)s["lfs"]["objects"].get<std::uint64_t>(),
           (unsigned long long)(s["lfs"]["bytes"].get<std::uint64_t>() / 1024));
  if (s.contains("lfs") && s["lfs"].value("importing", 0) > 0)
    printf("LFS import:   %d large file(s) being imported; committed once imported\n",
           s["lfs"]["importing"].get<int>());
  if (s.contains("memory"))
    printf("memory:       %zu inode(s) held by the kernel (%zu fd(s) open), %zu file(s) in the stat cache\n",
           s["memory"]["inodes_known"].get<size_t>(), s["memory"]["inode_fds_open"].get<size_t>(),
           s["memory"]["stat_cache_entries"].get<size_t>());
  if (s["remote"].is_null())
    printf("remote:       none (histfs connect --remote URL)\n");
  else
    print_remote(s["remote"]);
  if (!s["last_error"].get<std::string>().empty())
    printf("last error:   %s\n", s["last_error"].get<std::string>().c_str());
  for (const auto& skipped : s.value("skipped", json::array()))
    printf("not in git:   %s\n", skipped.get<std::string>().c_str());
  for (const auto& task : s.value("progress", json::array())) printf("in progress:  %s\n", progress_text(task).c_str());
  if (s.contains("housekeeping") && !s["housekeeping"].is_null()) {
    const json& h = s["housekeeping"];
    printf("objects:      about %zu loose (packed above %d); %lu pack(s) made since start-up in %.1f s\n",
           h["loose_estimate"].get<size_t>(), h["threshold"].get<int>(), h["packs"].get<unsigned long>(),
           h["seconds_packing"].get<double>());
    if (!h["last_error"].get<std::string>().empty())
      printf("housekeeping: %s\n", h["last_error"].get<std::string>().c_str());
  }
}

void print_flush(const json& a) {
  printf("HEAD is %s\n", a["head"].is_null() ? "unborn" : a["head"].get<std::string>().substr(0, 12).c_str());
}

}  // namespace histfs::commands
