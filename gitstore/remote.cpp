#include "gitstore/remote.hpp"

#include <cctype>

#include <cstring>
#include <filesystem>
#include <set>

#include "gitstore/git_handle.hpp"
#include "gitstore/history_check.hpp"
#include "gitstore/local_transfer.hpp"
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
  if (guard_ && guard_->cancelled())
    message = "cancelled: the daemon is stopping";
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
  // Without a repository (checking a remote before anything is created) only is_empty() works.
  const int made = repo_ ? git_remote_create_with_opts(&raw, url_.c_str(), &options)
                         : git_remote_create_detached(&raw, url_.c_str());
  if (made != 0) fail("cannot use remote");
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
    // libgit2 asks again after a refusal; a second ask means the token is wrong, unless it
    // was a short-lived one that can be renewed (once).
    const int attempt = ++self->credential_attempts_;
    if (attempt == 2 && self->renew_token_ && !self->token_.empty() && (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
      try {
        std::string fresh = self->renew_token_();
        if (!fresh.empty() && fresh != self->token_) {
          self->token_ = std::move(fresh);
          return git_credential_userpass_plaintext_new(out, "x-access-token", self->token_.c_str());
        }
      } catch (const std::exception& error) {  // never through libgit2's C frames
        git_error_set_str(GIT_ERROR_NET,
                          (std::string("the token was refused and could not be renewed: ") + error.what()).c_str());
        return GIT_EUSER;
      }
    }
    if (self->token_.empty() || attempt > (self->renew_token_ ? 2 : 1) ||
        !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
      git_error_set_str(GIT_ERROR_NET, self->token_.empty() ? "the remote wants credentials and no token was given"
                                                            : "authentication failed: the token was refused");
      return GIT_EUSER;
    }
    return git_credential_userpass_plaintext_new(out, "x-access-token", self->token_.c_str());
  };
  cb.certificate_check = [](git_cert*, int, const char*, void*) -> int { return GIT_PASSTHROUGH; };
  cb.transfer_progress = [](const git_indexer_progress* stats, void* payload) -> int {
    static_cast<RemoteClient*>(payload)->report({stats->received_objects, stats->total_objects, stats->received_bytes});
    return 0;
  };
  cb.push_transfer_progress = [](unsigned int current, unsigned int total, size_t bytes, void* payload) -> int {
    static_cast<RemoteClient*>(payload)->report({current, total, bytes});
    return 0;
  };
  return cb;
}

