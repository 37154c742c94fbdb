#pragma once
// Long tasks in progress as status shows them, and the one line that draws one on a terminal.
#include <string>

#include <nlohmann/json.hpp>

#include "gitstore/progress.hpp"

namespace histfs::commands {

// [{"task": "restore", "state": "writing", "done": 120, "total": 5000, "bytes": 1048576,
//   "bytes_total": 0, "seconds": 2.5}, ...]; total and bytes_total are 0 when not known.
nlohmann::json progress_json(const gitstore::ProgressBoard& board);

// Every task in progress a status answer shows: its "progress" list, a Git LFS transfer
// ("remote"."lfs"."progress") and a push, fetch or import the remote is transferring
// ("remote"."progress": objects and bytes).
nlohmann::json tasks_in_status(const nlohmann::json& status);

// "restore: writing 120/5000 files, 1.0 MiB, 2 s" (the unit is "items" for tasks that do not count files).
std::string progress_text(const nlohmann::json& task);

}  // namespace histfs::commands
