#pragma once
// UTC instants as ISO 8601 text, the way .history/at/ and `--to TIME` spell them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace histfs::gitstore {

// "2026-11-23T10:00:00Z", "2026-11-23T10:00", "2026-11-23 10:00:00", "2026-11-23" (the end
// of that day, 23:59:59). Always UTC; a trailing "Z" is optional. nullopt for anything else.
std::optional<std::int64_t> parse_instant(std::string_view text);

// "2026-11-23T10:00:00Z"
std::string format_instant(std::int64_t seconds);

}  // namespace histfs::gitstore
