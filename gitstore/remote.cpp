#include "gitstore/remote.hpp"

#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "gitstore/git_handle.hpp"
#include "gitstore/history_check.hpp"
#include "gitstore/repository.hpp"

namespace histfs::gitstore {
std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  const auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, scheme + 3) + "***@" + url.substr(at + 1);
}

std::string url_authority(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  const std::string kind = url.substr(0, scheme);
  if (kind != "http" && kind != "https") return "";
  auto start = scheme + 3;
  const auto end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  for (auto& c : authority) c = char(std::tolower(static_cast<unsigned char>(c)));
  return authority;
}

RemoteClient::RemoteClient(git_repository* repo, std::string url, std::string token, NetworkGuard* guard)
    : repo_(repo), guard_(guard), url_(std::move(url)), token_(std::move(token)) {
  link_network_guard();
}

void RemoteClient::fail(const std::string& what) {
  const git_error* error = git_error_last();
  std::string message = error && error->message ? error->message : "unknown error";
  // libgit2 may quote the URL it was given; ours carries no credentials, but be sure.
  if (!token_.empty())
    for (auto at = message.find(token_); at != std::string::npos; at = message.find(token_))
      message.replace(at, token_.size(), "***");
  if (guard_ && guard_->cancelled()) message = "cancelled: the daemon is stopping";
  else if (guard_ && (message.find("temporarily unavailable") != std::string::npos ||
                      message.find("timed out") != std::string::npos))
    message += " (no answer for " + std::to_string(guard_->timeout().count() / 1000.0).substr(0, 4) +
               " s: git.networkTimeout)";
  throw RemoteError(what + " " + redact_url(url_) + ": " + message);
}

RemotePtr RemoteClient::make_remote() {
  // Anonymous, and without url.*.insteadOf: libgit2 1.5 leaks about half a megabyte of
  // regex match data each time it looks those up, and a daemon pushes all day long.
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = repo_;
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw = nullptr;
  if (git_remote_create_with_opts(&raw, url_.c_str(), &options) != 0) fail("cannot use remote");
  return RemotePtr(raw);
}

git_remote_callbacks RemoteClient::callbacks() {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.payload = this;
  cb.credentials = [](git_credential** out, const char* url, const char*, unsigned int allowed, void* payload) -> int {
    auto* self = static_cast<RemoteClient*>(payload);
    // Credentials go to the remote's own host only, whatever a redirect says.
    if (!self->token_.empty() && url && url_authority(url) != url_authority(self->url_)) {
      git_error_set_str(GIT_ERROR_NET, ("the remote sent us to another host (" + url_authority(url) +
                                        "); credentials are only sent to " + url_authority(self->url_))
                                           .c_str());
      return GIT_EUSER;
    }
    // libgit2 asks again after a refusal; a second ask means the token is wrong.
    if (self->token_.empty() || ++self->credential_attempts_ > 1 || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
      git_error_set_str(GIT_ERROR_NET, self->token_.empty() ? "the remote wants credentials and no token was given"
                                                            : "authentication failed: the token was refused");
      return GIT_EUSER;
    }
    return git_credential_userpass_plaintext_new(out, "x-access-token", self->token_.c_str());
  };
  cb.certificate_check = [](git_cert*, int, const char*, void*) -> int { return GIT_PASSTHROUGH; };
  return cb;
}

