// Sharded request counters and latency histograms, rendered for Prometheus.
#include "daemon/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace ecom::daemon {
namespace {

// Methods get a fixed index so a counter key is three small integers; any
// other method is counted as OTHER, which keeps the label set bounded.
constexpr std::array<std::string_view, 8> kMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                      "PATCH", "DELETE", "OPTIONS", "OTHER"};

std::size_t MethodIndex(std::string_view method) {
  for (std::size_t i = 0; i + 1 < kMethods.size(); ++i)
    if (kMethods[i] == method) return i;
  return kMethods.size() - 1;
}

std::uint64_t Key(std::size_t label, std::size_t method, int status) {
  return (static_cast<std::uint64_t>(label) << 24) | (static_cast<std::uint64_t>(method) << 16) |
         static_cast<std::uint64_t>(status & 0xffff);
}

// Prometheus label values escape backslash, quote and newline.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string FormatBound(double b) { return fmt::format("{}", b); }

}  // namespace

Metrics::Metrics(const std::vector<std::string>& routes) {
  auto label_index = [this](const std::string& label) {
    auto it = std::find(labels_.begin(), labels_.end(), label);
    if (it != labels_.end()) return static_cast<std::size_t>(it - labels_.begin());
    labels_.push_back(label);
    return labels_.size() - 1;
  };
  for (const auto& route : routes) label_of_route_.push_back(label_index(route));
  label_of_route_.push_back(label_index("unmatched"));
  shards_ = std::make_unique<Shard[]>(kShards);
  for (std::size_t i = 0; i < kShards; ++i) shards_[i].durations.resize(labels_.size());
}

Metrics::~Metrics() = default;

Metrics::Shard& Metrics::LocalShard() {
  // Each thread sticks to one shard, picked round-robin at its first request:
  // with the thread pool's fixed workers the locks are almost never contended.
  thread_local const Metrics* owner = nullptr;
  thread_local std::size_t index = 0;
  if (owner != this) {
    owner = this;
    index = next_shard_.fetch_add(1, std::memory_order_relaxed) % kShards;
  }
  return shards_[index];
}

void Metrics::Record(std::size_t route, std::string_view method, int status, double seconds) {
  std::size_t label = label_of_route_[std::min(route, unmatched_route())];
  std::size_t bucket =
      std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  Shard& shard = LocalShard();
  std::lock_guard lock(shard.mu);
  ++shard.requests[Key(label, MethodIndex(method), status)];
  Histogram& h = shard.durations[label];
  ++h.buckets[bucket];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render() const {
  std::map<std::tuple<std::size_t, std::size_t, int>, std::uint64_t> requests;
  std::vector<Histogram> durations(labels_.size());
  for (std::size_t i = 0; i < kShards; ++i) {
    Shard& shard = shards_[i];
    std::lock_guard lock(shard.mu);
    for (const auto& [key, count] : shard.requests) {
      auto label = static_cast<std::size_t>(key >> 24);
      auto method = static_cast<std::size_t>((key >> 16) & 0xff);
      int status = static_cast<int>(key & 0xffff);
      requests[{label, method, status}] += count;
    }
    for (std::size_t r = 0; r < labels_.size(); ++r) {
      const Histogram& h = shard.durations[r];
      for (std::size_t b = 0; b < h.buckets.size(); ++b) durations[r].buckets[b] += h.buckets[b];
      durations[r].count += h.count;
      durations[r].sum += h.sum;
    }
  }

  std::string out;
  out +=
      "# HELP ecom_http_requests_total HTTP requests answered, by method, route pattern and "
      "status.\n";
  out += "# TYPE ecom_http_requests_total counter\n";
  for (const auto& [key, count] : requests) {
    auto [label, method, status] = key;
    out += fmt::format("ecom_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
                       kMethods[method], Escape(labels_[label]), status, count);
  }
  out +=
      "# HELP ecom_http_request_duration_seconds Time from reading a request to writing its "
      "response.\n";
  out += "# TYPE ecom_http_request_duration_seconds histogram\n";
  for (std::size_t r = 0; r < labels_.size(); ++r) {
    const Histogram& h = durations[r];
    if (h.count == 0) continue;
    std::string route = Escape(labels_[r]);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.buckets[b];
      out += fmt::format("ecom_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                         route, FormatBound(kBuckets[b]), cumulative);
    }
    cumulative += h.buckets[kBuckets.size()];
    out += fmt::format("ecom_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                       route, cumulative);
    out += fmt::format("ecom_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, h.sum);
    out += fmt::format("ecom_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route,
                       h.count);
  }
  out += "# HELP ecom_http_requests_in_flight Requests being served now.\n";
  out += "# TYPE ecom_http_requests_in_flight gauge\n";
  out +=
      fmt::format("ecom_http_requests_in_flight {}\n", in_flight_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace ecom::daemon
