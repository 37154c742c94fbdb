#include "tools/histfs/commands/request_paths.hpp"

#include <filesystem>

#include "gitstore/history.hpp"
#include "gitstore/printable.hpp"
#include "tools/histfs/cli/control_client.hpp"

namespace histfs::commands {

namespace stdfs = std::filesystem;

std::string request_path(const cli::MountRef& mount, const std::string& typed) {
  if (typed.empty()) return "";
  const stdfs::path absolute = stdfs::absolute(typed).lexically_normal();
  const stdfs::path relative = absolute.lexically_relative(mount.mountpoint);
  const std::string text = relative.string();
  if (text.empty() || text == ".") return "";
  if (text == ".." || text.starts_with("../"))
    throw cli::ClientError(typed + " is not inside the mount " + mount.mountpoint);
  return gitstore::printable(text);
}

std::string checked_path(const nlohmann::json& request) {
  const std::string shown = request.value("path", std::string());  // the printable form, for messages
  const stdfs::path normal = stdfs::path(gitstore::unprintable(shown)).lexically_normal();
  std::string text = normal.string();
  if (text == "." || text == "./") text.clear();
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (!text.empty() && (normal.is_absolute() || text == ".." || text.starts_with("../")))
    throw gitstore::HistoryError("path " + shown + " is outside the mount");
  if (text == ".history" || text.starts_with(".history/"))
    throw gitstore::HistoryError("paths under .history are read-only history");
  return text;
}

}  // namespace histfs::commands
