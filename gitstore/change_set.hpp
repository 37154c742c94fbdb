#pragma once
// The changes recorded by the FUSE layer since the last commit. Cheap to
// record from any thread: no I/O, no hashing. Paths are relative to the
// backing root. Content is read when the batch is committed.
#include <git2.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <tuple>
#include <vector>

#include "gitstore/repo_path.hpp"

namespace histfs::gitstore {

// Who made a change, from the FUSE request context.
struct Actor {
  uid_t uid = 0;
  pid_t pid = 0;
  std::string process;  // process name of pid when it was recorded
  bool operator<(const Actor& other) const { return std::tie(uid, process) < std::tie(other.uid, other.process); }
};

// A structural change to replay on the tree, in order.
struct PathOp {
  enum class Kind { Remove, Move, Exchange };
  Kind kind;
  std::string path;
  std::string other;  // destination of a move, partner of an exchange
};

struct ChangeBatch {
  std::vector<PathOp> ops;            // replayed first, in order
  std::set<std::string> dirty;        // then each of these is re-read from the backing dir (current names)
  std::set<std::string> rescan_dirs;  // whole directories to compare with the tree ("" = everything)
  // Where moves and exchanges put entries (current names): replayed, not reread, so the
  // committer's self-check compares them with the backing dir.
  std::set<std::string> moved_to;
  std::chrono::system_clock::time_point cut_time;  // when the batch was taken
  std::set<Actor> actors;
  unsigned generation = 0;  // ChangeSet::generation() while this batch was being recorded
  // Every flush requested up to this ticket is done once this batch is committed.
  unsigned long flush_ticket = 0;
  bool empty() const { return ops.empty() && dirty.empty() && rescan_dirs.empty(); }
};

class ChangeSet {
 public:
  using Clock = std::chrono::steady_clock;

  void dirty(const std::string& path, uid_t uid, pid_t pid);
  void removed(const std::string& path, uid_t uid, pid_t pid);
  void moved(const std::string& from, const std::string& to, uid_t uid, pid_t pid);
  void exchanged(const std::string& a, const std::string& b, uid_t uid, pid_t pid);
  void rescan(const std::string& dir);
  // The same for a change (uid, pid) made there that has no path we can name (too deep, a
  // hard link): they are among the commit's authors like any writer.
  void rescan(const std::string& dir, uid_t uid, pid_t pid);

  // The namespace order lock. Held exclusively from a namespace syscall (create, unlink,
  // rename, ...) until its change is recorded, and shared from resolving an inode's path to
  // recording a write there: so the batch sees namespace changes in the order they happened,
  // and a write is recorded under the name its file had when the record was made.
  // Lock order: this, then the ChangeSet's own mutex.
  std::shared_mutex& order_mutex() { return order_mutex_; }

  // The batch being committed. Between the cut and committed(), the committer reads the
  // backing dir as it is then, so what it reads may already reflect namespace changes of
  // the next batch. reading() names the paths it is about to read; every move or exchange
  // recorded after the cut that takes something from (or out of) one of them also marks
  // the destination dirty in the next batch, which then rereads it there.
  void reading(const std::set<std::string>& paths);
  // The commit of the batch in flight is done (or failed): stop following its paths.
  // Takes the order lock, so every namespace change made before it was recorded first.
  void committed();
  // True when the batch being recorded now (since the last cut) changed `path`, something
  // below it or one of its parents (for the committer's self-check).
  bool touched_since_cut(const std::string& path) const;

  // A number that changes whenever a batch is taken, so a caller can remember
  // "already recorded in this batch" without asking again (see fs::Inode), or name the
  // batch its writes land in while the set is held (Committer::label_batch).
  unsigned generation() const;

  // Keeps `path` in the batch being recorded, for `actors`, without making that batch due:
  // a large file the committer left out while it is imported in the background
  // (LfsImporter). Later moves carry it like any dirty path.
  void defer(const std::string& path, const std::set<Actor>& actors);
  // Makes the batch being recorded due now when it holds anything (an import finished).
  void due_now();

  // Blocks until a batch is due (quiet for `quiet`, or `max_delay` after its
  // first change), `stop` is requested, or `flush` is requested. Returns the
  // batch (possibly empty when stopping).
  ChangeBatch wait_for_batch(std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay);
  ChangeBatch take();
  // Asks for the pending changes to be committed now; returns a ticket for Committer::wait_flushed.
  unsigned long request_flush();
  // While held, no batch is cut (except at stop): a restore's writes become one commit.
  void hold();
  void release();
  bool held() const;
  void request_stop();
  bool stopping() const;
  // Sleeps for `duration` unless a stop is requested first.
  void sleep_unless_stopped(std::chrono::milliseconds duration);
  // What is not committed yet: paths and operations recorded since the cut, plus those of
  // the batch being committed (a folder move counts once).
  size_t pending() const;

 private:
  void touch_locked(uid_t uid, pid_t pid);
  void erase_under_locked(const std::string& path);
  ChangeBatch take_locked();
  // Carries the paths in flight through `op`; returns those it put somewhere new.
  std::set<std::string> follow_in_flight_locked(const PathOp& op);

  std::shared_mutex order_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  ChangeBatch batch_;
  std::optional<Clock::time_point> first_change_;
  Clock::time_point last_change_;
  std::map<pid_t, std::string> process_names_;  // per batch, so /proc is read once per writer
  std::atomic<unsigned> generation_{1};
  bool flush_requested_ = false;
  bool due_now_ = false;
  unsigned long flush_ticket_ = 0;
  bool held_ = false;
  bool stop_requested_ = false;
  // Paths the committer reads for the batch in flight, and where later moves took them.
  std::set<std::string> in_flight_;
  size_t in_flight_count_ = 0;  // pending() of the batch in flight
};

// Paths that name places in a tree, carried through `op` as the replay moves the entries:
// paths at or below a moved entry move with it, a path above it (a directory that held it)
// also names its destination, paths at a replaced or removed entry go.
void carry_through(std::set<std::string>& paths, const PathOp& op);
// The paths of `paths` (already carried) at or below where `op` put entries.
std::set<std::string> carried_to(const std::set<std::string>& paths, const PathOp& op);

}  // namespace histfs::gitstore
