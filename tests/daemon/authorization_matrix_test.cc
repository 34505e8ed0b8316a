// The authorisation matrix: every operation in docs/openapi.json, called by
// every kind of caller, answers the status its access rule promises. An
// operation missing from kMatrix fails the test, so no route can skip it.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "daemon_fixture.h"
#include "ecom/auth/api_key_service.h"
#include "ecom/auth/roles.h"
#include "ecom/payments/webhook_signature.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

enum class Caller {
  kAnonymous,
  kGarbageToken,
  kExpiredSession,
  kRevokedSession,
  kCustomerA,
  kCustomerB,  // on customer A's objects
  kKeyWithoutScope,
  kKeyWithScope,
  kAdminKey,
  kCatalogStaff,  // a staff session of the catalog_manager role
  kSupportStaff,  // a staff session of the support role
  kGuest,         // no bearer token; the X-Cart-Token of its own cart (or the cart its order came from)
  kOtherGuest,    // no bearer token; the X-Cart-Token of a cart that is not A's
};

const std::vector<std::pair<Caller, const char*>> kCallers = {
    {Caller::kAnonymous, "anonymous"},
    {Caller::kGarbageToken, "garbage token"},
    {Caller::kExpiredSession, "expired session"},
    {Caller::kRevokedSession, "revoked session"},
    {Caller::kCustomerA, "customer A"},
    {Caller::kCustomerB, "customer B on A's objects"},
    {Caller::kKeyWithoutScope, "key without the scope"},
    {Caller::kKeyWithScope, "key with the scope"},
    {Caller::kAdminKey, "admin key"},
    {Caller::kCatalogStaff, "catalog_manager staff"},
    {Caller::kSupportStaff, "support staff"},
    {Caller::kGuest, "guest with its cart token"},
    {Caller::kOtherGuest, "guest with another cart's token"},
};

// The secret the daemon under test verifies `test` gateway webhooks with.
constexpr const char* kWebhookSecret = "whsec_matrix";

// What a row needs besides the catalog and accounts every world has.
enum Need : unsigned {
  kCart = 1,             // an open cart holding one of `sku`
  kOrder = 2,            // a paid, confirmed order and its captured payment
  kUnpaid = 4,           // a pending order whose payment was declined
  kAwaiting = 8,         // a payment awaiting confirmation by webhook
  kShipped = 16,         // a shipped order
  kShippingMethod = 32,  // a shipping method kept through the API
  kTaxRate = 64,         // a tax rate kept through the API
};

// The carts and orders of one holder: customer A, or a guest.
struct Shop {
  std::string cart, order, payment, unpaid_order, awaiting_payment, shipped_order;
  // A guest's: which X-Cart-Token opens which cart or order.
  std::map<std::string, std::string> tokens;
};

// Everything one cell of the matrix acts on, made fresh for every cell that
// may change it.
struct World {
  Account a, b, catalog_staff, support_staff;
  std::string expired, revoked;
  std::string address;  // one of A's
  std::string product, sku, spare_sku, category, collection;
  Shop own;             // customer A's; a guest's own in the guest's view
  Shop guest;           // the guest's, when a row admits guests
  std::string other_cart_token;  // a guest cart's token that opens nothing of A's
  std::string shipping_method, tax_rate;  // codes kept through the API
  int n = 0;  // makes names unique
};

// How one operation is called: its path with parameters filled in and its
// body, for a caller (who may act on their own account).
using Build = std::function<Request(const World&, const Account* self)>;

struct Row {
  std::string method;
  std::string path;  // as in docs/openapi.json
  // Who the route admits: "public", "customer" (own account), "customer-owned"
  // (an object of customer A: B gets 404), "session" (customer or staff), the
  // scope it needs, "cart-holder" (A's cart or order: customer A, or a guest
  // with the X-Cart-Token of its own; B and other carts' tokens get 404, keys
  // and staff 403), "cart-holder or <scope>" (the same, or the scope), or
  // "webhook" (anyone whose request is signed; "webhook-unsigned": a request
  // with a bad signature, which no one gets through).
  std::string rule;
  int allowed;  // the status for a caller the rule admits
  Build build;
  unsigned needs = 0;  // Need bits: what MakeWorld must add
};

Request Call(std::string method, std::string path, std::optional<json> body = std::nullopt) {
  return Request{.method = std::move(method), .path = std::move(path), .json = std::move(body)};
}

