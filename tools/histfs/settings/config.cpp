#include "tools/histfs/settings/config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <system_error>

#include "gitstore/printable.hpp"

namespace histfs::settings {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

// Longer debounce or poll periods are surely typos, and capping them keeps
// `now() + duration` far from overflow in every clock.
constexpr milliseconds kMaxDuration = std::chrono::hours(168);
// A config file is a few hundred bytes; the cap stops `--config /dev/zero`.
constexpr std::size_t kMaxFileSize = 1 << 20;
constexpr const char* kLogLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

// ---- Value text -------------------------------------------------------------

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// A string as a JSON literal, cut short: error messages quote user input and
// must stay one readable line whatever the input holds.
std::string as_literal(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string cut(text.substr(0, kMax));
  if (text.size() > kMax) cut += "...";
  return json(cut).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// Key names come from user input too; quote them only when they need it.
std::string printable(std::string_view name) {
  return has_control_characters(name) || name.empty() ? as_literal(name) : std::string(name);
}

// How a JSON value reads in "expected X, got Y".
std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return as_literal(value.get_ref<const std::string&>());
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::null:
      return "null";
    default:
      return value.dump();
  }
}

std::invalid_argument expected(std::string_view what, const std::string& got) {
  return std::invalid_argument(std::string(what) + ", got " + got);
}

// ---- Numbers with units -----------------------------------------------------

// "1.5 MB" read as whole=1, fraction=5, scale=10, unit="MB".
struct Quantity {
  std::uint64_t whole = 0;
  std::uint64_t fraction = 0;
  std::uint64_t scale = 1;
  std::string_view unit;
};

// nullopt with `why` empty means plain junk; otherwise `why` says what is wrong.
std::optional<Quantity> split_quantity(std::string_view text, std::string& why) {
  text = trim(text);
  if (text.size() > 1 && text[0] == '-' && std::isdigit(static_cast<unsigned char>(text[1]))) {
    why = "negative values are not allowed";
    return std::nullopt;
  }
  Quantity quantity;
  const char* end = text.data() + text.size();
  auto [rest, error] = std::from_chars(text.data(), end, quantity.whole);
  if (error == std::errc::result_out_of_range) {
    why = "too large";
    return std::nullopt;
  }
  if (error != std::errc()) return std::nullopt;  // also rejects a leading +
  if (rest != end && *rest == '.') {
    const char* digits = ++rest;
    while (rest != end && std::isdigit(static_cast<unsigned char>(*rest))) {
      // 18 digits keep fraction and scale inside 64 bits.
      if (rest - digits == 18) {
        why = "too many decimal places";
        return std::nullopt;
      }
      quantity.fraction = quantity.fraction * 10 + static_cast<std::uint64_t>(*rest - '0');
      quantity.scale *= 10;
      ++rest;
    }
    if (rest == digits) return std::nullopt;
  }
  quantity.unit = trim(std::string_view(rest, static_cast<std::size_t>(end - rest)));
  if (!std::all_of(quantity.unit.begin(), quantity.unit.end(),
                   [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return quantity;
}

// whole * multiplier + fraction * multiplier / scale, exactly, at most `limit`.
std::optional<std::uint64_t> scale_quantity(const Quantity& quantity, std::uint64_t multiplier, std::uint64_t limit,
                                            std::string_view unit_name, std::string& why) {
  std::uint64_t total = 0;
  if (__builtin_mul_overflow(quantity.whole, multiplier, &total) || total > limit) {
    why = "too large";
    return std::nullopt;
  }
  // Reduce multiplier/scale first so fraction * multiplier cannot overflow.
  const std::uint64_t common = std::gcd(multiplier, quantity.scale);
  const std::uint64_t denominator = quantity.scale / common;
  if (quantity.fraction % denominator != 0) {
    why = "not a whole number of " + std::string(unit_name);
    return std::nullopt;
  }
  if (__builtin_add_overflow(total, quantity.fraction / denominator * (multiplier / common), &total) || total > limit) {
    why = "too large";
    return std::nullopt;
  }
  return total;
}

std::optional<milliseconds> try_parse_duration(std::string_view text, std::string& why) {
  const auto quantity = split_quantity(text, why);
  if (!quantity) return std::nullopt;
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  if (quantity->unit.empty()) {
    why = "missing unit (ms, s, m or h)";
    return std::nullopt;
  }
  const auto unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                 [&](const auto& entry) { return entry.first == quantity->unit; });
  if (unit == std::end(kUnits)) {
    why = "unknown unit " + as_literal(quantity->unit) + "; use ms, s, m or h";
    return std::nullopt;
  }
  // Must fit std::chrono::nanoseconds, the finest duration any caller converts to.
  constexpr auto kLimit = static_cast<std::uint64_t>(std::chrono::nanoseconds::max().count() / 1'000'000);
  const auto count = scale_quantity(*quantity, unit->second, kLimit, "milliseconds", why);
  if (!count) return std::nullopt;
  return milliseconds(static_cast<milliseconds::rep>(*count));
}

std::optional<std::uint64_t> try_parse_size(std::string_view text, std::string& why) {
  const auto quantity = split_quantity(text, why);
  if (!quantity) return std::nullopt;
  std::string unit(quantity->unit);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 0},   {"b", 0},  // plain bytes
      {"k", 10}, {"kb", 10}, {"kib", 10}, {"m", 20}, {"mb", 20}, {"mib", 20},
      {"g", 30}, {"gb", 30}, {"gib", 30}, {"t", 40}, {"tb", 40}, {"tib", 40}};  // all binary, see config.hpp
  const auto found =
      std::find_if(std::begin(kUnits), std::end(kUnits), [&](const auto& entry) { return entry.first == unit; });
  if (found == std::end(kUnits)) {
    why = "unknown unit " + as_literal(quantity->unit) + "; use B, KB, MB, GB or TB";
    return std::nullopt;
  }
  return scale_quantity(*quantity, std::uint64_t{1} << found->second, std::numeric_limits<std::uint64_t>::max(),
                        "bytes", why);
}

