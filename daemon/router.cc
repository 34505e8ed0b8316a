// The route table, path matching, authentication and access checks.
#include "daemon/router.h"

#include <algorithm>

#include "daemon/handlers.h"
#include "daemon/problem.h"
#include "ecom/auth/api_key_service.h"
#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

// Binds a handler member function to the one instance Handlers holds, so the
// table can name `&ProductHandler::Get` without any instance at hand.
template <typename T>
struct HandlerClass;
template <typename C>
struct HandlerClass<Reply (C::*)(const Call&)> {
  using type = C;
};

template <auto Method>
Reply Invoke(Handlers& handlers, const Call& call) {
  using H = typename HandlerClass<decltype(Method)>::type;
  return (handlers.Get<H>().*Method)(call);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment. `+` is a plus sign in a path.
std::string DecodeSegment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string Allow(const std::vector<std::string>& methods) {
  std::string allow;
  for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  return allow;
}

}  // namespace

bool Access::AllowedFor(const Principal& caller) const {
  if (is_public()) return true;
  for (const auto& scope : scopes_)
    if (caller.Has(scope)) return true;
  return false;
}

std::string Access::Describe() const {
  if (is_public()) return "public";
  std::string out;
  for (const auto& scope : scopes_) out += (out.empty() ? "" : " or ") + scope;
  return out;
}

const std::vector<Route>& Routes() {
  static const std::vector<Route> kRoutes = {
      // Operations.
      {"GET", "/healthz", Access::Public(), &Invoke<&HealthHandler::Healthz>},
      {"GET", "/readyz", Access::Public(), &Invoke<&HealthHandler::Readyz>},
      {"GET", "/metrics", Access::Public(), &Invoke<&HealthHandler::PrometheusMetrics>},
      {"GET", "/openapi.json", Access::Public(), &Invoke<&HealthHandler::OpenApi>},

      // Products and variants.
      {"GET", "/v1/products", Access::Public(), &Invoke<&ProductHandler::List>},
      {"POST", "/v1/products", Access::Scope("catalog:write"), &Invoke<&ProductHandler::Create>},
      {"GET", "/v1/products/{id}", Access::Public(), &Invoke<&ProductHandler::Get>},
      {"PATCH", "/v1/products/{id}", Access::Scope("catalog:write"),
       &Invoke<&ProductHandler::Update>},
      {"DELETE", "/v1/products/{id}", Access::Scope("catalog:write"),
       &Invoke<&ProductHandler::Delete>},
      {"POST", "/v1/products/{id}/variants", Access::Scope("catalog:write"),
       &Invoke<&ProductHandler::AddVariant>},
      {"GET", "/v1/variants/{+sku}", Access::Public(), &Invoke<&ProductHandler::GetVariant>},
      {"PATCH", "/v1/variants/{+sku}", Access::Scope("catalog:write"),
       &Invoke<&ProductHandler::UpdateVariant>},
      {"DELETE", "/v1/variants/{+sku}", Access::Scope("catalog:write"),
       &Invoke<&ProductHandler::DeleteVariant>},

      // Categories and collections.
      {"GET", "/v1/categories", Access::Public(), &Invoke<&CategoryHandler::List>},
      {"POST", "/v1/categories", Access::Scope("catalog:write"), &Invoke<&CategoryHandler::Create>},
      {"GET", "/v1/categories/{id}", Access::Public(), &Invoke<&CategoryHandler::Get>},
      {"GET", "/v1/collections", Access::Public(), &Invoke<&CollectionHandler::List>},
      {"POST", "/v1/collections", Access::Scope("catalog:write"),
       &Invoke<&CollectionHandler::Create>},
      {"GET", "/v1/collections/{id}", Access::Public(), &Invoke<&CollectionHandler::Get>},
      {"PUT", "/v1/collections/{id}/products/{product_id}", Access::Scope("catalog:write"),
       &Invoke<&CollectionHandler::AddProduct>},
      {"DELETE", "/v1/collections/{id}/products/{product_id}", Access::Scope("catalog:write"),
       &Invoke<&CollectionHandler::RemoveProduct>},

      // Inventory. A SKU may hold `/`, so it takes the rest of the path.
      // (inventory:write implies inventory:read, as every write scope implies
      // its read scope.)
      {"GET", "/v1/inventory/{+sku}", Access::Scope("inventory:read"),
       &Invoke<&InventoryHandler::GetLevel>},
      {"PUT", "/v1/inventory/{+sku}", Access::Scope("inventory:write"),
       &Invoke<&InventoryHandler::SetLevel>},
      {"POST", "/v1/inventory/{+sku}/adjustments", Access::Scope("inventory:write"),
       &Invoke<&InventoryHandler::Adjust>},
      {"GET", "/v1/inventory/{+sku}/history", Access::Scope("inventory:read"),
       &Invoke<&InventoryHandler::History>},
  };
  return kRoutes;
}

