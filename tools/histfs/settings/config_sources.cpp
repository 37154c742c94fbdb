#include "tools/histfs/settings/config_sources.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace histfs::settings {
namespace {

bool is_key(const std::string& name) {
  const auto& keys = config_keys();
  return std::any_of(keys.begin(), keys.end(), [&](const auto& entry) { return entry.first == name; });
}

void collect(const nlohmann::json& object, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& item : object.items()) {
    const std::string name = prefix.empty() ? item.key() : prefix + "." + item.key();
    if (is_key(name))
      out.push_back(name);
    else if (item.value().is_object())
      collect(item.value(), name, out);
  }
}

}  // namespace

std::string_view origin_name(Origin origin) {
  switch (origin) {
    case Origin::File:
      return "file";
    case Origin::CommandLine:
      return "command line";
    case Origin::Set:
      return "set";
    case Origin::Default:
      break;
  }
  return "default";
}

std::vector<std::string> keys_in_document(std::string_view text) {
  std::vector<std::string> names;
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_object()) collect(document, "", names);
  return names;
}

SourcedConfig load_sourced_config(const std::string& file,
                                  const std::vector<std::pair<std::string, std::string>>& overrides) {
  SourcedConfig sourced;
  sourced.file = file;
  sourced.overrides = overrides;
  for (const auto& [name, description] : config_keys()) sourced.origins[name] = Origin::Default;
  if (!file.empty()) {
    sourced.config = load_config_file(file);  // checked, and at most 1 MiB
    // Read again for the key names only (a file edited in between names a key too many or few).
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& name : keys_in_document(text.str())) sourced.origins[name] = Origin::File;
  }
  for (const auto& [name, value] : overrides) {
    apply_setting(sourced.config, name, value);
    sourced.origins[name] = Origin::CommandLine;
  }
  validate(sourced.config);
  return sourced;
}

}  // namespace histfs::settings
