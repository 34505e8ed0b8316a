// The route table and the dispatcher. Every route is declared once, in
// Routes(): method, path pattern, access rule and handler.
//
// Patterns are OpenAPI path templates. `{name}` matches one path segment;
// `{+name}` (RFC 6570 reserved expansion) matches one or more segments, so a
// SKU such as `TEE/RED/M` can be addressed as `/v1/inventory/TEE/RED/M`.
// Segments are percent-decoded one by one, so `%2F` stays inside a segment.
// When several patterns match a path, the one with more literal segments wins
// (`/v1/inventory/A/history` is the history of `A`; the level of a SKU that
// ends in `/history` is reached as `/v1/inventory/A%2Fhistory`).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/access.h"
#include "daemon/call.h"
#include "daemon/client_address.h"
#include "daemon/rate_limiter.h"
#include "ecom/common/clock.h"

namespace ecom::auth {
class ApiKeyService;
class SessionService;
}

namespace ecom::daemon {

class Handlers;

using HandlerFn = Reply (*)(Handlers&, const Call&);

struct Route {
  std::string method;   // GET, POST, PUT, PATCH, DELETE (HEAD is served by GET routes)
  std::string pattern;  // /v1/products/{id}
  Access access;
  HandlerFn handler;
};

// Every route the daemon serves, in one table.
const std::vector<Route>& Routes();

// The OpenAPI path template of a pattern: `{+sku}` -> `{sku}`.
std::string OpenApiPath(std::string_view pattern);

// The name of Routes()[index] in logs and metrics: its OpenAPI path
// (`/v1/products/{id}`), or "unmatched" for an index past the table.
const std::string& RouteName(std::size_t index);

// Splits a request target's path into percent-decoded segments
// ("/v1/a%2Fb/c?x" -> {"v1", "a/b", "c"}). False if the target is not an
// origin-form path.
bool SplitPath(std::string_view target, std::vector<std::string>* segments);

// What the router authenticates and authorises with. Borrowed references
// must outlive the Router.
struct RouterOptions {
  auth::ApiKeyService& api_keys;
  auth::SessionService& sessions;
  std::shared_ptr<Clock> clock;
  TrustedProxies trusted_proxies{};  // http.trusted_proxies
  int rate_limit_per_token = 0;      // http.rate_limit_per_token; 0: off
  AccessServices access{};           // cart tokens and webhook secrets
};

// Matches requests to routes, authenticates the caller and runs handlers.
// Thread-safe.
//
// A bearer token is read from the Authorization header only: `ek_...` is an
// API key, `es_...` a session. A token that does not authenticate is 401 on
// every route, public ones too, rather than silently ignored; a token in the
// query string (`access_token`) is 400.
class Router {
 public:
  Router(Handlers& handlers, RouterOptions options);
  ~Router();

  struct Outcome {
    Reply reply;
    std::size_t route;  // index into Routes(), or Routes().size() when none matched
  };
  Outcome Dispatch(const httplib::Request& request) const;

 private:
  struct Pattern;
  const Pattern* Resolve(const std::vector<std::string>& segments, Call::Params* params) const;
  // Establishes who is calling into *caller; an error reply (400, 401, 429)
  // if the credentials presented are refused.
  std::optional<Reply> Authenticate(const httplib::Request& request, Caller* caller) const;
  // A 401/403/404 reply if the route's rule refuses the caller.
  std::optional<Reply> Authorize(const httplib::Request& request, const Route& route,
                                 const Call::Params& params, const Caller& caller) const;
  Result<auth::Principal> Identify(std::string_view token) const;
  Outcome Serve(const httplib::Request& request) const;

  Handlers& handlers_;
  RouterOptions options_;
  mutable RateLimiter rate_limiter_;
  std::vector<Pattern> patterns_;  // distinct patterns, each with its routes
};

}  // namespace ecom::daemon
