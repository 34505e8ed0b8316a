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

#include "ecom/auth/api_key_service.h"
#include "ecom/common/actor.h"
#include "ecom/common/result.h"

namespace ecom::daemon {

inline constexpr const char* kJsonContentType = "application/json; charset=utf-8";
inline constexpr const char* kProblemContentType = "application/problem+json";

// Who is calling: an authenticated API key, or an anonymous public caller.
class Principal {
 public:
  Principal() = default;
  explicit Principal(auth::ApiKey key) : key_(std::move(key)) {}

  bool authenticated() const { return key_.has_value(); }
  // Whether the caller holds `scope` (`admin` implies every scope).
  bool Has(std::string_view scope) const { return key_ && key_->HasScope(scope); }
  // `apikey:<key id>`, or `anonymous`.
  Actor actor() const { return Actor{key_ ? "apikey:" + key_->id : "anonymous"}; }
  const std::optional<auth::ApiKey>& key() const { return key_; }

 private:
  std::optional<auth::ApiKey> key_;
};

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

// A request matched to a route. Valid for the duration of the handler call.
class Call {
 public:
  using Params = std::vector<std::pair<std::string_view, std::string>>;

  Call(const httplib::Request& http, const Principal& caller, Params params)
      : http_(http), caller_(caller), params_(std::move(params)) {}

  const httplib::Request& http() const { return http_; }
  const Principal& caller() const { return caller_; }

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
  const Principal& caller_;
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
