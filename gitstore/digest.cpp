#include "gitstore/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace histfs::gitstore {

Digest::Digest(Algorithm algorithm) : context_(EVP_MD_CTX_new()) {
  const EVP_MD* kind = algorithm == Algorithm::Sha1 ? EVP_sha1() : EVP_sha256();
  if (!context_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), kind, nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
    throw std::runtime_error(algorithm == Algorithm::Sha1 ? "SHA-1 is not available" : "SHA-256 is not available");
  }
}

Digest::~Digest() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

void Digest::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data, size);
}

std::string Digest::bytes() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Digest::hex() {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (const char c : bytes()) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

}  // namespace histfs::gitstore
