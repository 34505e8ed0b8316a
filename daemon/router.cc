// The route table, path matching, authentication and access checks.
#include "daemon/router.h"

#include <algorithm>

#include "daemon/handlers.h"
#include "daemon/problem.h"
#include "ecom/auth/api_key_service.h"
#include "ecom/auth/session_service.h"
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

Error InvalidToken(std::string detail) {
  return Error{ErrorCode::kUnauthenticated, "invalid_token", std::move(detail), {}};
}

std::string Allow(const std::vector<std::string>& methods) {
  std::string allow;
  for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  return allow;
}

}  // namespace

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

      // Sign-in, for customers and staff alike.
      {"POST", "/v1/auth/register", Access::Public(), &Invoke<&AuthHandler::Register>},
      {"POST", "/v1/auth/login", Access::Public(), &Invoke<&AuthHandler::Login>},
      {"POST", "/v1/auth/logout", Access::Session(), &Invoke<&AuthHandler::Logout>},
      {"POST", "/v1/auth/password-reset", Access::Public(), &Invoke<&AuthHandler::RequestReset>},
      {"POST", "/v1/auth/password-reset/confirm", Access::Public(),
       &Invoke<&AuthHandler::ConfirmReset>},

      // The signed-in customer's own account and address book.
      {"GET", "/v1/me", Access::Customer(), &Invoke<&AccountHandler::Get>},
      {"PATCH", "/v1/me", Access::Customer(), &Invoke<&AccountHandler::Update>},
      {"DELETE", "/v1/me", Access::Customer(), &Invoke<&AccountHandler::Delete>},
      {"POST", "/v1/me/password", Access::Customer(), &Invoke<&AccountHandler::ChangePassword>},
      {"GET", "/v1/me/addresses", Access::Customer(), &Invoke<&AccountHandler::ListAddresses>},
      {"POST", "/v1/me/addresses", Access::Customer(), &Invoke<&AccountHandler::AddAddress>},
      {"GET", "/v1/me/addresses/{id}", Access::Customer(), &Invoke<&AccountHandler::GetAddress>},
      {"PATCH", "/v1/me/addresses/{id}", Access::Customer(),
       &Invoke<&AccountHandler::UpdateAddress>},
      {"DELETE", "/v1/me/addresses/{id}", Access::Customer(),
       &Invoke<&AccountHandler::DeleteAddress>},

      // Customers, as staff see them.
      {"GET", "/v1/customers", Access::Scope("customers:read"), &Invoke<&CustomerHandler::List>},
      {"GET", "/v1/customers/{id}", Access::Scope("customers:read"),
       &Invoke<&CustomerHandler::Get>},

      // Carts: a guest opens theirs with its X-Cart-Token, a customer with
      // their session. A SKU may hold `/`, so it takes the rest of the path.
      {"POST", "/v1/carts", Access::Public(), &Invoke<&CartHandler::Create>},
      {"GET", "/v1/carts/{id}", Access::CartHolder(), &Invoke<&CartHandler::Get>},
      {"POST", "/v1/carts/{id}/items", Access::CartHolder(), &Invoke<&CartHandler::AddItem>},
      {"PATCH", "/v1/carts/{id}/items/{+sku}", Access::CartHolder(), &Invoke<&CartHandler::UpdateItem>},
      {"DELETE", "/v1/carts/{id}/items/{+sku}", Access::CartHolder(), &Invoke<&CartHandler::RemoveItem>},
      {"POST", "/v1/carts/{id}/checkout", Access::CartHolder(), &Invoke<&CartHandler::Checkout>},

      // Orders: their customer, the guest holding the cart token, or staff.
      {"GET", "/v1/me/orders", Access::Customer(), &Invoke<&OrderHandler::ListMine>},
      {"GET", "/v1/orders", Access::Scope("orders:read"), &Invoke<&OrderHandler::List>},
      {"GET", "/v1/orders/{id}", Access::OrderReader("orders:read"), &Invoke<&OrderHandler::Get>},
      {"GET", "/v1/orders/{id}/payments", Access::OrderReader("orders:read"),
       &Invoke<&OrderHandler::ListPayments>},
      {"POST", "/v1/orders/{id}/payments", Access::OrderHolder(), &Invoke<&OrderHandler::Pay>},
      {"POST", "/v1/orders/{id}/cancel", Access::Scope("orders:write"), &Invoke<&OrderHandler::Cancel>},
      {"POST", "/v1/orders/{id}/fulfil", Access::Scope("orders:write"), &Invoke<&OrderHandler::Fulfil>},
      {"POST", "/v1/orders/{id}/ship", Access::Scope("orders:write"), &Invoke<&OrderHandler::Ship>},
      {"POST", "/v1/orders/{id}/deliver", Access::Scope("orders:write"), &Invoke<&OrderHandler::Deliver>},
      {"GET", "/v1/orders/{id}/refunds", Access::Scope("orders:read"), &Invoke<&OrderHandler::ListRefunds>},
      {"POST", "/v1/orders/{id}/refunds", Access::Scope("payments:refund"), &Invoke<&OrderHandler::Refund>},
      {"GET", "/v1/payments/{id}", Access::Scope("orders:read"), &Invoke<&OrderHandler::GetPayment>},
      {"POST", "/v1/webhooks/{gateway}", Access::Webhook(), &Invoke<&OrderHandler::Webhook>},

      // Shipping methods and tax rates.
      {"GET", "/v1/shipping-methods", Access::Public(), &Invoke<&PricingHandler::ListShippingMethods>},
      {"PUT", "/v1/shipping-methods/{code}", Access::Scope("settings:write"),
       &Invoke<&PricingHandler::PutShippingMethod>},
      {"DELETE", "/v1/shipping-methods/{code}", Access::Scope("settings:write"),
       &Invoke<&PricingHandler::DeleteShippingMethod>},
      {"GET", "/v1/tax-rates", Access::Public(), &Invoke<&PricingHandler::ListTaxRates>},
      {"PUT", "/v1/tax-rates/{code}", Access::Scope("settings:write"), &Invoke<&PricingHandler::PutTaxRate>},
      {"DELETE", "/v1/tax-rates/{code}", Access::Scope("settings:write"),
       &Invoke<&PricingHandler::DeleteTaxRate>},
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
    // No resource is named by bytes that are not text; PostgreSQL would
    // refuse them as a parameter rather than find nothing.
    if (!IsValidUtf8(segments->back())) return false;
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