void RemoteClient::report(const TransferProgress& progress) {
  if (!report_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = progress.total != 0 && progress.done == progress.total;
  if (!last && now - last_report_ < std::chrono::milliseconds(200)) return;
  last_report_ = now;
  report_(progress);
}

std::optional<std::string> local_remote_path(const std::string& url) {
  if (url.starts_with("file://")) return url.substr(7);
  if (url.starts_with("/")) return url;
  return std::nullopt;
}

namespace {

constexpr const char* kIncomingRef = "refs/histfs/incoming";  // a fetch lands here until it is checked
constexpr const char* kIncomingTags = "refs/histfs/incoming-tags/";

// Every ref below `prefix`, by full name.
std::vector<std::pair<std::string, git_oid>> refs_under(git_repository* repo, const char* prefix) {
  std::vector<std::pair<std::string, git_oid>> out;
  git_reference_iterator* raw = nullptr;
  if (git_reference_iterator_glob_new(&raw, repo, (std::string(prefix) + "*").c_str()) != 0) return out;
  git_reference* ref = nullptr;
  while (git_reference_next(&ref, raw) == 0) {
    if (const git_oid* id = git_reference_target(ref)) out.emplace_back(git_reference_name(ref), *id);
    git_reference_free(ref);
  }
  git_reference_iterator_free(raw);
  return out;
}

// The commit a tag (or a commit id) names; false for a tag of a tree or blob.
bool peel_to_commit(git_repository* repo, const git_oid& id, git_object** out) {
  git_object* object = nullptr;
  if (git_object_lookup(&object, repo, &id, GIT_OBJECT_ANY) != 0) return false;
  ObjectPtr owned(object);
  return git_object_peel(out, object, GIT_OBJECT_COMMIT) == 0;
}

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

PushOutcome RemoteClient::push(const std::optional<git_oid>& last_seen) {
  credential_attempts_ = 0;
  if (const auto local = local_remote_path(url_)) return push_local(*local, last_seen);
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
    if (status)
      static_cast<RemoteClient*>(payload)->pushing_->rejected.push_back(std::string(ref) + " (" + status + ")");
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

PushOutcome RemoteClient::push_local(const std::string& path, const std::optional<git_oid>& last_seen) {
  const RepositoryPtr target = open_local(path, "cannot push to");
  git_oid ours;
  check(git_reference_name_to_id(&ours, repo_, kBranchRef), "read main");
  const auto tags = refs_under(repo_, "refs/tags/");
  std::vector<git_oid> tips{ours};
  for (const auto& [name, id] : tags) tips.push_back(id);
  copy_objects(repo_, target.get(), tips, "cannot push to");
  PushOutcome outcome;
  // A tag is made where it is missing and never moved, as a server refuses to without force.
  for (const auto& [name, id] : tags) {
    git_oid theirs;
    if (git_reference_name_to_id(&theirs, target.get(), name.c_str()) == 0) {
      if (!git_oid_equal(&theirs, &id)) outcome.rejected.push_back(name + " (already exists)");
      continue;
    }
    git_reference* made = nullptr;
    check(git_reference_create(&made, target.get(), name.c_str(), &id, 0, "histfs: push"), "push a tag");
    git_reference_free(made);
  }
  move_local_main(target.get(), ours, last_seen, outcome);
  return outcome;
}

void RemoteClient::move_local_main(git_repository* target, const git_oid& pushed,
                                   const std::optional<git_oid>& last_seen, PushOutcome& outcome) {
  // main moves from the value we last saw to ours (compare-and-swap): two daemons pushing at
  // once must not overwrite each other.
  git_reference* moved = nullptr;
  const int result =
      last_seen ? git_reference_create_matching(&moved, target, kBranchRef, &pushed, 1, &*last_seen, "histfs: push")
                : git_reference_create(&moved, target, kBranchRef, &pushed, 0, "histfs: push");
  git_reference_free(moved);
  if (result == GIT_EMODIFIED || result == GIT_EEXISTS || result == GIT_ELOCKED) {
    outcome.rejected.push_back(std::string(kBranchRef) + " (the remote moved on since we last saw it)");
    return;
  }
  check(result, "move the local remote's main");
  // A remote made by `git init --bare` names master as HEAD: a clone would check out nothing.
  git_reference* head = nullptr;
  if (git_reference_lookup(&head, target, "HEAD") == 0) {
    const char* points_to = git_reference_symbolic_target(head);
    git_oid ignored;
    if (points_to && git_reference_name_to_id(&ignored, target, points_to) != 0)
      git_repository_set_head(target, kBranchRef);
    git_reference_free(head);
  }
}

FetchResult RemoteClient::fetch() {
  credential_attempts_ = 0;
  const auto packs_before = pack_files(repo_);
  FetchResult result;
  if (const auto local = local_remote_path(url_))
    fetch_local(*local, result);
  else
    fetch_over_network(result);
  const auto incoming_tags = refs_under(repo_, kIncomingTags);
  struct Cleanup {
    git_repository* repo;
    std::vector<std::pair<std::string, git_oid>> tags;
    ~Cleanup() {
      git_reference_remove(repo, kIncomingRef);
      for (const auto& [name, id] : tags) git_reference_remove(repo, name.c_str());
    }
  } cleanup{repo_, incoming_tags};
  try {
    const std::vector<std::string> known = {kBranchRef, kRemoteTrackingRef, "refs/histfs/pushed"};
    if (result.main) check_new_history(repo_, *result.main, known);
    for (const auto& [name, id] : incoming_tags) {
      git_object* peeled = nullptr;
      if (peel_to_commit(repo_, id, &peeled)) {
        ObjectPtr owned(peeled);
        check_new_history(repo_, *git_object_id(peeled), known);
      }
    }
  } catch (const UnsafePathError&) {
    remove_new_packs(repo_, packs_before);
    throw;
  }
  if (result.main) {
    git_reference* raw = nullptr;
    check(git_reference_create(&raw, repo_, kRemoteTrackingRef, &*result.main, 1, "histfs: fetch"),
          "update the remote's ref");
    git_reference_free(raw);
  }
  // Snapshots travel: a tag we do not have is made here; one we have with another target stays ours.
  for (const auto& [name, id] : incoming_tags) {
    const std::string tag = "refs/tags/" + name.substr(std::strlen(kIncomingTags));
    git_oid ours;
    if (git_reference_name_to_id(&ours, repo_, tag.c_str()) == 0) {
      if (!git_oid_equal(&ours, &id)) result.conflicting_tags.push_back(tag.substr(10));
      continue;
    }
    git_reference* raw = nullptr;
    if (git_reference_create(&raw, repo_, tag.c_str(), &id, 0, "histfs: fetch tag") == 0) {
      git_reference_free(raw);
      result.new_tags.push_back(tag.substr(10));
    }
  }
  return result;
}

void RemoteClient::fetch_over_network(FetchResult& result) {
  RemotePtr remote = make_remote();
  std::string main_spec = std::string("+") + kBranchRef + ":" + kIncomingRef;
  std::string tags_spec = std::string("+refs/tags/*:") + kIncomingTags + "*";
  char* pointers[] = {main_spec.data(), tags_spec.data()};
  git_strarray refspecs{pointers, 2};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = callbacks();
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the refspec above brings them, into quarantine
  options.update_fetchhead = 0;
  options.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
  NetworkGuard::Scope network(guard_);
  if (git_remote_fetch(remote.get(), &refspecs, &options, "histfs: fetch") != 0) fail("cannot fetch from");
  // A remote without main leaves no ref behind (or a stale one: check what it advertised).
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) fail("cannot list refs of");
  bool has_head = false;
  for (size_t i = 0; i < count; ++i) {
    if (std::strcmp(heads[i]->name, kBranchRef) == 0) result.main = heads[i]->oid;
    has_head = has_head || std::strcmp(heads[i]->name, "HEAD") == 0;
  }
  // A server lists HEAD only when it names a branch that exists (`git init --bare` names master).
  result.head_missing = result.main && !has_head;
}

RepositoryPtr RemoteClient::open_local(const std::string& path, const char* what) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) fail(what);
  return RepositoryPtr(raw);
}