// ---- Value kinds ------------------------------------------------------------
// Each kind reads a value from JSON and from text, writes it back as JSON and
// checks what any key of that kind needs. from_* and check throw
// std::invalid_argument without the key name; the caller adds it.

struct Bool {
  using Value = bool;
  static constexpr std::string_view kExpected = "expected true or false";
  static bool from_json(const json& value) {
    if (!value.is_boolean()) throw expected(kExpected, describe(value));
    return value.get<bool>();
  }
  static bool from_text(std::string_view text) {
    if (trim(text) == "true") return true;
    if (trim(text) == "false") return false;
    throw expected(kExpected, as_literal(text));
  }
  static json to_json(bool value) { return value; }
  static void check(bool) {}
};

struct String {
  using Value = std::string;
  static std::string from_json(const json& value) {
    if (!value.is_string()) throw expected("expected a string", describe(value));
    return value.get<std::string>();
  }
  static std::string from_text(std::string_view text) { return std::string(text); }
  static json to_json(const std::string& value) { return value; }
  // Every string ends up in a path, URL or log line, where a newline is trouble; and in the
  // config file, which is JSON and cannot hold bytes that are not UTF-8 (`--set` could give them).
  static void check(const std::string& value) {
    if (has_control_characters(value)) throw std::invalid_argument("must not contain control characters");
    if (!gitstore::is_utf8(value)) throw std::invalid_argument("must be UTF-8");
  }
};

struct Count {
  using Value = int;
  static constexpr std::string_view kExpected = "expected a non-negative integer";
  static int from_json(const json& value) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() <= INT_MAX) return value.get<int>();
    if (value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() >= INT_MIN &&
        value.get<std::int64_t>() <= INT_MAX)
      return value.get<int>();
    throw expected(kExpected, describe(value));
  }
  static int from_text(std::string_view text) {
    text = trim(text);
    int value = 0;
    const auto [rest, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || rest != text.data() + text.size())
      throw expected(kExpected, as_literal(text));
    return value;
  }
  static json to_json(int value) { return value; }
  static void check(int value) {
    if (value < 0) throw expected("must not be negative", std::to_string(value));
  }
};

