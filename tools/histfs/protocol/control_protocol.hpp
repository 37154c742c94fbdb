#pragma once
// The control protocol between the histfs CLI and its daemon: a Unix stream
// socket in the git dir; one JSON request line, one JSON response line.
// Requests carry "command" plus that command's fields; responses carry
// "ok": true and the answer's fields, or "ok": false and "error".
//
// The bytes of a request line are untrusted, and an answer carries file names,
// paths and commit subjects, which may be any bytes: everything here is pure
// (no I/O, no daemon state), so the fuzz target tests/fuzz/control_fuzz.cpp
// runs exactly what the control server runs for one line.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace histfs::protocol {

inline constexpr const char* kSocketName = "histfs.sock";
// A longer request line is refused unread.
inline constexpr std::size_t kMaxRequestBytes = 1 << 20;

// A request line that is not a request; its what() is the answer's "error".
struct RequestError : std::invalid_argument {
  using invalid_argument::invalid_argument;
};

// A field a command's handler reads, and the type it must have (a count is a whole number >= 0).
// Paths travel in the printable form (commands/request_paths.hpp), so every string is UTF-8.
enum class FieldType { String, Bool, Count };
struct Field {
  const char* name;
  FieldType type;
};

// One request line (without its '\n'): valid UTF-8, one JSON object, a "command" of the command
// table (commands/command_table.hpp), and every field that command reads of the type it reads.
// So a handler's request.value(...) never throws and never converts out of range.
// Throws RequestError with a message that is safe to print.
nlohmann::json parse_request(std::string_view line);

// Answers in the printable form (gitstore/printable.hpp, docs/user-guide.md): every string
// under a name key ("path", "copy", "subject", "author", "message", "name", "mountpoint",
// "backing", "git_dir", "url", "remote", "kept_as_tag") always, so names are lossless; any
// other string (an error, a reason, a state) only when it is not printable UTF-8, since
// messages already quote their names in that form. The result always dumps without throwing.
nlohmann::json printable_answer(const nlohmann::json& answer);

// The response line, '\n' included, for a handler's answer ("ok": true added) or an error.
// Never throw.
std::string answer_line(const nlohmann::json& answer);
std::string error_line(std::string_view message);

// Everything the daemon does with one request line: parse, call handler, answer.
// Never throws; handler's exceptions become {"ok":false,"error":...}.
using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
std::string answer_request(std::string_view line, const Handler& handler);

}  // namespace histfs::protocol
