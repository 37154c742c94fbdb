#include "tools/histfs/commands/command_table.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/histfs/cli/control_client.hpp"
#include "tools/histfs/commands/request_paths.hpp"
#include "tools/histfs/protocol/control_protocol.hpp"

using nlohmann::json;
namespace commands = histfs::commands;
namespace protocol = histfs::protocol;

namespace {

const histfs::cli::MountRef kMount{"/mnt/notes", "/data/notes.git", -1};

// Arguments each command's options accept (the required ones included): what a user might type.
std::vector<std::string> sample_arguments(std::string_view name) {
  if (name == "log") return {"-n", "3", "/mnt/notes/a.md"};
  if (name == "snapshot") return {"-m", "before", "keep1"};
  if (name == "restore") return {"/mnt/notes/proj", "--to", "HEAD~1", "--dry-run", "--allow-mass-delete"};
  if (name == "reconcile") return {"/mnt/notes/proj"};
  if (name == "connect") return {"--remote", "file:///tmp/r.git", "--token-env", "TOKEN", "--prefer", "local"};
  if (name == "push" || name == "pull") return {"--allow-mass-delete"};
  if (name == "config") return {"set", "git.autoPushInterval=5s"};
  if (name == "lfs") return {"fsck"};
  return {};
}

// The request the command's options build from `arguments`, as the CLI sends it.
json built_request(const commands::Command& command, std::vector<std::string> arguments) {
  CLI::App app;
  CLI::App* sub = app.add_subcommand(std::string(command.name));
  const commands::ClientSide client = command.add_options(*sub);
  arguments.insert(arguments.begin(), std::string(command.name));
  std::vector<const char*> argv{"histfs"};
  for (const auto& a : arguments) argv.push_back(a.c_str());
  app.parse(int(argv.size()), argv.data());
  json request = client.request(kMount);
  request["command"] = std::string(command.name);
  return request;
}

bool declares(const commands::Command& command, const std::string& field) {
  for (const auto& f : command.fields)
    if (field == f.name) return true;
  return false;
}

}  // namespace

TEST_CASE("the command table lists every control command once, in the order of --help") {
  std::vector<std::string> names;
  for (const auto& command : commands::command_table()) names.emplace_back(command.name);
  CHECK(names == std::vector<std::string>{"status", "flush", "log", "snapshot", "snapshots", "restore", "connect",
                                          "push", "pull", "reconcile", "config", "gc", "lfs", "report"});
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == names.size());
}

TEST_CASE("every command parse_request accepts has a handler, a printer, options and a help line") {
  for (const auto& command : commands::command_table()) {
    INFO(command.name);
    CHECK_NOTHROW(protocol::parse_request(json{{"command", std::string(command.name)}}.dump()));
    CHECK(commands::find_command(command.name) == &command);
    CHECK(command.handle != nullptr);
    CHECK(command.print != nullptr);
    CHECK(command.add_options != nullptr);
    CHECK(!command.help.empty());
  }
  CHECK(commands::find_command("mount") == nullptr);
  CHECK_THROWS_AS(protocol::parse_request(R"({"command":"mount"})"), protocol::RequestError);
}

TEST_CASE("only the commands that change files or history run one at a time") {
  std::set<std::string> one_at_a_time;
  for (const auto& command : commands::command_table())
    if (command.one_at_a_time) one_at_a_time.emplace(command.name);
  CHECK(one_at_a_time == std::set<std::string>{"snapshot", "restore", "reconcile", "connect"});
}

TEST_CASE("the request builders make what parse_request accepts, with only declared fields") {
  for (const auto& command : commands::command_table()) {
    INFO(command.name);
    for (const auto& arguments : {std::vector<std::string>{}, sample_arguments(command.name)}) {
      const bool needs_arguments = command.name == "restore" || command.name == "connect" || command.name == "config" ||
                                   command.name == "lfs";  // required options or a subcommand
      if (arguments.empty() && needs_arguments) continue;
      const json request = built_request(command, arguments);
      INFO(request.dump());
      CHECK(protocol::parse_request(request.dump()) == request);
      for (const auto& [key, value] : request.items())
        if (key != "command") CHECK(declares(command, key));
    }
  }
}

TEST_CASE("a declared field of the wrong type is refused before any handler runs") {
  for (const auto& command : commands::command_table())
    for (const auto& field : command.fields) {
      INFO(std::string(command.name) + " " + field.name);
      const json wrong = field.type == protocol::FieldType::String ? json(true) : json("text");
      CHECK_THROWS_AS(protocol::parse_request(json{{"command", std::string(command.name)}, {field.name, wrong}}.dump()),
                      protocol::RequestError);
    }
}

TEST_CASE("request paths: mount-relative and printable in the client, bytes again in the daemon") {
  const auto& log = *commands::find_command("log");
  CHECK(built_request(log, {"/mnt/notes/a.md"})["path"] == "a.md");
  CHECK(built_request(log, {"/mnt/notes"})["path"] == "");
  // Not UTF-8, and a backslash: the request is still valid JSON, and the daemon gets the bytes back.
  const json odd = built_request(log, {"/mnt/notes/caf\xff\\x.md"});
  CHECK(odd["path"] == "caf\\xff\\\\x.md");
  CHECK(commands::checked_path(protocol::parse_request(odd.dump())) == "caf\xff\\x.md");
  CHECK_THROWS_AS(built_request(log, {"/etc/passwd"}), histfs::cli::ClientError);

  CHECK(commands::checked_path(json{{"path", "proj/"}}) == "proj");
  CHECK(commands::checked_path(json{{"path", "."}}) == "");
  CHECK(commands::checked_path(json::object()) == "");
  CHECK_THROWS_WITH(commands::checked_path(json{{"path", "../x"}}), Catch::Matchers::Contains("outside the mount"));
  CHECK_THROWS_WITH(commands::checked_path(json{{"path", "/etc"}}), Catch::Matchers::Contains("outside the mount"));
  CHECK_THROWS_WITH(commands::checked_path(json{{"path", ".history/latest"}}), Catch::Matchers::Contains("read-only"));
}