struct Duration {
  using Value = milliseconds;
  static constexpr std::string_view kExpected = "expected a duration like 2s or 500ms";
  static milliseconds from_json(const json& value) {
    // Strings only: a bare number could mean ms or s, and guessing wrong is off by 1000x.
    if (value.is_number())
      throw std::invalid_argument(std::string(kExpected) + ", got the number " + value.dump() + " (write \"" +
                                  value.dump() + "ms\" or \"" + value.dump() + "s\")");
    if (!value.is_string()) throw expected(kExpected, describe(value));
    return from_text(value.get_ref<const std::string&>());
  }
  static milliseconds from_text(std::string_view text) {
    std::string why;
    if (auto duration = try_parse_duration(text, why)) return *duration;
    throw expected(kExpected, as_literal(text) + (why.empty() ? "" : " (" + why + ")"));
  }
  static json to_json(milliseconds value) { return format_duration(value); }
  static void check(milliseconds value) {
    if (value <= milliseconds::zero()) throw expected("must be greater than 0", format_duration(value));
    if (value > kMaxDuration)
      throw expected("must be at most " + format_duration(kMaxDuration), format_duration(value));
  }
};

struct Size {
  using Value = std::uint64_t;
  static constexpr std::string_view kExpected = "expected a byte count or a size like 10MB";
  static std::uint64_t from_json(const json& value) {
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (!value.is_string()) throw expected(kExpected, describe(value));
    return from_text(value.get_ref<const std::string&>());
  }
  static std::uint64_t from_text(std::string_view text) {
    std::string why;
    if (auto size = try_parse_size(text, why)) return *size;
    throw expected(kExpected, as_literal(text) + (why.empty() ? "" : " (" + why + ")"));
  }
  static json to_json(std::uint64_t value) { return value; }
  // 0 would be ambiguous (everything in LFS? size rule off?); git.lfs.track "*" says the first plainly.
  static void check(std::uint64_t value) {
    if (value == 0) throw std::invalid_argument("must be greater than 0");
  }
};

struct StringList {
  using Value = std::vector<std::string>;
  static constexpr std::string_view kExpected = "expected a list of strings";
  static Value from_json(const json& value) {
    if (!value.is_array()) throw expected(kExpected, describe(value));
    Value list;
    for (const json& item : value) {
      if (!item.is_string())
        throw std::invalid_argument(std::string(kExpected) + ", but item " + std::to_string(list.size() + 1) + " is " +
                                    describe(item));
      list.push_back(item.get<std::string>());
    }
    return list;
  }
  // A JSON array, or comma-separated for the common case on a command line.
  static Value from_text(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '[') {
      json parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded()) throw expected(std::string(kExpected) + " (a JSON array)", as_literal(text));
      return from_json(parsed);
    }
    Value list;
    while (!text.empty()) {
      const std::size_t comma = std::min(text.find(','), text.size());
      if (auto item = trim(text.substr(0, comma)); !item.empty()) list.emplace_back(item);
      text.remove_prefix(std::min(comma + 1, text.size()));
    }
    return list;
  }
  static json to_json(const Value& value) { return value; }
  static void check(const Value& value) {
    for (const std::string& item : value) {
      if (item.empty()) throw std::invalid_argument("patterns must not be empty");
      if (has_control_characters(item))
        throw expected("patterns must not contain control characters", as_literal(item));
      if (!gitstore::is_utf8(item)) throw expected("patterns must be UTF-8", as_literal(item));
    }
  }
};

// A JSON object of strings; on a command line also "name=value,name=value".
struct StringMap {
  using Value = std::map<std::string, std::string>;
  static constexpr std::string_view kExpected = "expected an object of strings";
  static Value from_json(const json& value) {
    if (!value.is_object()) throw expected(kExpected, describe(value));
    Value map;
    for (const auto& item : value.items()) {
      if (!item.value().is_string())
        throw std::invalid_argument(std::string(kExpected) + ", but " + as_literal(item.key()) + " is " +
                                    describe(item.value()));
      map.emplace(item.key(), item.value().get<std::string>());
    }
    return map;
  }
  static Value from_text(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '{') {
      json parsed = json::parse(text, nullptr, false);
      if (parsed.is_discarded()) throw expected(std::string(kExpected) + " (a JSON object)", as_literal(text));
      return from_json(parsed);
    }
    Value map;
    while (!text.empty()) {
      const std::size_t comma = std::min(text.find(','), text.size());
      const std::string_view item = trim(text.substr(0, comma));
      if (!item.empty()) {
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos)
          throw expected("expected NAME=VALUE items separated by commas, or a JSON object", as_literal(item));
        map.insert_or_assign(std::string(trim(item.substr(0, equals))), std::string(trim(item.substr(equals + 1))));
      }
      text.remove_prefix(std::min(comma + 1, text.size()));
    }
    return map;
  }
  static json to_json(const Value& value) { return value; }
  static void check(const Value& value) {
    for (const auto& [name, item] : value) {
      if (name.empty() || has_control_characters(name) || !gitstore::is_utf8(name))
        throw expected("names must be non-empty printable UTF-8", as_literal(name));
      String::check(item);
    }
  }
};

