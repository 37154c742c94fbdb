#pragma once
// The one lossless printable form of bytes histfs did not choose itself: file
// names and paths (which Linux lets be any bytes but '/' and NUL), commit
// subjects, header values and ids from the network. The result is always
// valid UTF-8 and printable, so it can go into JSON, a log line or an answer
// without nlohmann::json::dump throwing on invalid UTF-8 and without control
// characters reaching a terminal. Used by gitstore (UnsafePathError), the
// webhook server and the daemon's answers alike; documented for users in
// docs/remote.md ("Bytes that are not UTF-8"). The form is lossless:
//   - a printable character in valid UTF-8 stays as it is;
//   - a backslash becomes two backslashes;
//   - every other byte (not part of valid UTF-8, or part of a control
//     character U+0000-U+001F, U+007F-U+009F) becomes \xHH, lowercase hex.
// So "push" stays "push", "a\b" becomes "a\\b", and the byte 0xFF becomes "\xff".
#include <string>
#include <string_view>

// No libgit2 here: this file is its own library, histfs_text (see the top-level
// CMakeLists.txt), which histfs_gitstore and histfs_webhook both link.
namespace histfs::gitstore {

std::string printable(std::string_view bytes);

// The inverse: unprintable(printable(bytes)) == bytes for any bytes (for tests and tools reading logs).
std::string unprintable(std::string_view text);

// True if text is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view text);

}  // namespace histfs::gitstore
