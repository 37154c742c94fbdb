// What config get, set and list print (--json prints the answer instead).
#include <cstdio>
#include <string>

#include "tools/histfs/commands/config_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

std::string text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void print_set(const json& a) {
  const std::string key = text(a["key"]);
  std::printf("%s = %s (written to %s)\n", key.c_str(), text(a["value"]).c_str(), text(a["file"]).c_str());
  if (a.value("offline", false))
    std::printf(
        "a mount using this file: takes effect at its next mount, or at SIGHUP for keys that can change live\n");
  else if (a.value("applied", false))
    std::printf("in effect now\n");
  else
    std::printf("takes effect at the next mount\n");
  if (a.value("overridden", false))
    std::printf("note: the mount's command line sets %s too, and wins again at the next mount\n", key.c_str());
}

void print_list(const json& a) {
  std::printf("config file: %s\n", a["file"].is_null() ? "(none)" : text(a["file"]).c_str());
  std::size_t width = 0;
  for (const auto& entry : a["keys"]) width = std::max(width, text(entry["key"]).size());
  for (const auto& entry : a["keys"]) {
    std::printf("%-*s  %-14s  %s", static_cast<int>(width), text(entry["key"]).c_str(),
                ("(" + text(entry["origin"]) + ")").c_str(), text(entry["value"]).c_str());
    if (!entry["next_mount"].is_null()) std::printf("  [next mount: %s]", text(entry["next_mount"]).c_str());
    std::printf("\n");
  }
}

}  // namespace

void print_config(const json& answer) {
  const std::string action = answer.value("action", std::string());
  if (action == "set") return print_set(answer);
  if (action == "list") return print_list(answer);
  std::printf("%s\n", text(answer["value"]).c_str());
  if (!answer["next_mount"].is_null())
    std::fprintf(stderr, "note: set to %s, which takes effect at the next mount\n", text(answer["next_mount"]).c_str());
}

}  // namespace histfs::commands
