#include "tools/histfs/daemon/remote_state.hpp"

#include <catch2/catch.hpp>

namespace histfs::daemon {

TEST_CASE("status shows what the remote sync is doing, with progress only while it transfers", "[remote_state]") {
  RemoteState state;
  state.url = "file:///srv/notes.git";
  CHECK(state.to_json()["state"] == "starting");
  state.phase = SyncPhase::Fetching;
  state.progress = gitstore::TransferProgress{120, 300, 4096};
  auto shown = state.to_json();
  CHECK(shown["state"] == "fetching");
  CHECK(shown["progress"]["objects_done"] == 120);
  CHECK(shown["progress"]["objects_total"] == 300);
  CHECK(shown["progress"]["bytes"] == 4096);
  state.phase = state.resting_phase();
  CHECK(state.to_json()["state"] == "in sync");
  CHECK(state.to_json()["progress"].is_null());
}

TEST_CASE("a held pull or push and a refusal are the resting phase", "[remote_state]") {
  RemoteState state;
  state.pull_held = "the remote's abc deletes 9 files here";
  CHECK(state.resting_phase() == SyncPhase::Held);
  CHECK(state.to_json()["pull_held"] == "the remote's abc deletes 9 files here");
  state.refused = "rewritten";
  CHECK(state.resting_phase() == SyncPhase::Refused);
  for (auto phase : {SyncPhase::Pushing, SyncPhase::Merging, SyncPhase::Importing, SyncPhase::Retrying})
    CHECK(std::string(to_string(phase)).size() > 0);
}

}  // namespace histfs::daemon