std::string OpenApiPath(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{' && i + 1 < pattern.size() && pattern[i + 1] == '+') {
      out.push_back('{');
      ++i;
      continue;
    }
    out.push_back(pattern[i]);
  }
  return out;
}

const std::string& RouteName(std::size_t index) {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& route : Routes()) names.push_back(OpenApiPath(route.pattern));
    names.push_back("unmatched");
    return names;
  }();
  return kNames[std::min(index, kNames.size() - 1)];
}

bool SplitPath(std::string_view target, std::vector<std::string>* segments) {
  auto end = target.find_first_of("?#");
  std::string_view path = target.substr(0, end);
  if (path.empty() || path[0] != '/') return false;
  segments->clear();
  path.remove_prefix(1);
  if (path.empty()) return true;
  while (true) {
    auto slash = path.find('/');
    segments->push_back(DecodeSegment(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return true;
}

// A parsed route pattern and the routes (one per method) that share it.
struct Router::Pattern {
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool param = false;
    bool rest = false;  // {+name}: one or more segments
  };
  std::string text;
  std::vector<Segment> segments;
  int literals = 0;
  std::vector<std::size_t> routes;  // indexes into Routes()

  explicit Pattern(const std::string& pattern) : text(pattern) {
    std::vector<std::string> parts;
    SplitPath(pattern, &parts);  // patterns hold no escapes
    for (auto& part : parts) {
      Segment s;
      if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
        s.param = true;
        s.rest = part[1] == '+';
        s.text = part.substr(s.rest ? 2 : 1, part.size() - (s.rest ? 3 : 2));
      } else {
        s.text = part;
        ++literals;
      }
      segments.push_back(std::move(s));
    }
  }

  bool Match(const std::vector<std::string>& path, Call::Params* params) const {
    std::size_t rest = segments.size();
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (segments[i].rest) rest = i;
    if (rest == segments.size() ? path.size() != segments.size() : path.size() < segments.size())
      return false;
    Call::Params out;
    auto match_one = [&](const Segment& s, const std::string& value) {
      if (!s.param) return s.text == value;
      if (value.empty()) return false;
      out.emplace_back(s.text, value);
      return true;
    };
    // Before the rest parameter segments line up one to one; after it they
    // are matched from the end of the path.
    for (std::size_t i = 0; i < std::min(rest, segments.size()); ++i)
      if (!match_one(segments[i], path[i])) return false;
    if (rest < segments.size()) {
      std::size_t tail = segments.size() - rest - 1;
      for (std::size_t i = 0; i < tail; ++i)
        if (!match_one(segments[rest + 1 + i], path[path.size() - tail + i])) return false;
      std::string value;
      for (std::size_t i = rest; i < path.size() - tail; ++i) {
        if (path[i].empty()) return false;
        value += (i == rest ? "" : "/") + path[i];
      }
      out.emplace_back(segments[rest].text, std::move(value));
    }
    *params = std::move(out);
    return true;
  }
};

Router::Router(Handlers& handlers, auth::ApiKeyService& api_keys)
    : handlers_(handlers), api_keys_(api_keys) {
  const auto& routes = Routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const Pattern& p) { return p.text == routes[i].pattern; });
    if (it == patterns_.end()) it = patterns_.insert(patterns_.end(), Pattern(routes[i].pattern));
    it->routes.push_back(i);
  }
}