Router::Router(Handlers& handlers, RouterOptions options)
    : handlers_(handlers),
      options_(std::move(options)),
      rate_limiter_(options_.rate_limit_per_token) {
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

Result<auth::Principal> Router::Identify(std::string_view token) const {
  if (token.rfind("ek_", 0) == 0) {
    auto key = options_.api_keys.Authenticate(token);
    if (!key) return std::move(key).error();
    return auth::PrincipalFor(*key);
  }
  if (token.rfind("es_", 0) == 0) return options_.sessions.Authenticate(token);
  return InvalidToken("the bearer token is not an ecom API key or session token");
}

std::optional<Reply> Router::Authenticate(const httplib::Request& request, Caller* caller) const {
  // A token in the query string ends up in proxy logs and browser history:
  // refuse it loudly rather than ignore it, so the client gets fixed.
  if (request.has_param("access_token")) {
    return Problem(Error{ErrorCode::kInvalidArgument,
                         "token_in_url",
                         "tokens are not accepted in the URL: send Authorization: Bearer <token>",
                         {{"access_token", "not accepted in the URL"}}});
  }
  caller->client_addr = options_.trusted_proxies.ClientAddress(
      request.remote_addr, request.get_header_value("X-Forwarded-For"));

  std::string header = request.get_header_value("Authorization");
  // Any other scheme (Basic from a proxy in front) carries no ecom credentials.
  if (header.size() < 6 || AsciiLower(std::string_view(header).substr(0, 6)) != "bearer" ||
      (header.size() > 6 && header[6] != ' '))
    return std::nullopt;
  std::string_view token = Trim(std::string_view(header).substr(6));
  if (token.empty()) return Problem(InvalidToken("the bearer token is empty"));
  auto principal = Identify(token);
  if (!principal) return Problem(principal.error());

  // The limit is per credential (a session or a key), named by its id so
  // that the limiter holds no secrets.
  const std::string& id = principal->session_id ? *principal->session_id : principal->id;
  if (auto wait = rate_limiter_.Take(id, options_.clock->Now())) {
    Error error{ErrorCode::kResourceExhausted,
                "rate_limited",
                "this token sends requests faster than " +
                    std::to_string(options_.rate_limit_per_token) + " a second",
                {}};
    error.retry_after = *wait;
    return Problem(error);
  }
  caller->token = std::string(token);
  caller->principal = std::move(*principal);
  return std::nullopt;
}

std::optional<Reply> Router::Authorize(const httplib::Request& request, const Route& route,
                                       const Call::Params& params, const Caller& caller) const {
  AccessRequest facts;
  facts.caller = caller.principal ? &*caller.principal : nullptr;
  for (const auto& [name, value] : params)
    if (name == route.access.resource_param()) facts.resource = value;
  std::string cart_token = request.get_header_value("X-Cart-Token");
  std::string signature = request.get_header_value("Ecom-Signature");
  facts.cart_token = cart_token;
  facts.signature = signature;
  facts.body = request.body;
  facts.now = options_.clock->Now();
  Status allowed = route.access.Check(facts, options_.access);
  if (allowed) return std::nullopt;
  if (allowed.error().reason == "insufficient_scope")
    return InsufficientScope(route.access.scopes());
  return Problem(allowed.error());
}

Router::Outcome Router::Serve(const httplib::Request& request) const {
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
  // Query values reach the store as text: bytes that are not UTF-8 are the
  // caller's mistake, not the server's.
  for (const auto& [name, value] : request.params)
    if (!IsValidUtf8(name) || !IsValidUtf8(value))
      return {Problem(Error::Invalid("query parameters must be UTF-8 text",
                                     {{IsValidUtf8(name) ? name : "query", "is not valid UTF-8"}})),
              unmatched};
  if (!route) {
    Reply reply = Problem(Error{ErrorCode::kInvalidArgument,
                                "method_not_allowed",
                                request.method + " is not allowed here; use " + Allow(allowed),
                                {}});
    reply.Header("Allow", Allow(allowed));
    return {std::move(reply), unmatched};
  }

  try {
    Caller caller;
    if (auto refused = Authenticate(request, &caller)) return {std::move(*refused), index};
    if (auto refused = Authorize(request, *route, params, caller))
      return {std::move(*refused), index};
    Call call(request, caller, std::move(params));
    return {route->handler(handlers_, call), index};
  } catch (...) {
    return {Problem(ErrorFromException(std::current_exception())), index};
  }
}

Router::Outcome Router::Dispatch(const httplib::Request& request) const {
  Outcome outcome = Serve(request);
  // Sign-in answers carry tokens and /v1/me personal data; anything asked
  // with credentials (a bearer token, or a guest's cart token: carts and
  // orders hold addresses) may differ per caller. No cache may keep either.
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  bool personal = path.rfind("/v1/auth/", 0) == 0 || path == "/v1/me" ||
                  path.rfind("/v1/me/", 0) == 0 || path.rfind("/v1/carts", 0) == 0 ||
                  path.rfind("/v1/orders", 0) == 0 || request.has_header("Authorization") ||
                  request.has_header("X-Cart-Token");
  if (personal) outcome.reply.Header("Cache-Control", "no-store");
  return outcome;
}

}  // namespace ecom::daemon
