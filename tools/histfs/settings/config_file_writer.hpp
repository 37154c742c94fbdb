#pragma once
// `histfs config set` writes the config file: one key changed, every other key, its value and
// the file's order kept, the result checked as at start-up, and the file replaced atomically.
#include <string>
#include <string_view>

#include "tools/histfs/settings/config.hpp"

namespace histfs::settings {

// Reads and checks the file as it is now, sets `key` to `value` (the text form, as
// apply_setting() takes it), checks the new document with parse_config_json() (the messages of
// start-up, cross-key checks included) and replaces the file: a temporary file beside it with
// its mode, owner and group, fsynced, renamed over it, the directory fsynced. A symlink is
// followed (its target is replaced). Returns the config the new file gives.
// Throws ConfigError; the file is unchanged then.
Config set_in_config_file(const std::string& path, std::string_view key, std::string_view value);

}  // namespace histfs::settings
