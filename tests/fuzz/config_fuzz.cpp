// Fuzz target: the daemon's settings from text (tools/histfs/settings/config.hpp):
// a config document through parse_config_json, or, when the input starts with
// "--set\n", each following line through apply_assignment (`--set KEY=VALUE`,
// `histfs config set`) and then validate.
// Checked for every input: only ConfigError leaves (a type_error, an
// out_of_range or a crash is a bug), and a config that was accepted writes back
// as JSON (to_json never holds bytes dump() refuses) and reads back to an
// equal Config.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gitstore/printable.hpp"
#include "tools/histfs/settings/config.hpp"

namespace {

using histfs::gitstore::printable;
namespace settings = histfs::settings;

void require(bool condition, const char* what, const std::string& detail = {}) {
  if (condition) return;
  std::fprintf(stderr, "config_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// An accepted config is one `histfs config` can show and the daemon can read back.
void require_round_trip(const settings::Config& config, const std::string& input) {
  std::string text;
  try {
    text = settings::to_json(config).dump(2);
  } catch (const std::exception& error) {
    require(false, "an accepted config that cannot be written as JSON", printable(input) + "\n" + error.what());
  }
  try {
    require(settings::parse_config_json(text, "round trip") == config, "a config that reads back different",
            printable(input) + "\n" + text);
  } catch (const settings::ConfigError& error) {
    require(false, "an accepted config whose JSON is refused", printable(input) + "\n" + error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSetPrefix = "--set\n";
  settings::Config config;
  try {
    if (input.starts_with(kSetPrefix)) {
      std::string_view rest = std::string_view(input).substr(kSetPrefix.size());
      while (!rest.empty()) {
        const size_t end = std::min(rest.find('\n'), rest.size());
        try {
          settings::apply_assignment(config, rest.substr(0, end));
        } catch (const settings::ConfigError&) {
          // refused: the config stays as it was
        }
        rest.remove_prefix(std::min(end + 1, rest.size()));
      }
      settings::validate(config);
    } else {
      config = settings::parse_config_json(input, "fuzz.json");
    }
  } catch (const settings::ConfigError&) {
    return 0;
  } catch (const std::exception& error) {
    require(false, "an exception other than ConfigError left the config parser",
            printable(input) + "\n" + printable(error.what()));
  }
  require_round_trip(config, input);
  return 0;
}