Build Plain(std::string method, std::string path, std::optional<json> body = std::nullopt) {
  return [=](const World&, const Account*) { return Call(method, path, body); };
}

json Address() {
  return {{"name", "A"},
          {"line1", "1 Main St"},
          {"city", "Berlin"},
          {"postal_code", "10115"},
          {"country", "DE"}};
}

// The id of the object `member` of an answer ("" if there is none).
std::string IdOf(const json& answer, const char* member) {
  if (!answer.is_object() || !answer.contains(member) || !answer[member].is_object()) return "";
  return answer[member].value("id", "");
}

// The request with a fresh Idempotency-Key.
Request Once(Request r) {
  static std::atomic<int> n{0};
  r.headers.emplace("Idempotency-Key", "matrix-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
  return r;
}

json CheckoutBody(const std::string& payment_token, std::optional<std::string> email = std::nullopt) {
  json body = {{"shipping_address", Address()}, {"payment", {{"token", payment_token}}}};
  if (email) body["email"] = *email;
  return body;
}

// A `test` gateway webhook confirming `payment`, signed with `secret` now.
Request Webhook(const std::string& payment, const std::string& secret) {
  static std::atomic<int> n{0};
  json event = {{"id", "evt_matrix_" + std::to_string(::getpid()) + "_" + std::to_string(++n)},
                {"type", "charge.succeeded"},
                {"data", {{"idempotency_key", payment}}}};
  Request r{.method = "POST", .path = "/v1/webhooks/test", .raw_body = event.dump()};
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  r.headers.emplace("Ecom-Signature", payments::SignWebhook(*r.raw_body, secret, now.count()));
  return r;
}

const std::vector<Row>& Matrix() {
  static const std::vector<Row> kRows = {
      {"GET", "/healthz", "public", 200, Plain("GET", "/healthz")},
      {"GET", "/readyz", "public", 200, Plain("GET", "/readyz")},
      {"GET", "/metrics", "public", 200, Plain("GET", "/metrics")},
      {"GET", "/openapi.json", "public", 200, Plain("GET", "/openapi.json")},

      {"GET", "/v1/products", "public", 200, Plain("GET", "/v1/products")},
      {"POST", "/v1/products", "catalog:write", 201,
       [](const World& w, const Account*) {
         json body = {{"title", "New " + std::to_string(w.n)},
                      {"status", "active"},
                      {"variants", {{{"sku", "NEW-" + std::to_string(w.n)}, {"price", 100}}}}};
         return Call("POST", "/v1/products", body);
       }},
      {"GET", "/v1/products/{id}", "public", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/products/" + w.product); }},
      {"PATCH", "/v1/products/{id}", "catalog:write", 200,
       [](const World& w, const Account*) {
         Request r = Call("PATCH", "/v1/products/" + w.product, json{{"title", "Renamed"}});
         r.headers.emplace("If-Match", "*");
         return r;
       }},
      {"DELETE", "/v1/products/{id}", "catalog:write", 200,
       [](const World& w, const Account*) { return Call("DELETE", "/v1/products/" + w.product); }},
      {"POST", "/v1/products/{id}/variants", "catalog:write", 201,
       [](const World& w, const Account*) {
         return Call(
             "POST", "/v1/products/" + w.product + "/variants",
             json{{"sku", "ADD-" + std::to_string(w.n)}, {"price", 100}, {"options", {"XL"}}});
       }},
      {"GET", "/v1/variants/{sku}", "public", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/variants/" + w.sku); }},
      {"PATCH", "/v1/variants/{sku}", "catalog:write", 200,
       [](const World& w, const Account*) {
         return Call("PATCH", "/v1/variants/" + w.sku, json{{"price", 250}});
       }},
      {"DELETE", "/v1/variants/{sku}", "catalog:write", 200,
       [](const World& w, const Account*) {
         return Call("DELETE", "/v1/variants/" + w.spare_sku);
       }},

      {"GET", "/v1/categories", "public", 200, Plain("GET", "/v1/categories")},
      {"POST", "/v1/categories", "catalog:write", 201,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/categories", json{{"name", "Cat " + std::to_string(w.n)}});
       }},
      {"GET", "/v1/categories/{id}", "public", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/categories/" + w.category); }},
      {"GET", "/v1/collections", "public", 200, Plain("GET", "/v1/collections")},
      {"POST", "/v1/collections", "catalog:write", 201,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/collections", json{{"title", "Col " + std::to_string(w.n)}});
       }},
      {"GET", "/v1/collections/{id}", "public", 200,
       [](const World& w, const Account*) {
         return Call("GET", "/v1/collections/" + w.collection);
       }},
      {"PUT", "/v1/collections/{id}/products/{product_id}", "catalog:write", 200,
       [](const World& w, const Account*) {
         return Call("PUT", "/v1/collections/" + w.collection + "/products/" + w.product);
       }},
      {"DELETE", "/v1/collections/{id}/products/{product_id}", "catalog:write", 200,
       [](const World& w, const Account*) {
         return Call("DELETE", "/v1/collections/" + w.collection + "/products/" + w.product);
       }},

      {"GET", "/v1/inventory/{sku}", "inventory:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/inventory/" + w.sku); }},
      {"PUT", "/v1/inventory/{sku}", "inventory:write", 200,
       [](const World& w, const Account*) {
         return Call("PUT", "/v1/inventory/" + w.sku, json{{"on_hand", 7}});
       }},
      {"POST", "/v1/inventory/{sku}/adjustments", "inventory:write", 201,
       [](const World& w, const Account*) {
         return Once(Call("POST", "/v1/inventory/" + w.sku + "/adjustments",
                          json{{"delta", 1}, {"reason", "received"}}));
       }},
      {"GET", "/v1/inventory/{sku}/history", "inventory:read", 200,
       [](const World& w, const Account*) {
         return Call("GET", "/v1/inventory/" + w.sku + "/history");
       }},

      {"POST", "/v1/auth/register", "public", 201,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/auth/register",
                     json{{"email", "new" + std::to_string(w.n) + "@example.com"},
                          {"password", "long enough pw"},
                          {"name", "New"}});
       }},
      {"POST", "/v1/auth/login", "public", 200,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/auth/login",
                     json{{"email", w.a.email}, {"password", w.a.password}});
       }},
      {"POST", "/v1/auth/logout", "session", 204, Plain("POST", "/v1/auth/logout")},
      {"POST", "/v1/auth/password-reset", "public", 202,
       [](const World& w, const Account*) {
         // An unknown email each time: a known one is throttled after three.
         return Call("POST", "/v1/auth/password-reset",
                     json{{"email", "ghost" + std::to_string(w.n) + "@example.com"}});
       }},
      {"POST", "/v1/auth/password-reset/confirm", "public", 400,  // a token that never existed
       Plain("POST", "/v1/auth/password-reset/confirm",
             json{{"token", "er_unknown"}, {"password", "long enough pw"}})},

      {"GET", "/v1/me", "customer", 200, Plain("GET", "/v1/me")},
      {"PATCH", "/v1/me", "customer", 200, Plain("PATCH", "/v1/me", json{{"name", "Renamed"}})},
      {"DELETE", "/v1/me", "customer", 204, Plain("DELETE", "/v1/me")},
      {"POST", "/v1/me/password", "customer", 204,
       [](const World&, const Account* self) {
         return Call("POST", "/v1/me/password",
                     json{{"current_password", self ? self->password : "unknown"},
                          {"new_password", "another long pw"}});
       }},
      {"GET", "/v1/me/addresses", "customer", 200, Plain("GET", "/v1/me/addresses")},
      {"POST", "/v1/me/addresses", "customer", 201, Plain("POST", "/v1/me/addresses", Address())},
      {"GET", "/v1/me/addresses/{id}", "customer-owned", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/me/addresses/" + w.address); }},
      {"PATCH", "/v1/me/addresses/{id}", "customer-owned", 200,
       [](const World& w, const Account*) {
         return Call("PATCH", "/v1/me/addresses/" + w.address, json{{"city", "Paris"}});
       }},
      {"DELETE", "/v1/me/addresses/{id}", "customer-owned", 204,
       [](const World& w, const Account*) {
         return Call("DELETE", "/v1/me/addresses/" + w.address);
       }},

      {"GET", "/v1/customers", "customers:read", 200, Plain("GET", "/v1/customers")},
      {"GET", "/v1/customers/{id}", "customers:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/customers/" + w.a.id); }},

      // Carts: a customer's own, or a guest's by its X-Cart-Token. Anyone may
      // open one (keys and staff get a guest cart).
      {"POST", "/v1/carts", "public", 201, Plain("POST", "/v1/carts", json::object())},
      {"GET", "/v1/carts/{id}", "cart-holder", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/carts/" + w.own.cart + "?country=DE"); },
       kCart},
      {"POST", "/v1/carts/{id}/items", "cart-holder", 201,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/carts/" + w.own.cart + "/items", json{{"sku", w.sku}, {"quantity", 1}});
       },
       kCart},
      {"PATCH", "/v1/carts/{id}/items/{sku}", "cart-holder", 200,
       [](const World& w, const Account*) {
         return Call("PATCH", "/v1/carts/" + w.own.cart + "/items/" + w.sku, json{{"quantity", 2}});
       },
       kCart},
      {"DELETE", "/v1/carts/{id}/items/{sku}", "cart-holder", 200,
       [](const World& w, const Account*) {
         return Call("DELETE", "/v1/carts/" + w.own.cart + "/items/" + w.sku);
       },
       kCart},
      {"POST", "/v1/carts/{id}/checkout", "cart-holder", 201,
       [](const World& w, const Account*) {
         return Once(Call("POST", "/v1/carts/" + w.own.cart + "/checkout",
                          CheckoutBody("tok_visa", "buyer@example.com")));
       },
       kCart},

      // Orders, payments and refunds.
      {"GET", "/v1/me/orders", "customer", 200, Plain("GET", "/v1/me/orders"), kOrder},
      {"GET", "/v1/orders", "orders:read", 200, Plain("GET", "/v1/orders"), kOrder},
      {"GET", "/v1/orders/{id}", "cart-holder or orders:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/orders/" + w.own.order); }, kOrder},
      {"GET", "/v1/orders/{id}/payments", "cart-holder or orders:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/orders/" + w.own.order + "/payments"); },
       kOrder},
      {"POST", "/v1/orders/{id}/payments", "cart-holder", 201,
       [](const World& w, const Account*) {
         return Once(Call("POST", "/v1/orders/" + w.own.unpaid_order + "/payments", json{{"token", "tok_visa"}}));
       },
       kUnpaid},
      {"POST", "/v1/orders/{id}/cancel", "orders:write", 200,
       [](const World& w, const Account*) {
         return Once(Call("POST", "/v1/orders/" + w.own.order + "/cancel", json{{"reason", "matrix"}}));
       },
       kOrder},
      {"POST", "/v1/orders/{id}/fulfil", "orders:write", 200,
       [](const World& w, const Account*) { return Call("POST", "/v1/orders/" + w.own.order + "/fulfil"); },
       kOrder},
      {"POST", "/v1/orders/{id}/ship", "orders:write", 200,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/orders/" + w.own.order + "/ship",
                     json{{"carrier", "DHL"}, {"tracking_number", "MX1"}});
       },
       kOrder},
      {"POST", "/v1/orders/{id}/deliver", "orders:write", 200,
       [](const World& w, const Account*) {
         return Call("POST", "/v1/orders/" + w.own.shipped_order + "/deliver");
       },
       kShipped},
      {"GET", "/v1/orders/{id}/refunds", "orders:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/orders/" + w.own.order + "/refunds"); },
       kOrder},
      {"POST", "/v1/orders/{id}/refunds", "payments:refund", 201,
       [](const World& w, const Account*) {
         return Once(Call("POST", "/v1/orders/" + w.own.order + "/refunds", json{{"amount", 100}, {"reason", "matrix"}}));
       },
       kOrder},
      {"GET", "/v1/payments/{id}", "orders:read", 200,
       [](const World& w, const Account*) { return Call("GET", "/v1/payments/" + w.own.payment); }, kOrder},
      // Signed by the gateway, whoever sends it; and signed wrongly.
      {"POST", "/v1/webhooks/{gateway}", "webhook", 200,
       [](const World& w, const Account*) { return Webhook(w.own.awaiting_payment, kWebhookSecret); }, kAwaiting},
      {"POST", "/v1/webhooks/{gateway}", "webhook-unsigned", 401,
       [](const World& w, const Account*) { return Webhook(w.own.awaiting_payment, "not the secret"); },
       kAwaiting},

      // Shipping methods and tax rates.
      {"GET", "/v1/shipping-methods", "public", 200, Plain("GET", "/v1/shipping-methods")},
      {"PUT", "/v1/shipping-methods/{code}", "settings:write", 200,
       [](const World& w, const Account*) {
         return Call("PUT", "/v1/shipping-methods/mx-put-" + std::to_string(w.n),
                     json{{"name", "Express"}, {"amount", {{"amount", 900}, {"currency", "USD"}}}});
       }},
      {"DELETE", "/v1/shipping-methods/{code}", "settings:write", 204,
       [](const World& w, const Account*) { return Call("DELETE", "/v1/shipping-methods/" + w.shipping_method); },
       kShippingMethod},
      {"GET", "/v1/tax-rates", "public", 200, Plain("GET", "/v1/tax-rates")},
      {"PUT", "/v1/tax-rates/{code}", "settings:write", 200,
       Plain("PUT", "/v1/tax-rates/FR", json{{"rate", "20"}})},
      {"DELETE", "/v1/tax-rates/{code}", "settings:write", 204,
       [](const World& w, const Account*) { return Call("DELETE", "/v1/tax-rates/" + w.tax_rate); }, kTaxRate},
  };
  return kRows;
}

