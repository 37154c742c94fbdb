#pragma once
// Where each config key's value came from, for `histfs config list`: its default, the config
// file, the mount's command line (which overrides the file), or `histfs config set` since.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/histfs/settings/config.hpp"

namespace histfs::settings {

enum class Origin { Default, File, CommandLine, Set };

// "default", "file", "command line", "set".
std::string_view origin_name(Origin origin);

// The dotted names of the keys a (valid) config document sets: {"git": {"lfs": {"track": []}}}
// gives git.lfs.track. Objects that hold keys (git, git.lfs) are not keys themselves.
std::vector<std::string> keys_in_document(std::string_view text);

// A mount's config and where every key of it came from.
struct SourcedConfig {
  Config config;
  std::string file;                                            // absolute; "" = mounted without --config
  std::vector<std::pair<std::string, std::string>> overrides;  // the command line's (key, value), in order
  std::map<std::string, Origin> origins;                       // every key of config_keys()
};

// The file (when `file` is not empty) and then `overrides`, checked as at start-up (validate()).
// Throws ConfigError with the messages of start-up.
SourcedConfig load_sourced_config(const std::string& file,
                                  const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace histfs::settings
