// Operational endpoints: /healthz, /readyz, /metrics, /openapi.json.
#pragma once

#include "daemon/call.h"
#include "daemon/metrics.h"
#include "ecom/store/database.h"

namespace ecom::daemon {

// Thread-safe.
class HealthHandler {
 public:
  HealthHandler(store::Database& db, Metrics& metrics) : db_(db), metrics_(metrics) {}

  // The process is up: always 200.
  Reply Healthz(const Call& call);
  // 200 when the store answers and its schema is what this build expects;
  // otherwise 503, so a load balancer stops sending traffic here.
  Reply Readyz(const Call& call);
  // Prometheus text exposition of the request metrics.
  Reply PrometheusMetrics(const Call& call);
  // docs/openapi.json as built into the binary.
  Reply OpenApi(const Call& call);

 private:
  store::Database& db_;
  Metrics& metrics_;
};

}  // namespace ecom::daemon
