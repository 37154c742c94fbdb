#pragma once
// gc: pack the git dir's loose objects now (daemon/housekeeping.hpp does it in the background).
#include <nlohmann/json.hpp>

#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

nlohmann::json handle_gc(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_gc(const nlohmann::json& answer);

}  // namespace histfs::commands
