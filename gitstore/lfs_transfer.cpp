#include "gitstore/lfs_transfer.hpp"

#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "gitstore/http_client.hpp"
#include "gitstore/remote.hpp"

namespace histfs::gitstore {
namespace {

using nlohmann::json;

constexpr std::size_t kBatchSize = 100;
constexpr const char* kLfsMediaType = "application/vnd.git-lfs+json";

std::string scheme_of(const std::string& url) { return url.substr(0, url.find("://")); }

// The folder where git-lfs keeps a local remote's objects: <bare repo>/lfs, <work tree>/.git/lfs.
std::string local_lfs_dir(const std::string& path) {
  struct stat st;
  if (stat((path + "/.git").c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return path + "/.git/lfs";
  return path + "/lfs";
}

std::string short_oid(const std::string& oid) { return oid.substr(0, 12); }

}  // namespace

std::string lfs_endpoint(const std::string& git_url) {
  std::string url = git_url;
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  if (!url.ends_with(".git")) url += ".git";
  return url + "/info/lfs";
}

LfsTransfer::LfsTransfer(LfsStore& local, LfsTransferOptions options) : local_(local), options_(std::move(options)) {
  if (auto path = local_remote_path(options_.url)) {
    remote_dir_ = local_lfs_dir(*path);
  } else {
    HttpClientOptions http;
    http.ca_file = options_.ca_file;
    http.timeout = options_.timeout;
    http_ = std::make_unique<HttpClient>(http);
  }
}

LfsTransfer::~LfsTransfer() = default;

void LfsTransfer::cancel() {
  cancelled_ = true;
  if (http_) http_->cancel();
}

void LfsTransfer::check_href(const std::string& href) const {
  // Objects may live on another host (a CDN), but never over a weaker scheme than the API's.
  const std::string scheme = scheme_of(href);
  const bool secure_api = scheme_of(options_.url) == "https";
  if (scheme != "https" && (scheme != "http" || secure_api)) throw LfsError("the LFS server gave an unusable address");
  const std::string authority = url_authority(href);
  if (authority.empty() || authority.find_first_of(" \t\r\n") != std::string::npos)
    throw LfsError("the LFS server gave an unusable address");
}

std::vector<LfsTransfer::Answer> LfsTransfer::batch(const std::string& operation,
                                                    const std::vector<LfsPointer>& objects) {
  json request = {{"operation", operation},
                  {"transfers", {"basic"}},
                  {"ref", {{"name", "refs/heads/main"}}},
                  {"hash_algo", "sha256"},
                  {"objects", json::array()}};
  for (const auto& object : objects) request["objects"].push_back({{"oid", object.oid}, {"size", object.size}});
  HttpRequest http;
  http.method = "POST";
  http.url = lfs_endpoint(options_.url) + "/objects/batch";
  http.headers = {{"Accept", kLfsMediaType}, {"Content-Type", kLfsMediaType}};
  if (!options_.token.empty())
    http.headers.emplace_back("Authorization", basic_authorization("x-access-token", options_.token));
  http.body = request.dump();
  const HttpResponse response = http_->send(http);
  if (response.status < 200 || response.status >= 300) {
    std::string message;
    try {
      message = json::parse(response.body).value("message", "");
    } catch (const json::exception&) {
    }
    throw LfsError("the LFS batch " + operation + " request got HTTP " + std::to_string(response.status) +
                   (message.empty() ? "" : ": " + message.substr(0, 200)));
  }
  json answer;
  try {
    answer = json::parse(response.body);
  } catch (const json::exception&) {
    throw LfsError("the LFS server's batch answer is not JSON");
  }
  std::map<std::string, Answer> by_oid;
  try {
    if (answer.contains("transfer") && answer["transfer"].is_string() && answer["transfer"] != "basic")
      throw LfsError("the LFS server wants the " + answer["transfer"].get<std::string>() + " transfer, not basic");
    for (const auto& object : answer.at("objects")) {
      const std::string oid = object.at("oid").get<std::string>();
      auto asked = std::find_if(objects.begin(), objects.end(), [&](const LfsPointer& p) { return p.oid == oid; });
      if (asked == objects.end()) continue;  // an object we did not ask about: ignored
      if (object.contains("size") && object["size"].get<std::uint64_t>() != asked->size)
        throw LfsError("the LFS server answered another size for " + short_oid(oid));
      if (object.contains("error")) {
        const int code = object["error"].value("code", 0);
        const std::string message = object["error"].value("message", "");
        throw LfsError("LFS object " + oid +
                       (code == 404 ? " is missing on the server" : " was refused by the server") + " (" +
                       std::to_string(code) + (message.empty() ? "" : ": " + message.substr(0, 200)) + ")");
      }
      Answer result;
      if (object.contains("actions")) {
        auto action_of = [&](const char* name) -> std::optional<Action> {
          if (!object["actions"].contains(name)) return std::nullopt;
          const auto& item = object["actions"][name];
          Action action{item.at("href").get<std::string>(), {}};
          check_href(action.href);
          if (item.contains("header"))
            for (const auto& [key, value] : item["header"].items()) {
              const std::string text = value.get<std::string>();
              if (key.find_first_of("\r\n:") != std::string::npos || text.find_first_of("\r\n") != std::string::npos)
                throw LfsError("the LFS server gave an unusable header");
              action.headers.emplace_back(key, text);
            }
          return action;
        };
        result.transfer = action_of(operation == "upload" ? "upload" : "download");
        result.verify = action_of("verify");
      }
      by_oid[oid] = result;
    }
  } catch (const json::exception&) {
    throw LfsError("the LFS server's batch answer is malformed");
  }
  std::vector<Answer> out;
  for (const auto& object : objects) {
    auto found = by_oid.find(object.oid);
    if (found == by_oid.end()) {
      if (operation == "download") throw LfsError("the LFS server said nothing of " + object.oid);
      out.push_back({});
    } else {
      out.push_back(found->second);
    }
  }
  return out;
}

void LfsTransfer::send_action(const std::string& what, const Action& action, const LfsPointer& pointer, bool upload,
                              const std::function<void(std::uint64_t)>& moved) {
  HttpRequest http;
  http.url = action.href;
  http.headers = action.headers;
  const bool has_auth = std::any_of(http.headers.begin(), http.headers.end(), [](const auto& header) {
    return strcasecmp(header.first.c_str(), "authorization") == 0;
  });
  // Our credentials go only to the API's own host.
  if (!has_auth && !options_.token.empty() && url_authority(action.href) == url_authority(options_.url))
    http.headers.emplace_back("Authorization", basic_authorization("x-access-token", options_.token));
  std::string temp;
  if (what == "verify") {
    http.method = "POST";
    http.headers.emplace_back("Content-Type", kLfsMediaType);
    http.headers.emplace_back("Accept", kLfsMediaType);
    http.body = json{{"oid", pointer.oid}, {"size", pointer.size}}.dump();
  } else if (upload) {
    http.method = "PUT";
    http.headers.emplace_back("Content-Type", "application/octet-stream");
    http.body_file = local_.object_path(pointer.oid);
  } else {
    http.method = "GET";
    temp = local_.new_temp_file();
    http.response_file = temp;
  }
  if (moved && what != "verify") http.progress = [&](std::uint64_t done, std::uint64_t) { moved(done); };
  HttpResponse response;
  try {
    response = http_->send(http);
  } catch (...) {
    if (!temp.empty()) unlink(temp.c_str());
    throw;
  }
  if (response.status < 200 || response.status >= 300) {
    if (!temp.empty()) unlink(temp.c_str());
    throw LfsError("LFS " + what + " of " + pointer.oid + " got HTTP " + std::to_string(response.status) +
                   (response.status == 404 ? " (missing on the server)" : ""));
  }
  if (!temp.empty()) local_.adopt_temp_file(temp, pointer);
}

void LfsTransfer::upload(const std::vector<LfsPointer>& objects,
                         const std::function<void(const LfsProgress&)>& progress) {
  LfsProgress state;
  state.objects_total = objects.size();
  for (const auto& object : objects) state.bytes_total += object.size;
  if (progress) progress(state);
  for (size_t start = 0; start < objects.size(); start += kBatchSize) {
    const std::vector<LfsPointer> group(objects.begin() + long(start),
                                        objects.begin() + long(std::min(objects.size(), start + kBatchSize)));
    if (remote_dir_) {
      LfsStore remote(*remote_dir_);
      for (const auto& object : group) {
        if (cancelled_) throw LfsError("cancelled");
        if (!remote.has(object)) {
          if (!local_.has(object)) throw LfsError("LFS object " + object.oid + " is missing from the local store");
          local_.copy_to(remote, object);
        }
        ++state.objects_done;
        state.bytes_done += object.size;
        if (progress) progress(state);
      }
      continue;
    }
    const auto answers = batch("upload", group);
    for (size_t i = 0; i < group.size(); ++i) {
      const std::uint64_t before = state.bytes_done;
      if (answers[i].transfer) {
        if (!local_.has(group[i])) throw LfsError("LFS object " + group[i].oid + " is missing from the local store");
        send_action("upload", *answers[i].transfer, group[i], true, [&](std::uint64_t done) {
          state.bytes_done = before + done;
          if (progress) progress(state);
        });
        if (answers[i].verify) send_action("verify", *answers[i].verify, group[i], true, {});
      }
      state.bytes_done = before + group[i].size;
      ++state.objects_done;
      if (progress) progress(state);
    }
  }
}

void LfsTransfer::download(const std::vector<LfsPointer>& objects,
                           const std::function<void(const LfsProgress&)>& progress) {
  std::vector<LfsPointer> missing;
  std::set<std::string> seen;
  for (const auto& object : objects)
    if (!local_.has(object) && seen.insert(object.oid).second) missing.push_back(object);
  LfsProgress state;
  state.objects_total = missing.size();
  for (const auto& object : missing) state.bytes_total += object.size;
  if (progress && !missing.empty()) progress(state);
  for (size_t start = 0; start < missing.size(); start += kBatchSize) {
    const std::vector<LfsPointer> group(missing.begin() + long(start),
                                        missing.begin() + long(std::min(missing.size(), start + kBatchSize)));
    if (remote_dir_) {
      LfsStore remote(*remote_dir_);
      for (const auto& object : group) {
        if (cancelled_) throw LfsError("cancelled");
        if (!remote.has(object)) throw LfsError("LFS object " + object.oid + " is missing on the remote");
        remote.copy_to(local_, object);
        ++state.objects_done;
        state.bytes_done += object.size;
        if (progress) progress(state);
      }
      continue;
    }
    const auto answers = batch("download", group);
    for (size_t i = 0; i < group.size(); ++i) {
      if (!answers[i].transfer) throw LfsError("the LFS server gave no download for " + group[i].oid);
      const std::uint64_t before = state.bytes_done;
      send_action("download", *answers[i].transfer, group[i], false, [&](std::uint64_t done) {
        state.bytes_done = before + done;
        if (progress) progress(state);
      });
      state.bytes_done = before + group[i].size;
      ++state.objects_done;
      if (progress) progress(state);
    }
  }
}

}  // namespace histfs::gitstore
