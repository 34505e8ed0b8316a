// CORS preflights and response headers.
#include "daemon/cors.h"

#include <algorithm>

#include "daemon/problem.h"

namespace ecom::daemon {
namespace {

// What a browser client of the API may send and read.
constexpr const char* kAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE";
constexpr const char* kAllowHeaders =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Cart-Token, "
    "X-Request-Id";
constexpr const char* kExposeHeaders = "ETag, Location, Retry-After, X-Request-Id";
// Browsers cap this themselves (Chromium at 2 hours).
constexpr const char* kMaxAge = "600";

}  // namespace

bool CorsPolicy::Allows(const std::string& origin) const {
  return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::optional<Reply> CorsPolicy::Preflight(const httplib::Request& request) const {
  if (request.method != "OPTIONS" || !request.has_header("Origin") ||
      !request.has_header("Access-Control-Request-Method"))
    return std::nullopt;
  std::string origin = request.get_header_value("Origin");
  if (!Allows(origin)) {
    return Problem(Error{ErrorCode::kPermissionDenied,
                         "cors_origin_not_allowed",
                         "this origin may not call the API from a browser",
                         {}});
  }
  return Reply::Empty(204)
      .Header("Access-Control-Allow-Origin", origin)
      .Header("Access-Control-Allow-Methods", kAllowMethods)
      .Header("Access-Control-Allow-Headers", kAllowHeaders)
      .Header("Access-Control-Max-Age", kMaxAge)
      .Header("Vary", "Origin");
}

void CorsPolicy::Decorate(const httplib::Request& request, httplib::Response& response) const {
  std::string origin = request.get_header_value("Origin");
  if (!Allows(origin) || response.has_header("Access-Control-Allow-Origin")) return;
  response.set_header("Access-Control-Allow-Origin", origin);
  response.set_header("Access-Control-Expose-Headers", kExposeHeaders);
  response.set_header("Vary", "Origin");
}

}  // namespace ecom::daemon
