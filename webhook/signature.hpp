#pragma once
// GitHub's X-Hub-Signature-256: HMAC-SHA256 of the exact body bytes, keyed
// by the webhook secret, as "sha256=<64 lowercase hex>".
#include <string>
#include <string_view>

namespace histfs::webhook {

std::string hmac_sha256_hex(std::string_view key, std::string_view body);

// Compares in constant time; false for a missing or malformed header.
bool signature_matches(std::string_view secret, std::string_view body, std::string_view header);

}  // namespace histfs::webhook
