#include "tools/histfs/settings/config_file_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace histfs::settings {
namespace {

using ordered_json = nlohmann::ordered_json;

std::string why(int error) { return std::strerror(error); }

// Closes the descriptor and removes the temporary file unless it was renamed into place.
struct TempFile {
  std::string path;
  int fd = -1;
  bool renamed = false;
  ~TempFile() {
    if (fd >= 0) close(fd);
    if (!renamed && !path.empty()) unlink(path.c_str());
  }
};

void write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t count = write(fd, text.data() + done, text.size() - done);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw ConfigError("cannot write " + path + ": " + why(errno));
    done += static_cast<std::size_t>(count);
  }
}

// Replaces `target` with `text` so that a reader sees the old file or the new one, never a part.
void replace_file(const std::string& target, const std::string& text) {
  struct stat st {};
  if (stat(target.c_str(), &st) != 0) throw ConfigError("cannot read config file " + target + ": " + why(errno));
  const std::filesystem::path path(target);
  TempFile temp;
  std::string pattern = (path.parent_path() / ("." + path.filename().string() + ".histfs-XXXXXX")).string();
  temp.fd = mkostemp(pattern.data(), O_CLOEXEC);
  if (temp.fd < 0)
    throw ConfigError("cannot write beside config file " + target + " (" + path.parent_path().string() +
                      "): " + why(errno));
  temp.path = pattern;
  // The file keeps its owner, group and mode: an administrator's 0640 root:histfs stays so.
  if (fchown(temp.fd, st.st_uid, st.st_gid) != 0 && (st.st_uid != geteuid() || errno != EPERM))
    throw ConfigError("cannot give the new " + target + " its owner and group: " + why(errno));
  if (fchmod(temp.fd, st.st_mode & 07777) != 0)
    throw ConfigError("cannot set the mode of " + temp.path + ": " + why(errno));
  write_all(temp.fd, text, temp.path);
  if (fsync(temp.fd) != 0) throw ConfigError("cannot write " + temp.path + ": " + why(errno));
  if (rename(temp.path.c_str(), target.c_str()) != 0)
    throw ConfigError("cannot replace config file " + target + ": " + why(errno));
  temp.renamed = true;
  // The rename itself is durable once the directory is.
  const int dir = open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

}  // namespace

Config set_in_config_file(const std::string& path, std::string_view key, std::string_view value) {
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) throw ConfigError("cannot read config file " + path + ": " + why(errno));
  const std::string target = resolved;
  Config changed = load_config_file(target);  // a file that is wrong now is reported, not rewritten
  apply_setting(changed, key, value);

  std::ifstream in(target);
  std::stringstream text;
  text << in.rdbuf();
  ordered_json document = ordered_json::parse(text.str(), nullptr, false);
  if (!document.is_object()) throw ConfigError(target + ": changed while being read; try again");
  std::string pointer = "/" + std::string(key);
  for (char& c : pointer)
    if (c == '.') c = '/';
  document[ordered_json::json_pointer(pointer)] = ordered_json::parse(get_setting_json(changed, key).dump());
  const std::string new_text = document.dump(2) + "\n";
  Config result = parse_config_json(new_text, target);  // the cross-key checks, as at start-up
  replace_file(target, new_text);
  return result;
}

}  // namespace histfs::settings