constexpr std::string_view kCartHolder = "cart-holder";
constexpr std::string_view kCartHolderOr = "cart-holder or ";

// The scope a rule names: the rule itself for a scope rule, the part after
// "cart-holder or "; "" for rules that name none.
std::string ScopeOf(const std::string& rule) {
  if (rule.rfind(kCartHolderOr, 0) == 0) return rule.substr(kCartHolderOr.size());
  if (rule.find(':') != std::string::npos && rule.find(' ') == std::string::npos) return rule;
  return "";
}

bool IsScope(const std::string& rule) { return !ScopeOf(rule).empty() && ScopeOf(rule) == rule; }
bool IsCartHolder(const std::string& rule) { return rule.rfind(kCartHolder, 0) == 0; }
bool IsGuest(Caller caller) { return caller == Caller::kGuest || caller == Caller::kOtherGuest; }
bool IsRefused(Caller caller) {
  return caller == Caller::kGarbageToken || caller == Caller::kExpiredSession ||
         caller == Caller::kRevokedSession;
}

bool RoleGrants(const char* role, const std::string& scope) {
  return auth::GrantsScope(auth::FindStaffRole(role)->scopes, scope);
}

// Whether a key or staff caller holds `scope`.
bool Holds(Caller caller, const std::string& scope) {
  if (scope.empty()) return false;
  switch (caller) {
    case Caller::kKeyWithScope:
    case Caller::kAdminKey:
      return true;
    case Caller::kCatalogStaff:
      return RoleGrants("catalog_manager", scope);
    case Caller::kSupportStaff:
      return RoleGrants("support", scope);
    default:
      return false;
  }
}

