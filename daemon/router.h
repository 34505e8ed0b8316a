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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/call.h"

namespace ecom::auth {
class ApiKeyService;
}

namespace ecom::daemon {

class Handlers;

// Who may call a route.
class Access {
 public:
  // Anyone; handlers may still show more to callers with a scope.
  static Access Public() { return Access({}); }
  // An API key holding `scope`, or a scope that implies it (`admin`; a
  // `<resource>:write` implies `<resource>:read`).
  static Access Scope(std::string scope) { return Access({std::move(scope)}); }

  bool is_public() const { return scopes_.empty(); }
  const std::vector<std::string>& scopes() const { return scopes_; }
  bool AllowedFor(const Principal& caller) const;
  // "public", or the scope: "catalog:write".
  std::string Describe() const;

 private:
  explicit Access(std::vector<std::string> scopes) : scopes_(std::move(scopes)) {}
  std::vector<std::string> scopes_;
};

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

// Matches requests to routes, authenticates the caller and runs handlers.
// Thread-safe.
class Router {
 public:
  Router(Handlers& handlers, auth::ApiKeyService& api_keys);
  ~Router();

  struct Outcome {
    Reply reply;
    std::size_t route;  // index into Routes(), or Routes().size() when none matched
  };
  Outcome Dispatch(const httplib::Request& request) const;

 private:
  struct Pattern;
  const Pattern* Resolve(const std::vector<std::string>& segments, Call::Params* params) const;
  // Authenticates the caller into *caller; a 401/403 reply if the route is
  // not open to them.
  std::optional<Reply> Authorize(const httplib::Request& request, const Route& route,
                                 Principal* caller) const;

  Handlers& handlers_;
  auth::ApiKeyService& api_keys_;
  std::vector<Pattern> patterns_;  // distinct patterns, each with its routes
};

}  // namespace ecom::daemon