void RemoteClient::copy_objects(git_repository* from, git_repository* to, const std::vector<git_oid>& tips,
                                const char* what) {
  try {
    copy_missing_objects(from, to, tips, [this](std::size_t objects, std::size_t bytes) {
      report({objects, 0, bytes});
    });
  } catch (const std::exception& error) {
    throw RemoteError(std::string(what) + " " + redact_url(url_) + ": " + error.what());
  }
}

void RemoteClient::fetch_local(const std::string& path, FetchResult& result) {
  // The same refs as the refspecs of fetch_over_network(): main, and every tag into quarantine.
  const RepositoryPtr remote = open_local(path, "cannot fetch from");
  std::vector<git_oid> tips;
  std::vector<std::pair<std::string, git_oid>> tags;
  git_oid main;
  if (git_reference_name_to_id(&main, remote.get(), kBranchRef) == 0) {
    result.main = main;
    tips.push_back(main);
  }
  for (auto& [name, id] : refs_under(remote.get(), "refs/tags/")) {
    tags.emplace_back(kIncomingTags + name.substr(std::strlen("refs/tags/")), id);
    tips.push_back(id);
  }
  copy_objects(remote.get(), repo_, tips, "cannot fetch from");
  auto set_ref = [this](const char* name, const git_oid& id) {
    git_reference* made = nullptr;
    check(git_reference_create(&made, repo_, name, &id, 1, "histfs: fetch"), "keep a fetched ref");
    git_reference_free(made);
  };
  if (result.main) set_ref(kIncomingRef, *result.main);
  for (const auto& [name, id] : tags) set_ref(name.c_str(), id);
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
