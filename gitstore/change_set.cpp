#include "gitstore/change_set.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace histfs::gitstore {
namespace {

std::string read_process_name(pid_t pid) {
  if (pid <= 0) return "unknown";
  char file[64];
  snprintf(file, sizeof file, "/proc/%d/comm", static_cast<int>(pid));
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "unknown";
  char name[64];
  ssize_t n = read(fd, name, sizeof name - 1);
  close(fd);
  if (n <= 0) return "unknown";
  while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == '\0')) --n;
  return std::string(name, static_cast<size_t>(n));
}

// Calls fn(it) for each path at or below `dir`; those all start with `dir`, so they sit together.
template <typename Fn>
void for_each_below(std::set<std::string>& paths, const std::string& dir, Fn fn) {
  auto it = paths.lower_bound(dir);
  while (it != paths.end() && it->compare(0, dir.size(), dir) == 0) {
    if (is_same_or_below(*it, dir))
      it = fn(it);
    else
      ++it;
  }
}

// Replaces the `from` prefix of every path at or below it with `to`.
void rename_below(std::set<std::string>& paths, const std::string& from, const std::string& to) {
  std::vector<std::string> moved;
  for_each_below(paths, from, [&](auto it) {
    moved.push_back(to + it->substr(from.size()));
    return paths.erase(it);
  });
  paths.insert(moved.begin(), moved.end());
}

bool related(const std::string& a, const std::string& b) { return is_same_or_below(a, b) || is_same_or_below(b, a); }

void erase_under(std::set<std::string>& paths, const std::string& path) {
  for_each_below(paths, path, [&](auto it) { return paths.erase(it); });
}

void exchange_below(std::set<std::string>& paths, const std::string& a, const std::string& b) {
  const std::string parked = "\x01";  // a name no real path can start with
  rename_below(paths, a, parked);
  rename_below(paths, b, a);
  rename_below(paths, parked, b);
}

}  // namespace

namespace {

bool has_strict_ancestor(const std::set<std::string>& paths, const std::string& path) {
  if (paths.count("")) return true;
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (paths.count(path.substr(0, slash))) return true;
  return false;
}

void insert_below(const std::set<std::string>& from, const std::string& dir, std::set<std::string>& out) {
  for (auto it = from.lower_bound(dir); it != from.end() && it->compare(0, dir.size(), dir) == 0; ++it)
    if (is_same_or_below(*it, dir)) out.insert(*it);
}

}  // namespace

void carry_through(std::set<std::string>& paths, const PathOp& op) {
  switch (op.kind) {
    case PathOp::Kind::Remove:
      erase_under(paths, op.path);
      break;
    case PathOp::Kind::Move: {
      const bool from_inside = has_strict_ancestor(paths, op.path);
      erase_under(paths, op.other);  // replaced
      rename_below(paths, op.path, op.other);
      if (from_inside) paths.insert(op.other);
      break;
    }
    case PathOp::Kind::Exchange: {
      const bool a_inside = has_strict_ancestor(paths, op.path);
      const bool b_inside = has_strict_ancestor(paths, op.other);
      exchange_below(paths, op.path, op.other);
      if (a_inside) paths.insert(op.other);
      if (b_inside) paths.insert(op.path);
      break;
    }
  }
}

std::set<std::string> carried_to(const std::set<std::string>& paths, const PathOp& op) {
  std::set<std::string> out;
  if (op.kind == PathOp::Kind::Remove) return out;
  insert_below(paths, op.other, out);
  if (op.kind == PathOp::Kind::Exchange) insert_below(paths, op.path, out);
  return out;
}

void ChangeSet::touch_locked(uid_t uid, pid_t pid) {
  auto now = Clock::now();
  // Only the first change of a batch wakes the committer: later ones only push its
  // deadline back, which it notices when its timer fires. No context switch per write.
  const bool first = !first_change_;
  if (first) first_change_ = now;
  last_change_ = now;
  auto [it, inserted] = process_names_.try_emplace(pid);
  if (inserted) it->second = read_process_name(pid);
  batch_.actors.insert(Actor{uid, pid, it->second});
  if (first) wake_.notify_all();
}

void ChangeSet::erase_under_locked(const std::string& path) {
  erase_under(batch_.dirty, path);
  erase_under(batch_.moved_to, path);
}

std::set<std::string> ChangeSet::follow_in_flight_locked(const PathOp& op) {
  if (in_flight_.empty()) return {};
  carry_through(in_flight_, op);
  return carried_to(in_flight_, op);
}

void ChangeSet::dirty(const std::string& path, uid_t uid, pid_t pid) {
  std::lock_guard lock(mutex_);
  batch_.dirty.insert(path);
  touch_locked(uid, pid);
}

void ChangeSet::removed(const std::string& path, uid_t uid, pid_t pid) {
  std::lock_guard lock(mutex_);
  erase_under_locked(path);
  batch_.ops.push_back({PathOp::Kind::Remove, path, {}});
  follow_in_flight_locked(batch_.ops.back());
  touch_locked(uid, pid);
}

void ChangeSet::moved(const std::string& from, const std::string& to, uid_t uid, pid_t pid) {
  if (from == to) return;  // rename(2) onto itself does nothing
  std::lock_guard lock(mutex_);
  erase_under_locked(to);  // whatever stood at `to` is replaced
  rename_below(batch_.dirty, from, to);
  rename_below(batch_.moved_to, from, to);
  batch_.moved_to.insert(to);
  batch_.ops.push_back({PathOp::Kind::Move, from, to});
  // A directory to compare took along, or lost, what moved: compare the destination too.
  carry_through(batch_.rescan_dirs, batch_.ops.back());
  for (const auto& path : follow_in_flight_locked(batch_.ops.back())) batch_.dirty.insert(path);
  touch_locked(uid, pid);
}