// What the row's rule promises this caller.
int Expected(const Row& row, Caller caller) {
  if (IsRefused(caller)) return 401;  // a refused token is refused everywhere, public routes too
  if (row.rule == "public") return row.allowed;
  // The signature decides; a bearer token (or none) changes nothing.
  if (row.rule == "webhook") return row.allowed;
  if (row.rule == "webhook-unsigned") return 401;
  bool customer = caller == Caller::kCustomerA || caller == Caller::kCustomerB;
  bool staff = caller == Caller::kCatalogStaff || caller == Caller::kSupportStaff;
  if (IsCartHolder(row.rule)) {
    // Guests act on their own cart or order with its token; another cart's
    // token opens nothing of A's.
    if (caller == Caller::kGuest) return row.allowed;
    if (caller == Caller::kOtherGuest) return 404;
    if (caller == Caller::kAnonymous) return 401;
    if (customer) return caller == Caller::kCustomerA ? row.allowed : 404;
    // Keys and staff: by the scope, or not at all (no cart token).
    return Holds(caller, ScopeOf(row.rule)) ? row.allowed : 403;
  }
  if (caller == Caller::kAnonymous || IsGuest(caller)) return 401;
  if (row.rule == "customer") return customer ? row.allowed : 403;
  if (row.rule == "customer-owned")
    return caller == Caller::kCustomerA ? row.allowed : caller == Caller::kCustomerB ? 404 : 403;
  if (row.rule == "session") return customer || staff ? row.allowed : 403;
  EXPECT_TRUE(IsScope(row.rule)) << row.rule;
  return Holds(caller, row.rule) ? row.allowed : 403;
}

