#pragma once
// The control protocol between the histfs CLI and its daemon: a Unix stream
// socket in the git dir; one JSON request line, one JSON response line.
// Requests carry "command" plus that command's fields; responses carry
// "ok": true and the answer's fields, or "ok": false and "error".

namespace histfs::protocol {

inline constexpr const char* kSocketName = "histfs.sock";

}  // namespace histfs::protocol
