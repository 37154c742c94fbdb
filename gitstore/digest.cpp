#include "gitstore/digest.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>
#include <string>

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

std::string object_header(git_object_t type, std::size_t size) {
  std::string header = git_object_type2string(type);
  header += ' ';
  header += std::to_string(size);
  header.push_back('\0');
  return header;
}

git_oid object_id(git_object_t type, const void* data, std::size_t size) {
  // One context a thread, and SHA-1 looked up once: an import hashes a blob per file.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const std::string header = object_header(type, size);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!sha1 || !context || EVP_DigestInit_ex(context.get(), sha1, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), header.data(), header.size()) != 1 ||
      EVP_DigestUpdate(context.get(), data, size) != 1 || EVP_DigestFinal_ex(context.get(), digest, &length) != 1 ||
      length != GIT_OID_RAWSZ)
    throw std::runtime_error("SHA-1 is not available");
  git_oid oid;
  git_oid_fromraw(&oid, digest);
  return oid;
}

}  // namespace histfs::gitstore
