// The per-token request rate limit (http.rate_limit_per_token): an in-process
// token bucket per credential. Each replica limits on its own, so the limit a
// client meets behind a load balancer is up to replicas x the rate.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ecom/common/clock.h"

namespace ecom::daemon {

// Thread-safe.
class RateLimiter {
 public:
  // `per_second` requests a second, with bursts of as many; 0 turns it off.
  explicit RateLimiter(int per_second) : rate_(per_second) {}

  // Takes one request for `key` (a session or key id, never a secret).
  // nullopt if allowed; otherwise how long until the next one would be.
  std::optional<std::chrono::seconds> Take(std::string_view key, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint updated{};
  };
  // Drops buckets that have refilled completely: they hold no state worth
  // keeping, and the map must not grow with every token ever seen.
  void Prune(TimePoint now);

  static constexpr std::size_t kPruneAbove = 10000;

  const int rate_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::size_t prune_at_ = kPruneAbove;
};

}  // namespace ecom::daemon