// ---- Checks specific to one key ---------------------------------------------

void check_repo(const std::string& url) {
  if (url.empty() || url.front() == '/') return;
  if (url.starts_with("file://")) {
    if (url.size() > 7 && url[7] == '/') return;
    throw expected("file:// URLs need an absolute path, like file:///srv/notes.git", as_literal(url));
  }
  for (std::string_view scheme : {"https://", "http://"}) {
    if (!url.starts_with(scheme)) continue;
    const std::string_view rest = std::string_view(url).substr(scheme.size());
    const std::string_view authority = rest.substr(0, rest.find('/'));
    // GitHub takes a token as the user name, so any user info may be a secret:
    // refuse it, and never echo the URL.
    if (authority.find('@') != std::string_view::npos)
      throw std::invalid_argument("must not contain credentials (user@ or user:token@); `histfs connect` stores them");
    if (authority.empty()) throw expected("the URL has no host", as_literal(url));
    return;
  }
  throw expected("expected an https://, http:// or file:// URL or an absolute path", as_literal(url));
}

// A GitHub App id, client id or installation id: letters and digits ("" = unset).
void check_github_id(const std::string& id) {
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (id.size() > 64 || !std::all_of(id.begin(), id.end(), alnum))
    throw expected("expected the id GitHub shows (digits, or the App's client id)", as_literal(id));
}

// An http(s) URL without credentials, like git.repo's.
void check_api_url(const std::string& url) {
  if (!url.starts_with("https://") && !url.starts_with("http://"))
    throw expected("expected an https:// URL like https://api.github.com", as_literal(url));
  check_repo(url);
}

void check_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (colon == std::string::npos || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    throw std::invalid_argument("expected HOST:PORT like 127.0.0.1:8765, got \"" + text + "\"");
}

void check_absolute_path(const std::string& path) {
  if (!path.empty() && path.front() != '/') throw expected("must be an absolute path", as_literal(path));
}

// git.authors: a uid or a user name, each to "Name <email>".
void check_authors(const std::map<std::string, std::string>& authors) {
  for (const auto& [user, identity] : authors) {
    if (std::any_of(user.begin(), user.end(), [](unsigned char c) { return std::isspace(c); }))
      throw expected("expected a uid or a user name without spaces", as_literal(user));
    try {
      parse_identity(identity);
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument(as_literal(user) + ": " + error.what());
    }
  }
}

// Git writes "Name <email>": neither part may hold the brackets or a newline, nor be empty.
void check_person_name(const std::string& name) {
  if (trim(name).empty() || name.find_first_of("<>") != std::string::npos)
    throw expected("expected a non-empty name without < or >", as_literal(name));
}

void check_email(const std::string& email) {
  if (email.empty() || email.find_first_of("<> \t") != std::string::npos)
    throw expected("expected an e-mail address without spaces, < or >", as_literal(email));
}

void check_optional_listen(const std::string& text) {
  if (!text.empty()) check_listen(text);
}

void check_log_format(const std::string& format) {
  if (format != "text" && format != "json") throw expected("expected text or json", as_literal(format));
}

void check_log_level(const std::string& level) {
  if (std::find(std::begin(kLogLevels), std::end(kLogLevels), level) != std::end(kLogLevels)) return;
  throw expected("expected one of trace, debug, info, warn, error, off", as_literal(level));
}

// gitattributes splits a line at whitespace and forbids negative patterns.
void check_lfs_patterns(const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    if (pattern.starts_with('!') || pattern.starts_with('#'))
      throw expected("patterns must not start with ! or # (gitattributes has no negation or inline comments)",
                     as_literal(pattern));
    if (std::any_of(pattern.begin(), pattern.end(), [](unsigned char c) { return std::isspace(c); }))
      throw expected("patterns must not contain whitespace", as_literal(pattern));
  }
}

// A leading # turns a gitignore line into a comment: the pattern would do nothing.
void check_ignore_patterns(const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns)
    if (pattern.starts_with('#'))
      throw expected("patterns must not start with # (a gitignore comment); write \\# for a literal #",
                     as_literal(pattern));
}

