#pragma once
// Every control command once (histfs status, flush, log, snapshot, snapshots, restore, reconcile,
// connect, push, pull), in the manner of libgit2's examples/lg2.c: one entry holds the name, the
// help line, the fields of its request, the CLI options that build the request, the daemon's
// handler and the printer of its answer. The CLI registers its subcommands by walking the table
// (cli/commands.cpp), the daemon dispatches through it (daemon/request_handlers.cpp) and
// protocol::parse_request checks a request's fields against it: adding a command is one entry.
// `histfs mount` is not a control command (cli/mount_command.cpp).
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tools/histfs/protocol/control_protocol.hpp"

namespace CLI {
class App;
}

namespace histfs::cli {
struct MountRef;
}

namespace histfs::daemon {
struct DaemonContext;
}

namespace histfs::commands {

// The client side of one command once its options are added to its subcommand: the request the
// parsed options make, and, for a command that can also work without a running daemon (connect
// --git-dir), the answer made without one (nullopt: ask the daemon).
struct ClientSide {
  std::function<nlohmann::json(const cli::MountRef& mount)> request;
  std::function<std::optional<nlohmann::json>()> without_daemon{};
};

struct Command {
  std::string_view name;
  std::string_view help;
  // Every field the handler reads and its type: parse_request refuses any other type, so the
  // handler's request.value(...) never throws.
  std::initializer_list<protocol::Field> fields;
  ClientSide (*add_options)(CLI::App& subcommand);
  nlohmann::json (*handle)(daemon::DaemonContext& daemon, const nlohmann::json& request);
  void (*print)(const nlohmann::json& answer);  // the human output; --json prints the answer instead
  // Changes files or history from the control thread: runs one at a time (request_handlers.cpp).
  bool one_at_a_time = false;
};

// In the order `histfs --help` lists them.
std::span<const Command> command_table();

// nullptr for a name that is not a control command.
const Command* find_command(std::string_view name);

}  // namespace histfs::commands
