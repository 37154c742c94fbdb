#include "webhook/signature.hpp"

#include <catch2/catch.hpp>

namespace histfs::webhook {
namespace {

TEST_CASE("GitHub's published signature test vectors", "[webhook]") {
  CHECK(hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!") ==
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  CHECK(hmac_sha256_hex("mysecret", R"({"foo":"bar"})") ==
        "4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3");
  CHECK(signature_matches("mysecret", R"({"foo":"bar"})",
                          "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3"));
}

TEST_CASE("signatures that do not match", "[webhook]") {
  const std::string good = "sha256=4864d2759938a15468b5df9ade20bf161da9b4f737ea61794142f3484236bda3";
  std::string flipped = good;
  flipped.back() = '4';
  CHECK_FALSE(signature_matches("mysecret", R"({"foo":"bar"})", flipped));
  CHECK_FALSE(signature_matches("othersecret", R"({"foo":"bar"})", good));
  CHECK_FALSE(signature_matches("mysecret", R"({"foo": "bar"})", good));  // re-serialized body
  CHECK_FALSE(signature_matches("mysecret", R"({"foo":"bar"})", ""));
  CHECK_FALSE(signature_matches("mysecret", R"({"foo":"bar"})", good.substr(7)));  // no sha256= prefix
  CHECK_FALSE(signature_matches("mysecret", R"({"foo":"bar"})", "sha1=" + good.substr(7)));
  CHECK_FALSE(signature_matches("mysecret", R"({"foo":"bar"})", good + "00"));
}

}  // namespace
}  // namespace histfs::webhook
