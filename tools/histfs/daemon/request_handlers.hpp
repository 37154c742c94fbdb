#pragma once
// Dispatches a control request to its command's handler (commands/command_table.hpp).
// Runs on the request's own thread (control_server.hpp), several at once;
// commits still happen only on the committer thread. The request has passed
// protocol::parse_request, so its fields have the types the handlers read.
#include <nlohmann/json.hpp>

#include "tools/histfs/daemon/context.hpp"

namespace histfs::daemon {

nlohmann::json handle_request(DaemonContext& daemon, const nlohmann::json& request);

}  // namespace histfs::daemon
