// What lfs prints (--json prints the answer instead). Names arrive in the printable form.
#include <cstdio>
#include <string>

#include "tools/histfs/commands/lfs_commands.hpp"

namespace histfs::commands {

void print_lfs(const nlohmann::json& a) {
  for (const auto& p : a["problems"])
    printf("%s: %s (LFS object %s)\n", p["path"].get<std::string>().c_str(), p["problem"].get<std::string>().c_str(),
           p["oid"].get<std::string>().c_str());
  const auto pointers = a["pointers"].get<size_t>();
  const auto bad = a["problems"].size();
  printf("%zu LFS file(s) in HEAD, %zu KiB: %s\n", pointers, size_t(a["bytes"].get<std::uint64_t>() / 1024),
         bad == 0 ? "every object is here and whole" : (std::to_string(bad) + " problem(s)").c_str());
}

}  // namespace histfs::commands
