// A routed request as a handler sees it (path parameters, query, caller,
// JSON body) and the reply a handler gives back.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ecom/auth/principal.h"
#include "ecom/common/actor.h"
#include "ecom/common/result.h"

namespace ecom::daemon {

inline constexpr const char* kJsonContentType = "application/json; charset=utf-8";
inline constexpr const char* kProblemContentType = "application/problem+json";

// What a handler answers. The server writes it out as is.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;

  // A JSON body (application/json; charset=utf-8).
  static Reply Json(int status, const nlohmann::json& body);
  // A body already serialised as JSON.
  static Reply RawJson(int status, std::string body);
  // No body (204, 304).
  static Reply Empty(int status);
  Reply& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Who sent a request, as the router established it before the handler runs.
struct Caller {
  std::optional<auth::Principal> principal;  // nullopt: anonymous
  std::string token;        // the bearer token presented ("" if none); never log it
  std::string client_addr;  // the socket peer, or the client behind a trusted proxy
};

// A request matched to a route. Valid for the duration of the handler call.
class Call {
 public:
  using Params = std::vector<std::pair<std::string_view, std::string>>;

  Call(const httplib::Request& http, const Caller& caller, Params params)
      : http_(http), caller_(caller), params_(std::move(params)) {}

  const httplib::Request& http() const { return http_; }

  // The authenticated principal, or nullptr for an anonymous caller.
  const auth::Principal* principal() const {
    return caller_.principal ? &*caller_.principal : nullptr;
  }
  bool authenticated() const { return caller_.principal.has_value(); }
  // Whether the caller holds `scope` (see auth::GrantsScope).
  bool HasScope(std::string_view scope) const {
    return caller_.principal && caller_.principal->HasScope(scope);
  }
  // For ledgers and timelines: `customer:cus_...`, `staff:stf_...`,
  // `apikey:key_...`, or `anonymous`.
  Actor actor() const {
    return caller_.principal ? caller_.principal->actor() : Actor{"anonymous"};
  }
  // The signed-in customer's id; "" unless the caller is a customer. Routes
  // with Access::Customer() always have one.
  const std::string& customer_id() const;
  // The bearer token the caller presented ("" if none). Never log it.
  const std::string& token() const { return caller_.token; }
  // Where the request came from, for throttles (see Router).
  const std::string& client_addr() const { return caller_.client_addr; }

  // A path parameter of the route pattern, percent-decoded ("id", "sku").
  const std::string& Param(std::string_view name) const;
  // A query parameter (the first if repeated), or nullopt when absent.
  std::optional<std::string> Query(const std::string& name) const;
  // A request header, or "" when absent.
  std::string Header(const std::string& name) const { return http_.get_header_value(name); }

  // The body parsed as JSON. kInvalidArgument `unsupported_media_type` (415)
  // unless the Content-Type is JSON; `invalid_json` (400) when it is empty or
  // does not parse.
  Result<nlohmann::json> JsonBody() const;

 private:
  const httplib::Request& http_;
  const Caller& caller_;
  Params params_;
};

// Query parameter readers. Each error names the parameter in Error::fields.

// `limit`: a whole number in 1..max, `fallback` when absent.
Result<int> LimitParam(const Call& call, int fallback, int max = 250);
// A whole number >= min, or nullopt when absent.
Result<std::optional<std::int64_t>> IntParam(const Call& call, const std::string& name,
                                             std::int64_t min);
// `true` or `false`, or nullopt when absent.
Result<std::optional<bool>> BoolParam(const Call& call, const std::string& name);

}  // namespace ecom::daemon
