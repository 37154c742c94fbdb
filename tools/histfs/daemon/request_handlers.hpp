#pragma once
// What the running daemon does for each control request (histfs status,
// flush, log, snapshot, snapshots, restore, reconcile, connect, push, pull).
// Runs on the control server's thread; commits still happen only on the
// committer thread.
#include <nlohmann/json.hpp>

#include "tools/histfs/daemon/context.hpp"

namespace histfs::daemon {

nlohmann::json handle_request(DaemonContext& daemon, const nlohmann::json& request);

}  // namespace histfs::daemon
