#include "gitstore/progress.hpp"

#include <algorithm>

namespace histfs::gitstore {
namespace {

thread_local ProgressTask* current_task = nullptr;

}  // namespace

ProgressTask* current_progress() { return current_task; }

ProgressScope::ProgressScope(ProgressTask* task) : outer_(current_task) { current_task = task; }

ProgressScope::~ProgressScope() { current_task = outer_; }

ProgressTask::ProgressTask(std::string task, std::string state)
    : task_(std::move(task)), started_(std::chrono::steady_clock::now()), state_(std::move(state)) {}

void ProgressTask::set_state(std::string state) {
  std::lock_guard lock(mutex_);
  state_ = std::move(state);
}

void ProgressTask::set_total(std::uint64_t items, std::uint64_t bytes) {
  total_.store(items, std::memory_order_relaxed);
  bytes_total_.store(bytes, std::memory_order_relaxed);
}

void ProgressTask::advance(std::uint64_t items, std::uint64_t bytes) {
  done_.fetch_add(items, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void ProgressTask::set_done(std::uint64_t items, std::uint64_t bytes) {
  done_.store(items, std::memory_order_relaxed);
  bytes_.store(bytes, std::memory_order_relaxed);
}

ProgressSnapshot ProgressTask::snapshot() const {
  ProgressSnapshot out;
  out.task = task_;
  {
    std::lock_guard lock(mutex_);
    out.state = state_;
  }
  out.done = done_.load(std::memory_order_relaxed);
  out.total = total_.load(std::memory_order_relaxed);
  out.bytes = bytes_.load(std::memory_order_relaxed);
  out.bytes_total = bytes_total_.load(std::memory_order_relaxed);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return out;
}

std::shared_ptr<ProgressTask> ProgressBoard::begin(std::string task, std::string state) {
  auto entry = std::make_shared<ProgressTask>(std::move(task), std::move(state));
  std::lock_guard lock(mutex_);
  tasks_.push_back(entry);
  return entry;
}

std::vector<ProgressSnapshot> ProgressBoard::list() const {
  std::vector<ProgressSnapshot> out;
  std::lock_guard lock(mutex_);
  std::erase_if(tasks_, [](const auto& task) { return task.expired(); });
  for (const auto& weak : tasks_)
    if (auto task = weak.lock()) out.push_back(task->snapshot());
  return out;
}

}  // namespace histfs::gitstore
