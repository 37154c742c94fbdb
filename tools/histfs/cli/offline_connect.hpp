#pragma once
// `histfs connect --git-dir DIR` before mounting: no daemon involved.
#include <string>

#include <nlohmann/json.hpp>

#include "tools/histfs/settings/remote_settings.hpp"

namespace histfs::cli {

// Checks the remote and remembers it (and the --prefer choice, for the import the next
// mount makes). Creates the git dir if needed.
nlohmann::json connect_offline(const std::string& git_dir, const settings::RemoteSettings& remote,
                               const std::string& prefer);

}  // namespace histfs::cli
