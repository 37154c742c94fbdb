#pragma once
#include <string>

namespace histfs::settings {

// Human-readable log lines on stderr, and in `file` too when it is not empty.
// Throws std::runtime_error naming the bad level or the unwritable file.
void setup_logging(const std::string& level, const std::string& file);

}  // namespace histfs::settings