// The WWW-Authenticate challenge a 401 carries: a webhook with a bad
// signature is told the signature scheme, everything else the bearer one.
std::string ExpectedChallenge(const Row& row, Caller caller) {
  if (row.rule == "webhook-unsigned" && !IsRefused(caller)) return "Ecom-Signature realm=\"ecom\"";
  return "Bearer realm=\"ecom\"";
}

class AuthorizationMatrixTest : public DaemonTest {
 protected:
  // The daemon again, now with a webhook secret for the `test` gateway.
  void SetUp() override {
    DaemonTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    StopDaemon();
    ASSERT_TRUE(StartDaemon({}, {{"ECOM_PAYMENTS_WEBHOOK_SECRETS", std::string("test=") + kWebhookSecret}}));
  }

  // A world for `row`: A's carts and orders as the row needs them, and the
  // guest's too when the row admits guests and `guest_objects` is set.
  World MakeWorld(const Row& row, bool guest_objects) {
    static int n = 0;
    World w;
    w.n = ++n;
    w.a = NewCustomer("A");
    w.b = NewCustomer("B");
    w.catalog_staff = NewStaff("catalog_manager");
    w.support_staff = NewStaff("support");
    w.expired = SessionAt(w.a, std::chrono::time_point_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now()) -
                                   std::chrono::hours(24 * 40));
    w.revoked = LogIn(w.a);
    EXPECT_TRUE(sessions().Logout(w.revoked).ok());
    Response address = Post("/v1/me/addresses", Address(), w.a.token);
    EXPECT_EQ(address.status, 201) << address.body;
    w.address = address.json.value("id", "");

