// Liveness, readiness, metrics and the API description.
#include "daemon/health_handler.h"

#include "daemon/logging.h"
#include "daemon/openapi.h"
#include "daemon/problem.h"
#include "ecom/store/migrate.h"

namespace ecom::daemon {

Reply HealthHandler::Healthz(const Call&) { return Reply::Json(200, {{"status", "ok"}}); }

Reply HealthHandler::Readyz(const Call&) {
  // Reading the schema version is the store round trip: it proves a pooled
  // connection works and that no newer or older schema is in place.
  std::string problem;
  nlohmann::json checks;
  try {
    store::SchemaStatus status = store::GetSchemaStatus(db_);
    checks["store"] = "ok";
    if (status.up_to_date()) {
      checks["schema"] = "ok";
    } else {
      checks["schema"] = "version " + std::to_string(status.current) + ", expected " +
                         std::to_string(status.latest);
      problem = "the store schema is at version " + std::to_string(status.current) +
                " but this build needs version " + std::to_string(status.latest);
    }
  } catch (const std::exception& e) {
    Log(LogLevel::kWarn, "readiness check failed", {{"error", e.what()}});
    checks["store"] = "unreachable";
    problem = "the store does not answer";
  }
  if (problem.empty()) return Reply::Json(200, {{"status", "ready"}, {"checks", checks}});

  Reply reply = Problem(Error{ErrorCode::kUnavailable, "not_ready", problem, {}});
  auto body = nlohmann::ordered_json::parse(reply.body);
  body["checks"] = checks;
  reply.body = DumpJson(body);
  return reply;
}

Reply HealthHandler::PrometheusMetrics(const Call&) {
  Reply reply;
  reply.status = 200;
  reply.body = metrics_.Render();
  reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return reply;
}

Reply HealthHandler::OpenApi(const Call&) {
  Reply reply;
  reply.status = 200;
  reply.body = std::string(OpenApiDocument());
  reply.content_type = kJsonContentType;
  return reply;
}

}  // namespace ecom::daemon