// ---- The key table ----------------------------------------------------------

struct Key {
  std::string name;  // dotted, e.g. "git.lfs.sizeThreshold"
  std::string description;
  std::function<void(Config&, const json&)> set_json;
  std::function<void(Config&, std::string_view)> set_text;
  std::function<json(const Config&)> get;
  std::function<void(const Config&)> check;
};

// `field` is a generic lambda returning the member for a Config& or a const Config&.
template <typename Kind, typename Field>
Key key(std::string name, std::string description, Field field,
        std::function<void(const typename Kind::Value&)> extra_check = nullptr) {
  auto check = [extra_check](const typename Kind::Value& value) {
    Kind::check(value);
    if (extra_check) extra_check(value);
  };
  // Check before assigning, so a rejected value leaves the config untouched.
  auto store = [field, check](Config& config, typename Kind::Value value) {
    check(value);
    field(config) = std::move(value);
  };
  return Key{std::move(name),
             std::move(description),
             [store](Config& config, const json& value) { store(config, Kind::from_json(value)); },
             [store](Config& config, std::string_view text) { store(config, Kind::from_text(text)); },
             [field](const Config& config) { return Kind::to_json(field(config)); },
             [field, check](const Config& config) { check(field(config)); }};
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      key<Bool>(
          "git.enabled", "Version the directory in git; false makes histfs a plain passthrough",
          [](auto& c) -> auto& { return c.git.enabled; }),
      key<String>(
          "git.repo", "Remote to push to and pull from: https://, http://, file:// URL or absolute path",
          [](auto& c) -> auto& { return c.git.repo; }, check_repo),
      key<String>(
          "git.dir", "The bare git dir (absolute); empty means BACKING.git beside the backing dir",
          [](auto& c) -> auto& { return c.git.dir; }, check_absolute_path),
      key<Duration>(
          "git.commitQuiet", "Commit once no change has arrived for this long",
          [](auto& c) -> auto& { return c.git.commit_quiet; }),
      key<Duration>(
          "git.commitMaxDelay", "Commit at the latest this long after the first pending change",
          [](auto& c) -> auto& { return c.git.commit_max_delay; }),
      key<Duration>(
          "git.autoPushInterval", "Push new commits to the remote at most this often",
          [](auto& c) -> auto& { return c.git.auto_push_interval; }),
      key<Duration>(
          "git.fetchInterval", "Fetch from the remote this often even without a webhook",
          [](auto& c) -> auto& { return c.git.fetch_interval; }),
      key<Duration>(
          "git.networkTimeout", "Give up on a remote that does not connect, or sends or takes nothing, for this long",
          [](auto& c) -> auto& { return c.git.network_timeout; }),
      key<Bool>(
          "git.allowNonFF", "Accept remote history rewrites (force pushes) instead of refusing them",
          [](auto& c) -> auto& { return c.git.allow_non_ff; }),
      key<Size>(
          "git.lfs.sizeThreshold", "Files larger than this go to Git LFS (bytes, or 10MB; MB = MiB)",
          [](auto& c) -> auto& { return c.git.lfs_size_threshold; }),
      key<StringList>(
          "git.lfs.track", "Patterns always stored in Git LFS, like \"*.png\"",
          [](auto& c) -> auto& { return c.git.lfs_track; }, check_lfs_patterns),
      key<Count>(
          "git.maxDelete", "Hold a push that deletes more files than this until --allow-mass-delete",
          [](auto& c) -> auto& { return c.git.max_delete; }),
      key<StringList>(
          "git.ignore", "Extra gitignore patterns kept out of git (the files stay on disk)",
          [](auto& c) -> auto& { return c.git.ignore; }, check_ignore_patterns),
      key<String>(
          "git.caFile", "CA bundle (PEM, absolute path) for an https remote with its own CA",
          [](auto& c) -> auto& { return c.git.ca_file; }, check_absolute_path),
      key<String>(
          "git.github.appId", "Connect through this GitHub App (its id): short-lived installation tokens",
          [](auto& c) -> auto& { return c.git.github_app_id; }, check_github_id),
      key<String>(
          "git.github.installationId", "The GitHub App's installation (id) on the backup repository's owner",
          [](auto& c) -> auto& { return c.git.github_installation_id; }, check_github_id),
      key<String>(
          "git.github.privateKeyFile", "The GitHub App's private key (PEM, absolute path, readable by its owner only)",
          [](auto& c) -> auto& { return c.git.github_private_key_file; }, check_absolute_path),
      key<String>(
          "git.github.apiUrl", "The GitHub API (https://api.github.com; GitHub Enterprise: https://HOST/api/v3)",
          [](auto& c) -> auto& { return c.git.github_api_url; }, check_api_url),
      key<String>(
          "git.webhook.listen", "Where the webhook server listens, HOST:PORT",
          [](auto& c) -> auto& { return c.git.webhook_listen; }, check_listen),
      key<String>(
          "git.webhook.secretFile", "File holding the webhook secret; empty means no webhook server",
          [](auto& c) -> auto& { return c.git.webhook_secret_file; }, check_absolute_path),
      key<String>(
          "git.webhook.repository", "Accept pushes only for this repository (owner/name); empty accepts any",
          [](auto& c) -> auto& { return c.git.webhook_repository; }),
      key<String>(
          "git.webhook.tlsCert", "Serve the webhook over HTTPS with this certificate chain (PEM)",
          [](auto& c) -> auto& { return c.git.webhook_tls_cert; }, check_absolute_path),
      key<String>(
          "git.webhook.tlsKey", "The private key (PEM) for git.webhook.tlsCert",
          [](auto& c) -> auto& { return c.git.webhook_tls_key; }, check_absolute_path),
      key<String>(
          "git.metrics.listen",
          "Serve Prometheus /metrics on HOST:PORT too (it is always on the webhook server); empty: off",
          [](auto& c) -> auto& { return c.git.metrics_listen; }, check_optional_listen),
      key<StringMap>(
          "git.authors", "Commit author per uid or user name, as \"Name <email>\" (others: user <user@localhost>)",
          [](auto& c) -> auto& { return c.git.authors; }, check_authors),
      key<String>(
          "git.committer.name", "The committer name of every commit",
          [](auto& c) -> auto& { return c.git.committer_name; }, check_person_name),
      key<String>(
          "git.committer.email", "The committer e-mail address of every commit",
          [](auto& c) -> auto& { return c.git.committer_email; }, check_email),
      key<Count>(
          "git.gc.looseObjects", "Pack loose objects in the background once there are more than this many; 0 = never",
          [](auto& c) -> auto& { return c.git.gc_loose_objects; }),
      key<String>(
          "log.level", "Log level: trace, debug, info, warn, error or off",
          [](auto& c) -> auto& { return c.log.level; }, check_log_level),
      key<String>(
          "log.file", "Also write the log to this file (absolute); empty means stderr only",
          [](auto& c) -> auto& { return c.log.file; }, check_absolute_path),
      key<String>(
          "log.format", "Log lines as text, or json: one object a line with each event's id, durations and sizes",
          [](auto& c) -> auto& { return c.log.format; }, check_log_format),
  };
  return table;
}

