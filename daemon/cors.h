// Cross-origin access for browsers, from the http.cors_origins allow-list.
// Origins not on the list get no CORS headers (the browser then keeps the
// response from the page), and their preflights are refused.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/call.h"

namespace ecom::daemon {

// Thread-safe once built.
class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  bool Allows(const std::string& origin) const;

  // For a preflight (OPTIONS with Origin and Access-Control-Request-Method):
  // 204 with the CORS headers for an allowed origin, 403 problem+json
  // (`cors_origin_not_allowed`) for any other. nullopt for other requests.
  std::optional<Reply> Preflight(const httplib::Request& request) const;

  // Adds Access-Control-Allow-Origin (and Vary: Origin) to the response of an
  // allowed origin's request.
  void Decorate(const httplib::Request& request, httplib::Response& response) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace ecom::daemon
