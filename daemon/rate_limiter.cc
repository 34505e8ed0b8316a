// Token buckets for the per-token rate limit.
#include "daemon/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ecom::daemon {
namespace {

double Seconds(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::optional<std::chrono::seconds> RateLimiter::Take(std::string_view key, TimePoint now) {
  if (rate_ <= 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto [it, inserted] = buckets_.try_emplace(std::string(key));
  Bucket& b = it->second;
  if (inserted) {
    b.tokens = rate_;
  } else {
    b.tokens = std::min<double>(rate_, b.tokens + Seconds(b.updated, now) * rate_);
  }
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    if (inserted && buckets_.size() > prune_at_) {
      Prune(now);
      // Next time only once the map has doubled, so that many busy tokens
      // cost an occasional sweep rather than one per new token.
      prune_at_ = std::max(kPruneAbove, 2 * buckets_.size());
    }
    return std::nullopt;
  }
  // Retry-After is whole seconds; round up so a client that waits succeeds.
  double wait = (1 - b.tokens) / rate_;
  return std::chrono::seconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))));
}

void RateLimiter::Prune(TimePoint now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    bool full = it->second.tokens + Seconds(it->second.updated, now) * rate_ >= rate_;
    it = full ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace ecom::daemon
