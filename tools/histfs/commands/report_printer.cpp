// What report prints (--json prints the answer instead).
#include <cstdio>
#include <string>

#include "tools/histfs/commands/report_commands.hpp"

namespace histfs::commands {

using nlohmann::json;

namespace {

std::string counts_text(const json& counts) {
  std::string text;
  for (const auto& [key, value] : counts.items()) {
    if (value.get<std::uint64_t>() == 0) continue;
    text += (text.empty() ? "" : ", ") + std::to_string(value.get<std::uint64_t>()) + " " + key;
  }
  return text.empty() ? "none" : text;
}

std::string seconds_text(const json& value) {
  if (value.is_null()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3g s", value.get<double>());
  return text;
}

std::string bytes_text(std::uint64_t bytes) {
  char text[32];
  if (bytes >= 1024 * 1024)
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
  else if (bytes >= 1024)
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  return text;
}

}  // namespace

void print_report(const json& a) {
  const json& latency = a["push_latency_seconds"];
  std::printf("since:          %s (the last %s)\n", a["since"].get<std::string>().c_str(),
              a["window"].get<std::string>().c_str());
  std::printf("commits:        %llu (%llu merges)\n",
              static_cast<unsigned long long>(a["commits"].get<std::uint64_t>()),
              static_cast<unsigned long long>(a["merges"].get<std::uint64_t>()));
  std::printf("files:          %llu changed (%llu added, %llu modified, %llu deleted)\n",
              static_cast<unsigned long long>(a["files_changed"].get<std::uint64_t>()),
              static_cast<unsigned long long>(a["files_added"].get<std::uint64_t>()),
              static_cast<unsigned long long>(a["files_modified"].get<std::uint64_t>()),
              static_cast<unsigned long long>(a["files_deleted"].get<std::uint64_t>()));
  std::printf("committed:      %s of new content\n", bytes_text(a["bytes_committed"].get<std::uint64_t>()).c_str());
  std::printf("counted since:  %s (pushes, pulls and the rest are the daemon's own counts)\n",
              a["counted_since"].get<std::string>().c_str());
  std::printf("pushes:         %s\n", counts_text(a["pushes"]).c_str());
  std::printf("push latency:   p50 %s, p99 %s (write to pushed, %zu pushes)\n", seconds_text(latency["p50"]).c_str(),
              seconds_text(latency["p99"]).c_str(), latency["samples"].get<std::size_t>());
  std::printf("pulls:          %s\n", counts_text(a["pulls_by_kind"]).c_str());
  std::printf("conflicts:      %llu\n", static_cast<unsigned long long>(a["conflicts"].get<std::uint64_t>()));
  std::printf("held:           %s\n", counts_text(a["held_by_operation"]).c_str());
  std::printf("LFS uploaded:   %s in %llu objects\n", bytes_text(a["lfs_bytes"].get<std::uint64_t>()).c_str(),
              static_cast<unsigned long long>(a["lfs_objects"].get<std::uint64_t>()));
  std::printf("webhooks:       %s\n", counts_text(a["webhooks"]).c_str());
}

}  // namespace histfs::commands