const Key* find_key(std::string_view name) {
  for (const Key& entry : keys())
    if (entry.name == name) return &entry;
  return nullptr;
}

// "git" and "git.lfs": the objects that hold keys.
bool is_section(std::string_view name) {
  return std::any_of(keys().begin(), keys().end(), [&](const Key& entry) {
    return entry.name.size() > name.size() && entry.name.starts_with(name) && entry.name[name.size()] == '.';
  });
}

// Levenshtein plus adjacent swaps ("gti" -> "git" is one edit): the usual typos.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// The known key or section nearest to a typo, compared without case, if it is near enough.
std::optional<std::string> closest_name(std::string_view name) {
  auto lower = [](std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return std::tolower(c); });
    return result;
  };
  std::vector<std::string> candidates;
  for (const Key& entry : keys()) {
    candidates.push_back(entry.name);
    for (std::size_t dot = entry.name.find('.'); dot != std::string::npos; dot = entry.name.find('.', dot + 1))
      candidates.push_back(entry.name.substr(0, dot));
  }
  const std::string wanted = lower(name);
  std::optional<std::string> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(wanted, lower(candidate));
    const std::size_t allowed = std::max<std::size_t>(1, std::min<std::size_t>(3, candidate.size() / 4));
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

ConfigError unknown_key(std::string_view name) {
  std::string message = "unknown config key " + printable(name);
  if (auto near = closest_name(name)) message += " (did you mean " + *near + "?)";
  return ConfigError(message);
}

