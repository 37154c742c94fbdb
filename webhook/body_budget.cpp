#include "webhook/body_budget.hpp"

#include <malloc.h>

namespace histfs::webhook {
namespace {

// glibc serves a large allocation with mmap and returns it on free, but each such free raises its mmap
// threshold (up to 32 MB), so the next bodies of that size come from the heap, and freed heap memory stays
// with the process: the daemon kept 2 GB after the bodies were gone. Trimming after a large body is freed
// gives it back.
constexpr size_t kTrimAfter = 1024 * 1024;

}  // namespace

std::optional<BodyBudget::Hold> BodyBudget::take(size_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > limit_ - in_use_) return std::nullopt;
  in_use_ += bytes;
  return Hold(this, bytes);
}

size_t BodyBudget::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

void BodyBudget::give_back(size_t bytes) {
  {
    std::lock_guard lock(mutex_);
    in_use_ -= bytes;
  }
  if (bytes >= kTrimAfter) malloc_trim(0);
}

BodyBudget::Hold& BodyBudget::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    bytes_ = other.bytes_;
    other.budget_ = nullptr;
  }
  return *this;
}

void BodyBudget::Hold::release() {
  if (budget_) budget_->give_back(bytes_);
  budget_ = nullptr;
}

}  // namespace histfs::webhook
