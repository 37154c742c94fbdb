// The daemon's side of gc and what it prints.
#include "tools/histfs/commands/gc_command.hpp"

#include <cstdio>
#include <stdexcept>

#include "tools/histfs/daemon/housekeeping.hpp"

namespace histfs::commands {

using nlohmann::json;

json handle_gc(daemon::DaemonContext& d, const json&) {
  if (!d.housekeeping) throw std::invalid_argument("this mount keeps no git history (git.enabled is false)");
  return d.housekeeping->pack_now();
}

void print_gc(const json& a) {
  if (a["pack"].is_null()) {
    std::printf("nothing to pack: no loose objects\n");
    return;
  }
  std::printf("packed %zu loose objects (%.1f MiB) into %s (%.1f MiB) in %.1f s; %zu loose objects left\n",
              a["removed"].get<std::size_t>(), a["loose_bytes"].get<double>() / 1048576.0,
              a["pack"].get<std::string>().c_str(), a["pack_bytes"].get<double>() / 1048576.0,
              a["seconds"].get<double>(), a["loose_left"].get<std::size_t>());
}

}  // namespace histfs::commands