Router::~Router() = default;

const Router::Pattern* Router::Resolve(const std::vector<std::string>& segments,
                                       Call::Params* params) const {
  const Pattern* best = nullptr;
  Call::Params candidate;
  for (const auto& pattern : patterns_) {
    if (best && pattern.literals <= best->literals) continue;
    if (pattern.Match(segments, &candidate)) {
      best = &pattern;
      *params = std::move(candidate);
    }
  }
  return best;
}

std::optional<Reply> Router::Authorize(const httplib::Request& request, const Route& route,
                                       Principal* caller) const {
  // Credentials come from the Authorization header only; a token in the
  // query string would end up in proxy logs and browser history.
  std::string header = request.get_header_value("Authorization");
  if (header.size() >= 6 && AsciiLower(std::string_view(header).substr(0, 6)) == "bearer" &&
      (header.size() == 6 || header[6] == ' ')) {
    std::string_view token = Trim(std::string_view(header).substr(6));
    if (token.empty())
      return Problem(
          Error{ErrorCode::kUnauthenticated, "invalid_token", "the bearer token is empty", {}});
    auto key = api_keys_.Authenticate(token);
    if (!key) return Problem(key.error());
    *caller = Principal(std::move(*key));
  }
  // Any other scheme (Basic from a proxy in front) carries no ecom credentials.
  if (route.access.AllowedFor(*caller)) return std::nullopt;
  if (!caller->authenticated()) {
    return Problem(Error{ErrorCode::kUnauthenticated,
                         "unauthenticated",
                         "this request needs an API key with the " + route.access.Describe() +
                             " scope: send Authorization: Bearer <key>",
                         {}});
  }
  return InsufficientScope(route.access.scopes());
}

Router::Outcome Router::Dispatch(const httplib::Request& request) const {
  const std::size_t unmatched = Routes().size();
  std::vector<std::string> segments;
  if (!SplitPath(request.target, &segments)) return {ProblemForStatus(404), unmatched};

  Call::Params params;
  const Pattern* pattern = Resolve(segments, &params);
  if (!pattern) {
    std::string path = request.target.substr(0, request.target.find('?'));
    return {Problem(Error::NotFound("route_not_found", "there is no resource at " + path)),
            unmatched};
  }

  const auto& routes = Routes();
  const std::string& method = request.method == "HEAD" ? std::string("GET") : request.method;
  const Route* route = nullptr;
  std::size_t index = unmatched;
  std::vector<std::string> allowed;
  for (std::size_t i : pattern->routes) {
    allowed.push_back(routes[i].method);
    if (routes[i].method == "GET") allowed.push_back("HEAD");
    if (routes[i].method == method) {
      route = &routes[i];
      index = i;
    }
  }
  allowed.push_back("OPTIONS");
  if (request.method == "OPTIONS")
    return {Reply::Empty(204).Header("Allow", Allow(allowed)), unmatched};
  if (!route) {
    Reply reply = Problem(Error{ErrorCode::kInvalidArgument,
                                "method_not_allowed",
                                request.method + " is not allowed here; use " + Allow(allowed),
                                {}});
    reply.Header("Allow", Allow(allowed));
    return {std::move(reply), unmatched};
  }

  try {
    Principal caller;
    if (auto refused = Authorize(request, *route, &caller)) return {std::move(*refused), index};
    Call call(request, caller, std::move(params));
    return {route->handler(handlers_, call), index};
  } catch (...) {
    return {Problem(ErrorFromException(std::current_exception())), index};
  }
}

}  // namespace ecom::daemon