    w.sku = "MX-" + std::to_string(w.n);
    w.spare_sku = "MX-SPARE-" + std::to_string(w.n);
    json product =
        ProductBody("Matrix " + std::to_string(w.n), w.sku, 500, {{"options", {"Size"}}});
    product["variants"][0]["options"] = {"M"};
    product["variants"].push_back({{"sku", w.spare_sku}, {"price", 600}, {"options", {"L"}}});
    w.product = CreateProduct(product).value("id", "");
    // Enough for every order a world places.
    EXPECT_EQ(Put("/v1/inventory/" + w.sku, {{"on_hand", 20}}, admin_key_).status, 200);
    w.category = Post("/v1/categories", {{"name", "Matrix " + std::to_string(w.n)}}, admin_key_)
                     .json.value("id", "");
    w.collection = Post("/v1/collections", {{"title", "Matrix " + std::to_string(w.n)}}, admin_key_)
                       .json.value("id", "");

    w.other_cart_token = NewCart(w, "").second;
    MakeShop(w, row.needs, w.a.token, &w.own);
    if (guest_objects && IsCartHolder(row.rule)) MakeShop(w, row.needs, "", &w.guest);
    if (row.needs & kShippingMethod) {
      w.shipping_method = "mx-delete-" + std::to_string(w.n);
      Response r = Put("/v1/shipping-methods/" + w.shipping_method,
                       {{"name", "Courier"}, {"amount", {{"amount", 500}, {"currency", "USD"}}}}, admin_key_);
      EXPECT_EQ(r.status, 200) << r.body;
    }
    if (row.needs & kTaxRate) {
      w.tax_rate = "IT";
      Response r = Put("/v1/tax-rates/" + w.tax_rate, {{"rate", "22"}}, admin_key_);
      EXPECT_EQ(r.status, 200) << r.body;
    }
    return w;
  }

  // An open cart holding one of w.sku: customer `token`'s, or a guest's when
  // `token` is empty. Its id and (a guest's) token.
  std::pair<std::string, std::string> NewCart(const World& w, const std::string& token) {
    Response created = Post("/v1/carts", json::object(), token);
    EXPECT_EQ(created.status, 201) << created.body;
    std::string id = IdOf(created.json, "cart");
    std::string cart_token = created.json.is_object() ? created.json.value("token", "") : "";
    EXPECT_EQ(cart_token.empty(), !token.empty()) << created.body;
    Request add = Call("POST", "/v1/carts/" + id + "/items", json{{"sku", w.sku}, {"quantity", 1}});
    add.token = token;
    if (!cart_token.empty()) add.headers.emplace("X-Cart-Token", cart_token);
    Response added = Send(add);
    EXPECT_EQ(added.status, 201) << added.body;
    return {id, cart_token};
  }

  // Checks out a new cart of `token`'s customer (or a guest's), paying with
  // `payment_token`; the order and payment, and the cart token in `shop`.
  std::pair<std::string, std::string> NewOrder(const World& w, const std::string& token,
                                               const std::string& payment_token, int status, Shop* shop) {
    auto [cart, cart_token] = NewCart(w, token);
    std::optional<std::string> email;
    if (token.empty()) email = "guest" + std::to_string(w.n) + "@example.com";
    Request checkout = Once(Call("POST", "/v1/carts/" + cart + "/checkout", CheckoutBody(payment_token, email)));
    checkout.token = token;
    if (!cart_token.empty()) checkout.headers.emplace("X-Cart-Token", cart_token);
    Response r = Send(checkout);
    EXPECT_EQ(r.status, status) << r.body;
    std::string order = IdOf(r.json, "order"), payment = IdOf(r.json, "payment");
    if (!cart_token.empty()) shop->tokens[order] = cart_token;
    return {order, payment};
  }

  void MakeShop(const World& w, unsigned needs, const std::string& token, Shop* shop) {
    if (needs & kCart) {
      auto [cart, cart_token] = NewCart(w, token);
      shop->cart = cart;
      if (!cart_token.empty()) shop->tokens[cart] = cart_token;
    }
    if (needs & kOrder) std::tie(shop->order, shop->payment) = NewOrder(w, token, "tok_visa", 201, shop);
    if (needs & kUnpaid) shop->unpaid_order = NewOrder(w, token, "tok_chargeDeclined", 402, shop).first;
    if (needs & kAwaiting)
      shop->awaiting_payment = NewOrder(w, token, "tok_requiresConfirmation", 201, shop).second;
    if (needs & kShipped) {
      shop->shipped_order = NewOrder(w, token, "tok_visa", 201, shop).first;
      Response shipped = Post("/v1/orders/" + shop->shipped_order + "/ship",
                              {{"carrier", "DHL"}, {"tracking_number", "MX0"}}, admin_key_);
      EXPECT_EQ(shipped.status, 200) << shipped.body;
    }
  }

  // The world as `caller` acts in it: a guest on a row that admits guests
  // acts on its own cart and orders.
  static World ViewFor(const World& w, const Row& row, Caller caller) {
    World view = w;
    if (caller == Caller::kGuest && IsCartHolder(row.rule)) view.own = w.guest;
    return view;
  }

  // The token a caller presents, and the account they act as; nullopt when
  // the caller cannot be made (a key for a scope no key may hold).
  std::optional<std::pair<std::string, const Account*>> Credentials(const World& w, const Row& row,
                                                                    Caller caller) {
    switch (caller) {
      case Caller::kAnonymous:
      case Caller::kGuest:
      case Caller::kOtherGuest:
        return std::pair<std::string, const Account*>{"", nullptr};
      case Caller::kGarbageToken:
        return std::pair<std::string, const Account*>{"es_" + std::string(64, 'f'), nullptr};
      case Caller::kExpiredSession:
        return std::pair<std::string, const Account*>{w.expired, nullptr};
      case Caller::kRevokedSession:
        return std::pair<std::string, const Account*>{w.revoked, nullptr};
      case Caller::kCustomerA:
        return std::pair<std::string, const Account*>{w.a.token, &w.a};
      case Caller::kCustomerB:
        return std::pair<std::string, const Account*>{w.b.token, &w.b};
      case Caller::kKeyWithoutScope:
        return std::pair<std::string, const Account*>{KeyWithout(row.rule), nullptr};
      case Caller::kKeyWithScope: {
        auto key = KeyFor(row.rule);
        if (!key) return std::nullopt;
        return std::pair<std::string, const Account*>{*key, nullptr};
      }
      case Caller::kAdminKey:
        return std::pair<std::string, const Account*>{admin_key_, nullptr};
      case Caller::kCatalogStaff:
        return std::pair<std::string, const Account*>{w.catalog_staff.token, &w.catalog_staff};
      case Caller::kSupportStaff:
        return std::pair<std::string, const Account*>{w.support_staff.token, &w.support_staff};
    }
    return std::nullopt;
  }

  // A key holding exactly the row's scope (catalog:read for rows naming
  // none); nullopt if no API key may hold that scope.
  std::optional<std::string> KeyFor(const std::string& rule) {
    std::string scope = ScopeOf(rule).empty() ? "catalog:read" : ScopeOf(rule);
    const auto& known = auth::KnownScopes();
    if (std::find(known.begin(), known.end(), scope) == known.end()) return std::nullopt;
    auto it = keys_.find(scope);
    if (it == keys_.end()) it = keys_.emplace(scope, NewKey({scope})).first;
    return it->second;
  }

  // A valid key without the row's scope: orders:read, which grants no
  // catalog, inventory or customer route, or catalog:read where orders:read
  // is the scope.
  std::string KeyWithout(const std::string& rule) {
    std::string scope = ScopeOf(rule);
    if (!scope.empty() && auth::GrantsScope({"orders:read"}, scope)) return *KeyFor("catalog:read");
    return orders_key_;
  }

  // The X-Cart-Token a guest sends: its own cart's or order's for the object
  // the request names, else one that opens nothing of A's.
  static std::string GuestToken(const World& view, const Request& request, Caller caller) {
    if (caller == Caller::kGuest)
      for (const auto& [id, token] : view.own.tokens)
        if (request.path.find(id) != std::string::npos) return token;
    return view.other_cart_token;
  }

  std::map<std::string, std::string> keys_;
};

