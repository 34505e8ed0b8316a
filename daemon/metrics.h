// Request metrics in Prometheus text format:
//   ecom_http_requests_total{method,route,status}           counter
//   ecom_http_request_duration_seconds{route}               histogram
//   ecom_http_requests_in_flight                            gauge
// `route` is a route pattern (`/v1/products/{id}`), never a raw path, so the
// label set stays small.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ecom::daemon {

// Thread-safe. Recording takes an uncontended lock on the calling thread's
// own shard; rendering merges the shards.
class Metrics {
 public:
  // `routes`: the label (pattern) of each route index; routes of one pattern
  // share its series. One more index, routes.size(), counts requests that
  // matched no route (label "unmatched").
  explicit Metrics(const std::vector<std::string>& routes);
  ~Metrics();

  void Record(std::size_t route, std::string_view method, int status, double seconds);
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  std::size_t unmatched_route() const { return label_of_route_.size() - 1; }

  // The exposition text for GET /metrics.
  std::string Render() const;

  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size() + 1> buckets{};  // last: +Inf
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct alignas(64) Shard {
    std::mutex mu;
    std::unordered_map<std::uint64_t, std::uint64_t> requests;  // Key() -> count
    std::vector<Histogram> durations;                           // by label index
  };
  static constexpr std::size_t kShards = 16;

  Shard& LocalShard();

  std::vector<std::string> labels_;          // distinct route labels
  std::vector<std::size_t> label_of_route_;  // route index -> index into labels_
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::size_t> next_shard_{0};
  std::atomic<std::int64_t> in_flight_{0};
};

}  // namespace ecom::daemon
