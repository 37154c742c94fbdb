#pragma once
// histfs's own keys in the git dir's config file (histfs.remoteUrl, ...): what
// `histfs connect` remembers for the next mount. Never a secret.
#include <map>
#include <string>

namespace histfs::gitstore {

// The values of `keys` that are set (lower-case names as git reports them are accepted too).
std::map<std::string, std::string> read_config_strings(const std::string& git_dir,
                                                       const std::initializer_list<const char*>& keys);
// Sets each key; an empty value removes the key.
void write_config_strings(const std::string& git_dir, const std::map<std::string, std::string>& values);

}  // namespace histfs::gitstore