TEST_P(AuthorizationMatrixTest, EveryDocumentedOperationIsInTheMatrix) {
  std::ifstream in(SourcePath("docs/openapi.json"));
  ASSERT_TRUE(in);
  json doc = json::parse(in);
  std::set<std::pair<std::string, std::string>> documented, tabled;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) {
      if (!op.is_object() || !op.contains("operationId")) continue;
      std::string m = method;
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.insert({m, path});
    }
  for (const auto& row : Matrix()) tabled.insert({row.method, row.path});
  for (const auto& op : documented)
    EXPECT_TRUE(tabled.count(op)) << "add to the authorisation matrix: " << op.first << " "
                                  << op.second;
  for (const auto& op : tabled)
    EXPECT_TRUE(documented.count(op))
        << "in the matrix but not documented: " << op.first << " " << op.second;
}

TEST_P(AuthorizationMatrixTest, EachCallerGetsWhatTheRuleSays) {
  for (const auto& row : Matrix()) {
    // A read leaves the world as it was; anything else gets a fresh one per
    // caller, so an earlier cell's delete or logout cannot decide a later one.
    bool read_only = row.method == "GET";
    std::optional<World> shared;
    if (read_only) shared = MakeWorld(row, true);
    for (const auto& [caller, name] : kCallers) {
      World fresh = read_only ? World() : MakeWorld(row, caller == Caller::kGuest);
      const World view = ViewFor(read_only ? *shared : fresh, row, caller);
      const World& w = view;
      auto credentials = Credentials(w, row, caller);
      if (!credentials) {
        ADD_FAILURE() << row.method << " " << row.path << " needs " << ScopeOf(row.rule)
                      << ", which no API key may hold (it is not in auth::KnownScopes())";
        continue;
      }
      auto [token, self] = *credentials;
      Request request = row.build(w, self);
      request.token = token;
      if (IsGuest(caller)) request.headers.emplace("X-Cart-Token", GuestToken(w, request, caller));
      Response r = Send(request);
      int expected = Expected(row, caller);
      EXPECT_EQ(r.status, expected)
          << row.method << " " << row.path << " (" << row.rule << ") by " << name << ": " << r.body;
      if (expected == 401) {
        EXPECT_EQ(r.Header("WWW-Authenticate").rfind(ExpectedChallenge(row, caller), 0), 0u)
            << row.method << " " << row.path << " by " << name << ": " << r.Header("WWW-Authenticate");
      }
      if (expected == 403 && r.json.value("reason", "") == "insufficient_scope") {
        EXPECT_EQ(r.Header("WWW-Authenticate"),
                  "Bearer error=\"insufficient_scope\", scope=\"" + ScopeOf(row.rule) + "\"");
      }
      // Nothing of customer A's reaches customer B, nor a guest (unless it
      // signs in as A on a public route).
      if (caller == Caller::kCustomerB || (IsGuest(caller) && row.rule != "public")) {
        EXPECT_EQ(r.body.find(w.a.email), std::string::npos) << row.method << " " << row.path << " by " << name;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, AuthorizationMatrixTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