// Runs one key's parse or check, naming the key in any error.
template <typename Action>
void for_key(std::string_view name, Action action) {
  try {
    action();
  } catch (const std::invalid_argument& error) {
    throw ConfigError(std::string(name) + ": " + error.what());
  }
}

// git.lfs.track -> {"git": {"lfs": {"track": ...}}}
std::string nested_example(std::string_view name) {
  std::string text = "...";
  for (std::size_t end = name.size(); end != std::string_view::npos;) {
    const std::size_t dot = end == 0 ? std::string_view::npos : name.rfind('.', end - 1);
    const std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
    text = "{\"" + std::string(name.substr(start, end - start)) + "\": " + text + "}";
    end = dot;
  }
  return text;
}

// The file nests by the dotted names: {"git": {"lfs": {"sizeThreshold": ...}}}.
void apply_object(Config& config, const json& object, const std::string& prefix) {
  for (const auto& item : object.items()) {
    const std::string name = prefix.empty() ? item.key() : prefix + "." + item.key();
    const bool dotted = item.key().find('.') != std::string::npos;
    if (dotted && (find_key(name) || is_section(name)))
      throw ConfigError("config key " + name + " must be nested, like " + nested_example(name));
    if (const Key* entry = dotted ? nullptr : find_key(name)) {
      for_key(name, [&] { entry->set_json(config, item.value()); });
    } else if (!dotted && is_section(name)) {
      if (!item.value().is_object()) throw ConfigError(name + ": expected an object, got " + describe(item.value()));
      apply_object(config, item.value(), name);
    } else {
      throw unknown_key(name);
    }
  }
}

