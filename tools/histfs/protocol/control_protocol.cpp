#include "tools/histfs/protocol/control_protocol.hpp"

#include <algorithm>

#include "gitstore/printable.hpp"
#include "tools/histfs/commands/command_table.hpp"

namespace histfs::protocol {
namespace {

using gitstore::printable;
using nlohmann::json;

bool has_type(const json& value, FieldType type) {
  switch (type) {
    case FieldType::String:
      return value.is_string();
    case FieldType::Bool:
      return value.is_boolean();
    case FieldType::Count:
      return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
  }
  return false;
}

const char* type_name(FieldType type) {
  switch (type) {
    case FieldType::String:
      return "a string";
    case FieldType::Bool:
      return "true or false";
    case FieldType::Count:
      return "a whole number >= 0";
  }
  return "?";
}

bool is_name_key(std::string_view key) {
  static constexpr std::string_view kNames[] = {"path",       "copy",    "subject", "author", "message", "name",
                                                "mountpoint", "backing", "git_dir", "url",    "remote",  "kept_as_tag"};
  return std::find(std::begin(kNames), std::end(kNames), key) != std::end(kNames);
}

// Printable UTF-8 already (so printable() would change nothing but backslashes).
bool needs_no_escape(std::string_view text) {
  if (!gitstore::is_utf8(text)) return false;
  const std::string shown = printable(text);
  // printable() only doubles backslashes in text that is printable UTF-8.
  return std::count(shown.begin(), shown.end(), '\\') == 2 * std::count(text.begin(), text.end(), '\\');
}

std::string printable_text(const std::string& text) { return needs_no_escape(text) ? text : printable(text); }

json printable_value(const json& value, bool is_name) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return is_name ? printable(text) : printable_text(text);
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& item : value) out.push_back(printable_value(item, is_name));
    return out;
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, item] : value.items()) out[printable_text(key)] = printable_value(item, is_name_key(key));
    return out;
  }
  return value;
}

}  // namespace

json parse_request(std::string_view line) {
  if (line.size() > kMaxRequestBytes) throw RequestError("the request is longer than 1 MiB");
  if (!gitstore::is_utf8(line)) throw RequestError("the request is not valid UTF-8");
  json request = json::parse(line, nullptr, false);
  if (request.is_discarded()) throw RequestError("the request is not JSON");
  if (!request.is_object() || !request.contains("command") || !request["command"].is_string())
    throw RequestError("the request must be a JSON object with a string \"command\"");
  const auto& name = request["command"].get_ref<const std::string&>();
  const commands::Command* command = commands::find_command(name);
  if (!command) throw RequestError("unknown command \"" + printable(name) + "\"");
  for (const auto& field : command->fields) {
    const auto value = request.find(field.name);
    if (value != request.end() && !has_type(*value, field.type))
      throw RequestError(std::string("\"") + field.name + "\" of " + name + " must be " + type_name(field.type));
  }
  return request;
}

json printable_answer(const json& answer) { return printable_value(answer, false); }

std::string answer_line(const json& answer) {
  try {
    json out = printable_answer(answer.is_object() ? answer : json{{"result", answer}});
    out["ok"] = true;
    return out.dump() + "\n";
  } catch (const std::exception& error) {
    return error_line(std::string("the answer could not be written: ") + error.what());
  }
}

std::string error_line(std::string_view message) {
  try {
    return json{{"ok", false}, {"error", printable_text(std::string(message))}}.dump() + "\n";
  } catch (...) {
    return "{\"ok\":false,\"error\":\"out of memory\"}\n";
  }
}

std::string answer_request(std::string_view line, const Handler& handler) {
  try {
    const json request = parse_request(line);
    return answer_line(handler(request));
  } catch (const std::exception& error) {
    return error_line(error.what());
  } catch (...) {
    return error_line("an unknown error");
  }
}

}  // namespace histfs::protocol
