#pragma once
// What the running daemon does for each control request (histfs status,
// flush, log, snapshot, snapshots, restore, reconcile, connect, push, pull).
// Runs on the request's own thread (control_server.hpp), several at once;
// commits still happen only on the committer thread. The request has passed
// protocol::parse_request, so its fields have the types the handlers read.
#include <nlohmann/json.hpp>

#include "tools/histfs/daemon/context.hpp"

namespace histfs::daemon {

nlohmann::json handle_request(DaemonContext& daemon, const nlohmann::json& request);

}  // namespace histfs::daemon
