// A bounded pool of database connections, shared by both backends.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace ecom::store {

// Hands out at most `size` connections, opening them on demand with `open`;
// Acquire() blocks while all are in use. Thread-safe.
template <typename Connection>
class ConnectionPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;

  // Opens the first connection at once, so a bad address fails at start-up.
  ConnectionPool(int size, Opener open) : size_(size), open_(std::move(open)) {
    idle_.push_back(open_());
    open_count_ = 1;
  }

  std::unique_ptr<Connection> Acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return conn;
      }
      if (open_count_ < size_) {
        ++open_count_;
        lock.unlock();
        try {
          return open_();
        } catch (...) {
          std::lock_guard relock(mu_);
          --open_count_;
          cv_.notify_one();
          throw;
        }
      }
      cv_.wait(lock);
    }
  }

  // Returns a connection; pass null (or `broken`) for one that must be
  // dropped, which frees its place for a new one.
  void Release(std::unique_ptr<Connection> conn, bool broken = false) {
    {
      std::lock_guard lock(mu_);
      if (conn && !broken) idle_.push_back(std::move(conn));
      else --open_count_;
    }
    cv_.notify_one();
  }

 private:
  int size_;
  Opener open_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_count_ = 0;
};

}  // namespace ecom::store
