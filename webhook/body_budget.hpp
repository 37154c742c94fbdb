#pragma once
// One byte budget for the request bodies of all connections at once. A body is
// unauthenticated until it has been read whole (the signature covers every
// byte), so without a shared bound 80 clients sending 24 MB each held 2 GB.
// A connection takes its share from the Content-Length before it reads a byte
// of the body (the body string reserves exactly that much) and gives it back
// once the body is freed; a request that does not fit is answered 503.
#include <cstddef>
#include <mutex>
#include <optional>

namespace histfs::webhook {

class BodyBudget {
 public:
  class Hold;

  explicit BodyBudget(size_t limit) : limit_(limit) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  // A hold on bytes, or nullopt when they do not fit beside the holds already taken.
  std::optional<Hold> take(size_t bytes);
  size_t in_use() const;
  size_t limit() const { return limit_; }

 private:
  void give_back(size_t bytes);

  const size_t limit_;
  mutable std::mutex mutex_;  // guards in_use_; a leaf lock, held for a few instructions
  size_t in_use_ = 0;
};

// Bytes taken from a BodyBudget until destroyed or released. Release it after the body it stands for is freed:
// giving back a large hold also returns free heap memory to the system (see body_budget.cpp).
class BodyBudget::Hold {
 public:
  Hold(Hold&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) { other.budget_ = nullptr; }
  Hold& operator=(Hold&& other) noexcept;
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  ~Hold() { release(); }

  void release();
  size_t bytes() const { return bytes_; }

 private:
  friend class BodyBudget;
  Hold(BodyBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}

  BodyBudget* budget_;
  size_t bytes_;
};

}  // namespace histfs::webhook