// nlohmann::json keeps the last of duplicate keys; a config file with two
// values for one key is a mistake worth reporting, so watch the parse.
json::parser_callback_t duplicate_key_guard(const std::string& source) {
  struct Frame {
    bool array = false;
    std::string key;
    std::set<std::string> seen;
  };
  auto frames = std::make_shared<std::vector<Frame>>();
  return [frames, source](int, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        frames->push_back({});
        break;
      case json::parse_event_t::array_start:
        frames->push_back({true, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        frames->pop_back();
        break;
      case json::parse_event_t::key: {
        Frame& frame = frames->back();
        frame.key = parsed.get<std::string>();
        if (frame.seen.insert(frame.key).second) break;
        std::string path;
        for (const Frame& outer : *frames) path += outer.array ? "[]" : (path.empty() ? "" : ".") + outer.key;
        throw ConfigError(source + ": duplicate config key " + printable(path));
      }
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
}

std::string errno_message(int error) { return std::generic_category().message(error); }

std::string read_config_text(const std::string& path) {
  // "e": O_CLOEXEC, so helpers the daemon starts do not inherit the descriptor.
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rbe"), &std::fclose);
  if (!file) throw ConfigError("cannot read config file " + path + ": " + errno_message(errno));
  std::string text;
  char buffer[16384];
  while (const std::size_t count = std::fread(buffer, 1, sizeof buffer, file.get())) {
    text.append(buffer, count);
    if (text.size() > kMaxFileSize)
      throw ConfigError("config file " + path + " is larger than " + std::to_string(kMaxFileSize) + " bytes");
  }
  if (std::ferror(file.get())) throw ConfigError("cannot read config file " + path + ": " + errno_message(errno));
  return text;
}

}  // namespace

// ---- Public interface -------------------------------------------------------

milliseconds parse_duration(std::string_view text) {
  std::string why;
  if (auto duration = try_parse_duration(text, why)) return *duration;
  throw std::invalid_argument("invalid duration " + as_literal(text) + ": " +
                              (why.empty() ? "expected a number and a unit, like 2s or 500ms" : why));
}

std::string format_duration(milliseconds duration) {
  const auto count = duration.count();
  if (count <= 0) return std::to_string(count) + "ms";
  static constexpr std::pair<const char*, milliseconds::rep> kUnits[] = {{"h", 3'600'000}, {"m", 60'000}, {"s", 1000}};
  for (const auto& [unit, size] : kUnits)
    if (count % size == 0) return std::to_string(count / size) + unit;
  return std::to_string(count) + "ms";
}

std::uint64_t parse_size(std::string_view text) {
  std::string why;
  if (auto size = try_parse_size(text, why)) return *size;
  throw std::invalid_argument("invalid size " + as_literal(text) + ": " +
                              (why.empty() ? "expected a byte count or a number and a unit, like 10MB" : why));
}

Config parse_config_json(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  json document;
  try {
    document = json::parse(text.begin(), text.end(), duplicate_key_guard(source));
  } catch (const json::exception& error) {
    // Drop the "[json.exception.parse_error.101] " id; keep "line 3, column 5: ...".
    std::string_view message = error.what();
    if (const std::size_t id_end = message.find("] "); id_end != std::string_view::npos)
      message.remove_prefix(id_end + 2);
    throw ConfigError(source + ": invalid JSON: " + std::string(message));
  }
  if (!document.is_object())
    throw ConfigError(source + ": the top level must be a JSON object, got " + describe(document));
  Config config;
  try {
    apply_object(config, document, "");
    validate(config);
  } catch (const ConfigError& error) {
    throw ConfigError(source + ": " + error.what());
  }
  return config;
}

Config load_config_file(const std::string& path) { return parse_config_json(read_config_text(path), path); }

void apply_setting(Config& config, std::string_view key_name, std::string_view value) {
  const Key* entry = find_key(key_name);
  if (!entry && is_section(key_name)) {
    std::string members;
    for (const Key& candidate : keys())
      if (candidate.name.starts_with(std::string(key_name) + "."))
        members += (members.empty() ? "" : ", ") + candidate.name;
    throw ConfigError(std::string(key_name) + " is a group of keys, not a key: set one of " + members);
  }
  if (!entry) throw unknown_key(key_name);
  for_key(key_name, [&] { entry->set_text(config, value); });
}

void apply_assignment(Config& config, std::string_view assignment) {
  const std::size_t equals = assignment.find('=');
  if (equals == std::string_view::npos) throw ConfigError("expected KEY=VALUE, got " + as_literal(assignment));
  apply_setting(config, trim(assignment.substr(0, equals)), assignment.substr(equals + 1));
}

std::string get_setting(const Config& config, std::string_view key_name) {
  const Key* entry = find_key(key_name);
  if (!entry) throw unknown_key(key_name);
  const json value = entry->get(config);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

void validate(const Config& config) {
  for (const Key& entry : keys()) for_key(entry.name, [&] { entry.check(config); });
  if (config.git.commit_max_delay < config.git.commit_quiet)
    throw ConfigError("git.commitMaxDelay: must be at least git.commitQuiet (" +
                      format_duration(config.git.commit_quiet) + "), got " +
                      format_duration(config.git.commit_max_delay));
  if (config.git.webhook_tls_cert.empty() != config.git.webhook_tls_key.empty())
    throw ConfigError("git.webhook.tlsCert: set together with git.webhook.tlsKey (HTTPS needs both)");
}

nlohmann::json to_json(const Config& config) {
  json document = json::object();
  for (const Key& entry : keys()) {
    std::string pointer = "/" + entry.name;
    std::replace(pointer.begin(), pointer.end(), '.', '/');
    document[json::json_pointer(pointer)] = entry.get(config);
  }
  return document;
}

nlohmann::json get_setting_json(const Config& config, std::string_view key_name) {
  const Key* entry = find_key(key_name);
  if (!entry) throw unknown_key(key_name);
  return entry->get(config);
}

std::pair<std::string, std::string> parse_identity(std::string_view text) {
  const std::string_view whole = trim(text);
  const std::size_t open = whole.find('<');
  const std::size_t close = whole.find('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open || close + 1 != whole.size())
    throw expected("expected \"Name <email>\"", as_literal(text));
  const std::string name(trim(whole.substr(0, open)));
  const std::string email(whole.substr(open + 1, close - open - 1));
  if (name.empty()) throw expected("expected \"Name <email>\" with a name", as_literal(text));
  check_person_name(name);
  check_email(email);
  if (has_control_characters(text) || !gitstore::is_utf8(text))
    throw expected("must be printable UTF-8", as_literal(text));
  return {name, email};
}

const std::vector<std::pair<std::string, std::string>>& config_keys() {
  static const auto list = [] {
    std::vector<std::pair<std::string, std::string>> result;
    for (const Key& entry : keys()) result.emplace_back(entry.name, entry.description);
    return result;
  }();
  return list;
}

}  // namespace histfs::settings
