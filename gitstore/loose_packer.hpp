#pragma once
// Packs a git dir's loose objects (what `git gc` would do first): one new pack of every loose
// object, written by libgit2's packbuilder on a git_repository handle of its own, made durable
// (pack, index and directory fsynced), checked (each object is looked up in the new pack's
// index alone), and only then are the loose files of the objects it holds removed.
//
// Safe beside a running committer: an object written while the pack is made is not in the list
// taken at the start and stays loose for the next pack; one removed meanwhile (a failed commit
// takes its objects back) is left out; readers that miss a removed loose file find it in the
// pack (libgit2 rescans the pack directory on a miss). Empty fan-out directories stay: removing
// one could race with a writer creating an object in it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "gitstore/progress.hpp"

namespace histfs::gitstore {

struct LooseCount {
  std::size_t objects = 0;
  std::uint64_t bytes = 0;
};

// Every loose object (reads the 256 fan-out directories).
LooseCount count_loose_objects(const std::string& git_dir);
// Cheap, as `git gc --auto` does: the objects in one fan-out directory (objects/17) times 256.
std::size_t estimate_loose_objects(const std::string& git_dir);

struct PackResult {
  std::size_t packed = 0;         // objects in the new pack
  std::size_t removed = 0;        // loose files removed
  std::uint64_t loose_bytes = 0;  // what those loose files took
  std::uint64_t pack_bytes = 0;   // the new .pack and .idx
  std::string pack;               // "pack-<hash>", "" when there was nothing to pack
  double seconds = 0;
};

// The pack was given up because `stop_requested` said so; nothing was removed.
struct PackStopped : std::runtime_error {
  PackStopped() : std::runtime_error("the pack was stopped before it was written") {}
};

// Throws GitError or std::system_error; what was loose then stays loose (a pack already written
// is kept: it holds only objects that exist). `progress`, when given, counts objects.
// `stop_requested`, when given, is asked as the objects are listed, compressed and written
// (thousands of times a second); once it says yes the pack is abandoned (PackStopped),
// so an unmount does not wait for a pack of a million objects.
PackResult pack_loose_objects(const std::string& git_dir, ProgressTask* progress = nullptr,
                              const std::function<bool()>& stop_requested = {});

}  // namespace histfs::gitstore
