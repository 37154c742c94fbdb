#include "gitstore/github_app_jwt.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

namespace histfs::gitstore {

struct AppPrivateKey::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

// The key text, read through one descriptor whose mode is checked (no race with a chmod).
std::string read_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw GithubKeyError("cannot read the App's private key " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw GithubKeyError("the App's private key " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw GithubKeyError("the App's private key " + path + " is readable by others (mode " + mode +
                         "): chmod 600 it, as ssh requires for its keys");
  }
  if (st.st_size > 64 * 1024) throw GithubKeyError("the App's private key " + path + " is too large for a PEM key");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw GithubKeyError("cannot read the App's private key " + path);
    got += static_cast<std::size_t>(n);
  }
  return text;
}

}  // namespace

AppPrivateKey::AppPrivateKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
AppPrivateKey::~AppPrivateKey() = default;
AppPrivateKey::AppPrivateKey(AppPrivateKey&&) noexcept = default;
AppPrivateKey& AppPrivateKey::operator=(AppPrivateKey&&) noexcept = default;

AppPrivateKey AppPrivateKey::load(const std::string& path) {
  std::string pem = read_private_file(path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) throw GithubKeyError("out of memory reading the App's private key");
  auto key = std::make_unique<Key>();
  // No passphrase callback: an encrypted key fails here instead of prompting.
  key->pkey = PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  BIO_free(bio);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key->pkey || EVP_PKEY_base_id(key->pkey) != EVP_PKEY_RSA)
    throw GithubKeyError("the App's private key " + path + " is not an unencrypted PEM RSA private key");
  return AppPrivateKey(std::move(key));
}

std::string base64url(const std::string& bytes) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string AppPrivateKey::app_jwt(const std::string& app_id, std::chrono::system_clock::time_point now) const {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // iat in the past and exp under GitHub's 10 minutes: a clock a little off still works.
  const nlohmann::json claims = {{"iat", seconds - 60}, {"exp", seconds + 540}, {"iss", app_id}};
  const std::string input = base64url(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url(claims.dump());
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  if (!context) throw GithubKeyError("out of memory signing the App JWT");
  std::vector<unsigned char> signature;
  std::size_t length = 0;
  const bool ok = EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
                  EVP_DigestSign(context, nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                                 input.size()) == 1 &&
                  (signature.resize(length), true) &&
                  EVP_DigestSign(context, signature.data(), &length,
                                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(context);
  if (!ok) throw GithubKeyError("cannot sign the App JWT with the private key");
  return input + "." + base64url(std::string(signature.begin(), signature.begin() + static_cast<long>(length)));
}

}  // namespace histfs::gitstore
