// What log, snapshot, snapshots, restore and reconcile print (--json prints the answer instead).
// Names and messages arrive in the printable form (docs/user-guide.md), which is what is printed.
#include <cstdio>
#include <string>

#include "tools/histfs/commands/history_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

// The first line of a text in the printable form, where a newline is \x0a.
std::string first_line(const std::string& text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '\\') continue;
    if (text.compare(i, 4, "\\x0a") == 0) return text.substr(0, i);
    ++i;  // an escaped backslash or another \xHH: skip its second character
  }
  return text;
}

std::string short_id(const json& id) { return id.get<std::string>().substr(0, 12); }

}  // namespace

void print_log(const json& a) {
  for (const auto& c : a["commits"])
    printf("%s  %s  %s\n", short_id(c["id"]).c_str(), c["time"].get<std::string>().c_str(),
           c["subject"].get<std::string>().c_str());
}

void print_snapshot(const json& a) {
  printf("snapshot %s at %s\n", a["name"].get<std::string>().c_str(), short_id(a["commit"]).c_str());
}

void print_snapshots(const json& a) {
  for (const auto& s : a["snapshots"])
    printf("%-28s %s  %s  %s\n", s["name"].get<std::string>().c_str(), s["time"].get<std::string>().c_str(),
           short_id(s["commit"]).c_str(), first_line(s["message"].get<std::string>()).c_str());
}

void print_restore(const json& r) {
  const bool dry = r["dry_run"];
  for (const auto& change : r["changes"])
    printf("%s %s\n",
           change["action"] == "delete" ? (dry ? "would delete" : "deleted") : (dry ? "would write" : "wrote"),
           change["path"].get<std::string>().c_str());
  if (r["changes"].empty())
    printf("nothing to restore: the files already match %s\n", short_id(r["rev"]).c_str());
  else if (!dry)
    printf("committed %s\n", short_id(r["commit"]).c_str());
  if (r.contains("needs_allow_mass_delete"))
    printf("note: %s; the restore itself needs --allow-mass-delete\n",
           r["needs_allow_mass_delete"].get<std::string>().c_str());
}

void print_reconcile(const json& a) {
  printf(a["committed"] ? "committed %s\n" : "nothing to commit\n",
         a["head"].is_null() ? "" : short_id(a["head"]).c_str());
}

}  // namespace histfs::commands
