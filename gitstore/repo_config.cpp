#include "gitstore/repo_config.hpp"

#include "gitstore/git_handle.hpp"

namespace histfs::gitstore {
namespace {

ConfigPtr open_config(const std::string& git_dir, RepositoryPtr& holder) {
  holder = open_bare_repository(git_dir, "open git dir");
  git_config* config = nullptr;
  check(git_repository_config(&config, holder.get()), "read git config");
  return ConfigPtr(config);
}

}  // namespace

std::map<std::string, std::string> read_config_strings(const std::string& git_dir,
                                                       const std::initializer_list<const char*>& keys) {
  RepositoryPtr repo;
  auto config = open_config(git_dir, repo);
  std::map<std::string, std::string> out;
  for (const char* key : keys) {
    git_buf value = GIT_BUF_INIT;
    if (git_config_get_string_buf(&value, config.get(), key) != 0) continue;
    out[key] = std::string(value.ptr, value.size);
    git_buf_dispose(&value);
  }
  return out;
}

void write_config_strings(const std::string& git_dir, const std::map<std::string, std::string>& values) {
  RepositoryPtr repo;
  auto config = open_config(git_dir, repo);
  for (const auto& [key, value] : values) {
    if (value.empty())
      git_config_delete_entry(config.get(), key.c_str());
    else
      check(git_config_set_string(config.get(), key.c_str(), value.c_str()), "save histfs setting");
  }
}

}  // namespace histfs::gitstore
