// Fuzz target: one control request line through what the daemon's control
// server runs for it (tools/histfs/protocol/control_protocol.hpp): the request
// checks, a handler, and the answer line; no socket and no mount. The handler
// stands in for the daemon's: it reads every field the real handlers read, the
// way they read them, and answers with names made of any bytes (what a file
// name that is not UTF-8 puts into `status` and `log`), or throws a message
// holding such bytes.
// Checked for every input: nothing throws or crashes; the answer is one line
// of valid UTF-8 JSON, an object with "ok"; a request refused by the checks
// never reaches the handler; names come back in the printable form, losslessly;
// no string of the answer holds a control character.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "gitstore/printable.hpp"
#include "tools/histfs/protocol/control_protocol.hpp"

namespace {

using histfs::gitstore::is_utf8;
using histfs::gitstore::printable;
using histfs::gitstore::unprintable;
using nlohmann::json;
namespace protocol = histfs::protocol;

void require(bool condition, const char* what, const std::string& detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "control_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void require_no_control_characters(const json& value, const std::string& wire) {
  if (value.is_string()) {
    for (unsigned char c : value.get_ref<const std::string&>())
      require(c >= 0x20 && c != 0x7f, "a control character in a string of the answer", printable(wire));
  } else if (value.is_structured()) {
    for (const auto& [key, item] : value.items()) {
      require_no_control_characters(key, wire);
      require_no_control_characters(item, wire);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  bool handled = false;
  std::string name;  // the bytes the handler answers as a name
  const auto handler = [&](const json& request) -> json {
    handled = true;
    const std::string command = request["command"];
    // As tools/histfs/daemon/request_handlers.cpp reads them: these must not throw after the checks.
    const std::string path = request.value("path", std::string());
    const size_t limit = request.value("limit", size_t(20));
    const bool dry_run = request.value("dry_run", false);
    (void)request.value("allow_mass_delete", false);
    for (const char* key : {"rev", "name", "message", "remote", "token_file", "token_env", "prefer"})
      (void)request.value(key, std::string());
    name = unprintable(path) + "\xff\\" + std::string(1, char(limit & 0xff));
    if (command == "flush") throw std::runtime_error("cannot commit " + name);  // raw bytes in a message
    if (command == "restore" && dry_run) throw std::invalid_argument(name);
    return {{"mountpoint", name},
            {"last_error", name},
            {"last_commit", {{"subject", name}, {"author", name}, {"id", "0123"}}},
            {"commits", json::array({{{"subject", name}, {"time", "2026-01-01T00:00:00Z"}}})},
            {"changes", json::array({{{"action", "write"}, {"path", name}}})},
            {"remote", {{"url", name}, {"conflicts", json::array({{{"path", name}, {"copy", name}}})}}},
            {name, name}};  // a key no field list knows: escaped where it must be
  };

  const std::string wire = protocol::answer_request(line, handler);

  require(!wire.empty() && wire.back() == '\n' && wire.find('\n') == wire.size() - 1, "not one answer line",
          printable(wire));
  require(is_utf8(wire), "an answer that is not UTF-8", printable(wire));
  const json answer = json::parse(wire, nullptr, false);
  require(!answer.is_discarded() && answer.is_object(), "an answer that is not a JSON object", printable(wire));
  require(answer.contains("ok") && answer["ok"].is_boolean(), "an answer without \"ok\"", printable(wire));
  require_no_control_characters(answer, wire);

  bool parses = true;
  try {
    protocol::parse_request(line);
  } catch (const protocol::RequestError&) {
    parses = false;
  }
  require(parses == handled, "the handler ran for a refused request, or not for an accepted one", printable(line));
  if (!parses || !answer["ok"]) {
    require(answer.contains("error") && answer["error"].is_string(), "a refusal without an error", printable(wire));
    return 0;
  }
  // Names are lossless: unprintable gives back the handler's bytes.
  for (const json* shown :
       {&answer["mountpoint"], &answer["last_commit"]["subject"], &answer["commits"][0]["subject"],
        &answer["changes"][0]["path"], &answer["remote"]["url"], &answer["remote"]["conflicts"][0]["copy"]})
    require(shown->is_string() && unprintable(shown->get<std::string>()) == name, "a name that is not lossless",
            printable(wire));
  require(answer["last_commit"]["id"] == "0123" && answer["changes"][0]["action"] == "write",
          "a plain string was changed", printable(wire));
  return 0;
}
