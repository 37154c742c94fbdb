// What connect, push and pull print (--json prints the answer instead).
#include <cstdio>
#include <string>

#include "tools/histfs/commands/remote_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

// A connect to a remote that had history: both sides' files are kept, its history merged in.
void print_import(const json& r) {
  printf("both sides' files kept (%zu written here), the remote's history merged in\n",
         r["files_changed"].get<size_t>());
  for (const auto& p : r.value("replaced", json::array()))
    printf("both had %s: kept the %s version (the other is in %s)\n", p["path"].get<std::string>().c_str(),
           p["kept"].get<std::string>().c_str(), p["other_in"].get<std::string>().c_str());
  if (!r.value("kept_as_tag", std::string()).empty())
    printf("the local state before the connect is tag %s\n", r["kept_as_tag"].get<std::string>().c_str());
}

}  // namespace

void print_connect(const json& a) {
  if (a.contains("created_repo"))
    printf("created the private repository %s on GitHub\n", a["created_repo"].get<std::string>().c_str());
  printf("connected to %s\n", a["remote"].get<std::string>().c_str());
  const json& r = a["result"];
  if (a.value("deferred", false))
    printf(a["was_empty"].get<bool>() ? "the next mount pushes everything\n"
                                      : "the next mount imports the remote's history\n");
  else if (r.contains("imported"))
    print_import(r);
  else
    printf("the remote was empty: pushed everything\n");
}

void print_push(const json& a) {
  if (a.contains("held"))
    printf("push held: %s\n", a["held"].get<std::string>().c_str());
  else if (a.value("pushed", false))
    printf("pushed %s\n", a["head"].get<std::string>().substr(0, 12).c_str());
  else
    printf("%s\n", a.value("reason", std::string("nothing to push")).c_str());
}

void print_pull(const json& a) {
  if (a.contains("refused")) {
    printf("pull refused: %s\n", a["refused"].get<std::string>().c_str());
  } else if (a.contains("held")) {
    printf("pull held: %s\n", a["held"].get<std::string>().c_str());
  } else if (!a.value("pulled", false)) {
    printf("%s\n", a.value("reason", std::string("nothing to pull")).c_str());
  } else {
    printf("%s: %zu file(s) changed\n", a["fast_forward"].get<bool>() ? "fast-forward" : "merged",
           a["files_changed"].get<size_t>());
    if (a.contains("conflicts"))
      for (const auto& c : a["conflicts"])
        printf("conflict: %s (the remote's version is %s)\n", c["path"].get<std::string>().c_str(),
               c["copy"].get<std::string>().c_str());
  }
}

}  // namespace histfs::commands
