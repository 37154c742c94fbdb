#pragma once
// The GitHub App's own credential: a short JSON Web Token signed RS256 with the
// App's private key, good only for asking GitHub for installation tokens. The
// key is read from a file that must be private to its owner (as ssh insists),
// and neither the key nor a JWT is ever put into a message.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

namespace histfs::gitstore {

// A key file that cannot be used (unreadable, readable by others, not an RSA key).
struct GithubKeyError : std::runtime_error {
  using runtime_error::runtime_error;
};

class AppPrivateKey {
 public:
  // Reads a PEM RSA private key. Refuses a file that group or others may read
  // or that is not a regular file.
  static AppPrivateKey load(const std::string& path);
  ~AppPrivateKey();
  AppPrivateKey(AppPrivateKey&&) noexcept;
  AppPrivateKey& operator=(AppPrivateKey&&) noexcept;
  AppPrivateKey(const AppPrivateKey&) = delete;
  AppPrivateKey& operator=(const AppPrivateKey&) = delete;

  // The App JWT: {"iat": now-60, "exp": now+540, "iss": app_id}, RS256.
  std::string app_jwt(const std::string& app_id, std::chrono::system_clock::time_point now) const;

 private:
  struct Key;
  explicit AppPrivateKey(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// base64url without padding (RFC 7515), for the JWT's parts.
std::string base64url(const std::string& bytes);

}  // namespace histfs::gitstore
