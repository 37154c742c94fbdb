#pragma once
// status and flush: what the mount is doing, and committing what is pending now.
#include <nlohmann/json.hpp>

#include "tools/histfs/daemon/context.hpp"

namespace histfs::commands {

nlohmann::json handle_status(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_status(const nlohmann::json& answer);

nlohmann::json handle_flush(daemon::DaemonContext& daemon, const nlohmann::json& request);
void print_flush(const nlohmann::json& answer);

}  // namespace histfs::commands
