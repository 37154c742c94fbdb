#include "tools/histfs/daemon/request_handlers.hpp"

#include <mutex>
#include <stdexcept>
#include <string>

#include "tools/histfs/commands/command_table.hpp"

namespace histfs::daemon {
namespace {

// Requests run on threads of their own (control_server.hpp). Those that change files or history
// from here (Command::one_at_a_time: snapshot, restore, reconcile, connect) run one at a time, as
// they did when one thread served every request (two connects would both find no remote);
// status, flush, log and snapshots never wait for them, and push and pull queue on the remote
// sync's thread. Lock order: taken before DaemonContext::mount_writer.
std::mutex changing_requests;

}  // namespace

// The answers hold names (paths, subjects) as they are; protocol::answer_line writes them in the
// printable form.
nlohmann::json handle_request(DaemonContext& d, const nlohmann::json& request) {
  const std::string name = request["command"];
  const commands::Command* command = commands::find_command(name);
  if (!command) throw std::invalid_argument("unknown command " + name);
  if (!command->one_at_a_time) return command->handle(d, request);
  std::lock_guard lock(changing_requests);
  return command->handle(d, request);
}

}  // namespace histfs::daemon