PushOutcome RemoteClient::push() {
  credential_attempts_ = 0;
  RemotePtr remote = make_remote();

  std::vector<std::string> specs = {std::string(kBranchRef) + ":" + kBranchRef};
  git_strarray tags{};
  check(git_tag_list(&tags, repo_), "list tags");
  for (size_t i = 0; i < tags.count; ++i)
    specs.push_back(std::string("refs/tags/") + tags.strings[i] + ":refs/tags/" + tags.strings[i]);
  git_strarray_dispose(&tags);
  std::vector<char*> pointers;
  for (auto& spec : specs) pointers.push_back(spec.data());
  git_strarray refspecs{pointers.data(), pointers.size()};

  PushOutcome outcome;
  pushing_ = &outcome;
  git_push_options options = GIT_PUSH_OPTIONS_INIT;
  options.callbacks = callbacks();
  options.follow_redirects = GIT_REMOTE_REDIRECT_NONE;  // never off-site: the token stays with the remote's host
  NetworkGuard::Scope network(guard_);
  // git_remote_push succeeds even when the server refuses a ref: the refusal arrives only here.
  options.callbacks.push_update_reference = [](const char* ref, const char* status, void* payload) -> int {
    if (status) static_cast<RemoteClient*>(payload)->pushing_->rejected.push_back(std::string(ref) + " (" + status + ")");
    return 0;
  };
  const int result = git_remote_push(remote.get(), &refspecs, &options);
  pushing_ = nullptr;
  // libgit2 refuses a non-fast-forward itself when it knows the remote's commit: the same
  // answer as a server's rejection, and handled the same way.
  if (result == GIT_ENONFASTFORWARD) {
    outcome.rejected.push_back(std::string(kBranchRef) + " (non-fast-forward)");
    return outcome;
  }
  if (result != 0) fail("cannot push to");
  return outcome;
}

namespace {

constexpr const char* kIncomingRef = "refs/histfs/incoming";  // a fetch lands here until it is checked

std::set<std::string> pack_files(git_repository* repo) {
  std::set<std::string> out;
  std::error_code ignored;
  const auto dir = std::filesystem::path(git_repository_path(repo)) / "objects" / "pack";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ignored))
    if (entry.path().extension() == ".pack") out.insert(entry.path().string());
  return out;
}

// Removes the packs a refused fetch wrote: nothing points to their objects, and
// `git fsck --strict` must not find a hostile tree in the repository.
void remove_new_packs(git_repository* repo, const std::set<std::string>& before) {
  std::error_code ignored;
  for (const auto& pack : pack_files(repo)) {
    if (before.count(pack)) continue;
    const auto stem = std::filesystem::path(pack).replace_extension();
    for (const char* extension : {".keep", ".idx", ".rev", ".mtimes", ".pack"})
      std::filesystem::remove(stem.string() + extension, ignored);
  }
}

}  // namespace

std::optional<git_oid> RemoteClient::fetch() {
  credential_attempts_ = 0;
  RemotePtr remote = make_remote();
  std::string spec = std::string("+") + kBranchRef + ":" + kIncomingRef;
  char* pointer = spec.data();
  git_strarray refspecs{&pointer, 1};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = callbacks();
  options.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
  NetworkGuard::Scope network(guard_);
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  const auto packs_before = pack_files(repo_);
  if (git_remote_fetch(remote.get(), &refspecs, &options, "histfs: fetch") != 0) fail("cannot fetch from");
  // A remote without main leaves no ref behind (or a stale one: check what it advertised).
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) fail("cannot list refs of");
  std::optional<git_oid> head;
  for (size_t i = 0; i < count; ++i)
    if (std::strcmp(heads[i]->name, kBranchRef) == 0) head = heads[i]->oid;
  git_reference_remove(repo_, kIncomingRef);
  if (!head) return std::nullopt;
  try {
    check_new_history(repo_, *head, {kBranchRef, kRemoteTrackingRef, "refs/histfs/pushed"});
  } catch (const UnsafePathError&) {
    remove_new_packs(repo_, packs_before);
    throw;
  }
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo_, kRemoteTrackingRef, &*head, 1, "histfs: fetch"), "update the remote's ref");
  git_reference_free(raw);
  return head;
}

bool RemoteClient::is_empty() {
  credential_attempts_ = 0;
  RemotePtr remote = make_remote();
  git_remote_connect_options options = GIT_REMOTE_CONNECT_OPTIONS_INIT;
  options.callbacks = callbacks();
  options.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
  NetworkGuard::Scope network(guard_);
  if (git_remote_connect_ext(remote.get(), GIT_DIRECTION_FETCH, &options) != 0) fail("cannot connect to");
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) fail("cannot list refs of");
  return count == 0;
}

}  // namespace histfs::gitstore
