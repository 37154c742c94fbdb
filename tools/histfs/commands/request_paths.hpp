#pragma once
// PATH arguments on their way from the user's shell to a handler. A file name may be any bytes,
// a JSON request only UTF-8: the client sends a path in the printable form (gitstore/printable.hpp)
// and the daemon turns it back into bytes, so `histfs log $'caf\xff.md'` names that very file.
#include <string>

#include <nlohmann/json.hpp>

namespace histfs::cli {
struct MountRef;
}

namespace histfs::commands {

// Client: PATH as the user typed it (relative to the current directory) -> relative to the mount
// root, in the printable form. A ClientError when it is outside the mount.
std::string request_path(const cli::MountRef& mount, const std::string& typed);

// Daemon: the request's "path" as bytes, checked: no "..", no absolute path, not inside .history.
// "" is the mount root. Throws gitstore::HistoryError.
std::string checked_path(const nlohmann::json& request);

}  // namespace histfs::commands