void ChangeSet::exchanged(const std::string& a, const std::string& b, uid_t uid, pid_t pid) {
  if (a == b) return;
  std::lock_guard lock(mutex_);
  exchange_below(batch_.dirty, a, b);
  exchange_below(batch_.moved_to, a, b);
  batch_.moved_to.insert(a);
  batch_.moved_to.insert(b);
  batch_.ops.push_back({PathOp::Kind::Exchange, a, b});
  carry_through(batch_.rescan_dirs, batch_.ops.back());
  for (const auto& path : follow_in_flight_locked(batch_.ops.back())) batch_.dirty.insert(path);
  touch_locked(uid, pid);
}

void ChangeSet::rescan(const std::string& dir) {
  std::lock_guard lock(mutex_);
  batch_.rescan_dirs.insert(dir);
  if (!first_change_) first_change_ = Clock::now();
  last_change_ = Clock::now();
  wake_.notify_all();
}

void ChangeSet::rescan(const std::string& dir, uid_t uid, pid_t pid) {
  std::lock_guard lock(mutex_);
  batch_.rescan_dirs.insert(dir);
  touch_locked(uid, pid);
}

unsigned ChangeSet::generation() const { return generation_.load(); }

void ChangeSet::defer(const std::string& path, const std::set<Actor>& actors) {
  std::lock_guard lock(mutex_);
  batch_.dirty.insert(path);
  batch_.actors.insert(actors.begin(), actors.end());
}

void ChangeSet::due_now() {
  std::lock_guard lock(mutex_);
  if (batch_.empty()) return;
  due_now_ = true;
  wake_.notify_all();
}

void ChangeSet::reading(const std::set<std::string>& paths) {
  std::lock_guard lock(mutex_);
  in_flight_ = paths;
  // Moves recorded since the cut may already have taken what the committer is about to read;
  // what they took is reread under the name it has now (later moves carry it on).
  std::set<std::string> reread;
  for (const auto& op : batch_.ops) {
    carry_through(reread, op);
    for (const auto& path : follow_in_flight_locked(op)) reread.insert(path);
  }
  batch_.dirty.insert(reread.begin(), reread.end());
}

void ChangeSet::committed() {
  std::unique_lock order(order_mutex_);
  std::lock_guard lock(mutex_);
  in_flight_.clear();
  in_flight_count_ = 0;
}

bool ChangeSet::touched_since_cut(const std::string& path) const {
  std::lock_guard lock(mutex_);
  // A .gitignore changed above the path may have changed whether it is tracked.
  auto touches_one = [&](const std::string& p) {
    if (related(p, path)) return true;
    const auto slash = p.rfind('/');
    const std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    return name == ".gitignore" && is_same_or_below(path, slash == std::string::npos ? "" : p.substr(0, slash));
  };
  auto touches = [&](const std::set<std::string>& paths) {
    return std::any_of(paths.begin(), paths.end(), touches_one);
  };
  if (touches(batch_.dirty) || touches(batch_.rescan_dirs)) return true;
  return std::any_of(batch_.ops.begin(), batch_.ops.end(), [&](const PathOp& op) {
    return touches_one(op.path) || (!op.other.empty() && touches_one(op.other));
  });
}

ChangeBatch ChangeSet::take_locked() {
  in_flight_.clear();
  in_flight_count_ = batch_.ops.size() + batch_.dirty.size() + batch_.rescan_dirs.size();
  ChangeBatch out = std::move(batch_);
  out.flush_ticket = flush_ticket_;
  out.generation = generation_.load();
  out.cut_time = std::chrono::system_clock::now();
  batch_ = ChangeBatch{};
  first_change_.reset();
  process_names_.clear();
  flush_requested_ = false;
  due_now_ = false;
  ++generation_;
  return out;
}

ChangeBatch ChangeSet::take() {
  std::lock_guard lock(mutex_);
  return take_locked();
}

ChangeBatch ChangeSet::wait_for_batch(std::chrono::milliseconds quiet, std::chrono::milliseconds max_delay) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stop_requested_) return take_locked();
    if (held_) {
      wake_.wait(lock);
      continue;
    }
    if (flush_requested_ || due_now_) return take_locked();
    if (!first_change_) {
      wake_.wait(lock);
      continue;
    }
    auto due = std::min(last_change_ + quiet, *first_change_ + max_delay);
    if (Clock::now() >= due) return take_locked();
    wake_.wait_until(lock, due);
  }
}

unsigned long ChangeSet::request_flush() {
  std::lock_guard lock(mutex_);
  flush_requested_ = true;
  wake_.notify_all();
  return ++flush_ticket_;
}

void ChangeSet::hold() {
  std::lock_guard lock(mutex_);
  held_ = true;
}

bool ChangeSet::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

void ChangeSet::release() {
  std::lock_guard lock(mutex_);
  held_ = false;
  wake_.notify_all();
}

void ChangeSet::request_stop() {
  std::lock_guard lock(mutex_);
  stop_requested_ = true;
  wake_.notify_all();
}

void ChangeSet::sleep_unless_stopped(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, duration, [this] { return stop_requested_; });
}

bool ChangeSet::stopping() const {
  std::lock_guard lock(mutex_);
  return stop_requested_;
}

size_t ChangeSet::pending() const {
  std::lock_guard lock(mutex_);
  return batch_.ops.size() + batch_.dirty.size() + batch_.rescan_dirs.size() + in_flight_count_;
}

}  // namespace histfs::gitstore
