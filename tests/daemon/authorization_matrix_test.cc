// The authorisation matrix: every operation in docs/openapi.json, called by
// every kind of caller, answers the status its access rule promises. An
// operation missing from kMatrix fails the test, so no route can skip it.
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "daemon_fixture.h"
#include "ecom/auth/roles.h"

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
};

// Everything one cell of the matrix acts on, made fresh for every cell that
// may change it.
struct World {
  Account a, b, catalog_staff, support_staff;
  std::string expired, revoked;
  std::string address;  // one of A's
  std::string product, sku, spare_sku, category, collection;
  int n = 0;  // makes names unique
};

// How one operation is called: its path with parameters filled in and its
// body, for a caller (who may act on their own account).
using Build = std::function<Request(const World&, const Account* self)>;

struct Row {
  std::string method;
  std::string path;  // as in docs/openapi.json
  // Who the route admits: "public", "customer" (own account), "customer-owned"
  // (an object of customer A: B gets 404), "session" (customer or staff), or
  // the scope it needs.
  std::string rule;
  int allowed;  // the status for a caller the rule admits
  Build build;
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
         return Call("POST", "/v1/inventory/" + w.sku + "/adjustments",
                     json{{"delta", 1}, {"reason", "received"}});
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
  };
  return kRows;
}

bool IsScope(const std::string& rule) { return rule.find(':') != std::string::npos; }

bool RoleGrants(const char* role, const std::string& scope) {
  return auth::GrantsScope(auth::FindStaffRole(role)->scopes, scope);
}

// What the row's rule promises this caller.
int Expected(const Row& row, Caller caller) {
  switch (caller) {
    case Caller::kGarbageToken:
    case Caller::kExpiredSession:
    case Caller::kRevokedSession:
      return 401;  // a refused token is refused everywhere, public routes too
    default:
      break;
  }
  if (row.rule == "public") return row.allowed;
  if (caller == Caller::kAnonymous) return 401;
  bool customer = caller == Caller::kCustomerA || caller == Caller::kCustomerB;
  bool staff = caller == Caller::kCatalogStaff || caller == Caller::kSupportStaff;
  if (row.rule == "customer") return customer ? row.allowed : 403;
  if (row.rule == "customer-owned")
    return caller == Caller::kCustomerA ? row.allowed : caller == Caller::kCustomerB ? 404 : 403;
  if (row.rule == "session") return customer || staff ? row.allowed : 403;
  EXPECT_TRUE(IsScope(row.rule)) << row.rule;
  switch (caller) {
    case Caller::kKeyWithScope:
    case Caller::kAdminKey:
      return row.allowed;
    case Caller::kCatalogStaff:
      return RoleGrants("catalog_manager", row.rule) ? row.allowed : 403;
    case Caller::kSupportStaff:
      return RoleGrants("support", row.rule) ? row.allowed : 403;
    default:
      return 403;
  }
}

class AuthorizationMatrixTest : public DaemonTest {
 protected:
  World MakeWorld() {
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
    EXPECT_EQ(Put("/v1/inventory/" + w.sku, {{"on_hand", 3}}, admin_key_).status, 200);
    w.category = Post("/v1/categories", {{"name", "Matrix " + std::to_string(w.n)}}, admin_key_)
                     .json.value("id", "");
    w.collection = Post("/v1/collections", {{"title", "Matrix " + std::to_string(w.n)}}, admin_key_)
                       .json.value("id", "");
    return w;
  }

  // The token a caller presents, and the account they act as.
  std::pair<std::string, const Account*> Credentials(const World& w, const Row& row,
                                                     Caller caller) {
    switch (caller) {
      case Caller::kAnonymous:
        return {"", nullptr};
      case Caller::kGarbageToken:
        return {"es_" + std::string(64, 'f'), nullptr};
      case Caller::kExpiredSession:
        return {w.expired, nullptr};
      case Caller::kRevokedSession:
        return {w.revoked, nullptr};
      case Caller::kCustomerA:
        return {w.a.token, &w.a};
      case Caller::kCustomerB:
        return {w.b.token, &w.b};
      case Caller::kKeyWithoutScope:
        return {orders_key_, nullptr};  // orders:read grants no route here
      case Caller::kKeyWithScope:
        return {KeyFor(row.rule), nullptr};
      case Caller::kAdminKey:
        return {admin_key_, nullptr};
      case Caller::kCatalogStaff:
        return {w.catalog_staff.token, &w.catalog_staff};
      case Caller::kSupportStaff:
        return {w.support_staff.token, &w.support_staff};
    }
    return {"", nullptr};
  }

  // A key holding exactly the row's scope (catalog:read for other rows).
  std::string KeyFor(const std::string& rule) {
    std::string scope = IsScope(rule) ? rule : "catalog:read";
    auto it = keys_.find(scope);
    if (it == keys_.end()) it = keys_.emplace(scope, NewKey({scope})).first;
    return it->second;
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
    if (read_only) shared = MakeWorld();
    for (const auto& [caller, name] : kCallers) {
      World fresh = read_only ? World() : MakeWorld();
      const World& w = read_only ? *shared : fresh;
      auto [token, self] = Credentials(w, row, caller);
      Request request = row.build(w, self);
      request.token = token;
      Response r = Send(request);
      int expected = Expected(row, caller);
      EXPECT_EQ(r.status, expected)
          << row.method << " " << row.path << " by " << name << ": " << r.body;
      if (expected == 401)
        EXPECT_EQ(r.Header("WWW-Authenticate").rfind("Bearer realm=\"ecom\"", 0), 0u)
            << row.method << " " << row.path << " by " << name;
      if (expected == 403 && r.json.value("reason", "") == "insufficient_scope")
        EXPECT_EQ(r.Header("WWW-Authenticate"),
                  "Bearer error=\"insufficient_scope\", scope=\"" + row.rule + "\"");
      // Nothing of customer A's reaches customer B.
      if (caller == Caller::kCustomerB)
        EXPECT_EQ(r.body.find(w.a.email), std::string::npos) << row.method << " " << row.path;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, AuthorizationMatrixTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
