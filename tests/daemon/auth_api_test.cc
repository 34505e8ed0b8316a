// Customers, sessions and the HTTP guards around them, against a real ecomd.
#include <set>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class AuthApiTest : public DaemonTest {
 protected:
  Response Register(const std::string& email, const std::string& password = "long enough pw",
                    const httplib::Headers& headers = {}) {
    return Send({.method = "POST",
                 .path = "/v1/auth/register",
                 .json = json{{"email", email}, {"password", password}, {"name", "Ann"}},
                 .headers = headers});
  }
  Response Login(const std::string& email, const std::string& password) {
    return Post("/v1/auth/login", {{"email", email}, {"password", password}}, "");
  }
};

TEST_P(AuthApiTest, RegisterThenLogInThenReadMe) {
  Response registered = Register("ann@example.com");
  ASSERT_EQ(registered.status, 201) << registered.body;
  EXPECT_EQ(registered.json["email"], "ann@example.com");
  EXPECT_FALSE(registered.json.contains("password"));

  Response login = Login("ann@example.com", "long enough pw");
  ASSERT_EQ(login.status, 200) << login.body;
  std::string token = login.json["token"];
  EXPECT_EQ(token.rfind("es_", 0), 0u);
  EXPECT_TRUE(login.json["expires_at"].is_string());
  EXPECT_EQ(login.json["kind"], "customer");
  EXPECT_EQ(login.Header("Cache-Control"), "no-store");

  Response me = Get("/v1/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json["id"], registered.json["id"]);
  EXPECT_EQ(me.Header("Cache-Control"), "no-store");
}

TEST_P(AuthApiTest, RegisteringATakenEmailIs409EmailTaken) {
  ASSERT_EQ(Register("bob@example.com").status, 201);
  Response again = Register("BOB@example.com");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json["reason"], "email_taken");
}

TEST_P(AuthApiTest, WrongEmailAndWrongPasswordLookTheSame) {
  ASSERT_EQ(Register("cat@example.com").status, 201);
  Response wrong_password = Login("cat@example.com", "not the password");
  Response wrong_email = Login("nobody@example.com", "long enough pw");
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_EQ(wrong_email.status, 401);
  EXPECT_EQ(wrong_password.json["reason"], wrong_email.json["reason"]);
  EXPECT_EQ(wrong_password.json["detail"], wrong_email.json["detail"]);
}

TEST_P(AuthApiTest, RepeatedFailedLoginsAre429WithRetryAfter) {
  ASSERT_EQ(Register("dan@example.com").status, 201);
  Response last;
  for (int i = 0; i < 6; ++i)
    last = Login("dan@example.com", "wrong password " + std::to_string(i));
  EXPECT_EQ(last.status, 429) << last.body;
  EXPECT_EQ(last.json["reason"], "too_many_attempts");
  EXPECT_GE(std::stoi(last.Header("Retry-After")), 1);
}

TEST_P(AuthApiTest, LogoutEndsThePresentedSessionOnly) {
  Account ann = NewCustomer();
  std::string other = LogIn(ann);
  EXPECT_EQ(Post("/v1/auth/logout", json::object(), ann.token).status, 204);
  EXPECT_EQ(Get("/v1/me", ann.token).status, 401);
  EXPECT_EQ(Get("/v1/me", other).status, 200);
}

TEST_P(AuthApiTest, ChangingThePasswordEndsTheOtherSessions) {
  Account ann = NewCustomer();
  std::string other = LogIn(ann);
  Response changed =
      Post("/v1/me/password",
           {{"current_password", ann.password}, {"new_password", "a new password!"}}, ann.token);
  EXPECT_EQ(changed.status, 204) << changed.body;
  EXPECT_EQ(Get("/v1/me", ann.token).status, 200);
  EXPECT_EQ(Get("/v1/me", other).status, 401);
  EXPECT_EQ(Login(ann.email, "a new password!").status, 200);
}

TEST_P(AuthApiTest, PasswordResetAnswersAlikeForKnownAndUnknownEmails) {
  Account ann = NewCustomer();
  Response known = Post("/v1/auth/password-reset", {{"email", ann.email}}, "");
  Response unknown = Post("/v1/auth/password-reset", {{"email", "ghost@example.com"}}, "");
  EXPECT_EQ(known.status, 202);
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(known.body, unknown.body);
  Response bogus = Post("/v1/auth/password-reset/confirm",
                        {{"token", "er_bogus"}, {"password", "whatever123"}}, "");
  EXPECT_EQ(bogus.status, 400);
  EXPECT_EQ(bogus.json["reason"], "invalid_reset_token");
}

TEST_P(AuthApiTest, MePatchChangesTheNameAndRefusesServerOwnedFields) {
  Account ann = NewCustomer();
  Response renamed = Patch("/v1/me", {{"name", "Ann B."}}, ann.token);
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json["name"], "Ann B.");

  Response status = Patch("/v1/me", {{"status", "active"}}, ann.token);
  EXPECT_EQ(status.status, 400);
  EXPECT_EQ(status.json["reason"], "read_only_field");
  EXPECT_EQ(status.json["errors"][0]["field"], "status");
  Response unknown = Patch("/v1/me", {{"nickname", "A"}}, ann.token);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.json["reason"], "unknown_field");
  EXPECT_EQ(unknown.json["errors"][0]["field"], "nickname");
  Response role = Send({.method = "POST",
                        .path = "/v1/auth/register",
                        .json = json{{"email", "eve@example.com"},
                                     {"password", "long enough pw"},
                                     {"name", "Eve"},
                                     {"role", "owner"}}});
  EXPECT_EQ(role.status, 400);
  EXPECT_EQ(role.json["errors"][0]["field"], "role");
}

TEST_P(AuthApiTest, AddressesBelongToTheirCustomerOnly) {
  Account ann = NewCustomer("Ann");
  Account bob = NewCustomer("Bob");
  json address = {{"name", "Ann"},
                  {"line1", "1 Main St"},
                  {"city", "Berlin"},
                  {"postal_code", "10115"},
                  {"country", "DE"}};
  Response added = Post("/v1/me/addresses", address, ann.token);
  ASSERT_EQ(added.status, 201) << added.body;
  std::string id = added.json["id"];
  EXPECT_EQ(added.Header("Location"), "/v1/me/addresses/" + id);

  EXPECT_EQ(Get("/v1/me/addresses/" + id, ann.token).status, 200);
  EXPECT_EQ(Get("/v1/me/addresses/" + id, bob.token).status, 404);
  EXPECT_EQ(Patch("/v1/me/addresses/" + id, {{"city", "Paris"}}, bob.token).status, 404);
  EXPECT_EQ(Delete("/v1/me/addresses/" + id, bob.token).status, 404);
  EXPECT_EQ(Get("/v1/me/addresses", bob.token).json["items"].size(), 0u);

  Response moved = Patch("/v1/me/addresses/" + id, {{"city", "Paris"}}, ann.token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.json["city"], "Paris");
  EXPECT_EQ(moved.json["line1"], "1 Main St");
  EXPECT_EQ(Post("/v1/me/addresses", {{"customer_id", bob.id}, {"line1", "x"}}, ann.token).status,
            400);
  EXPECT_EQ(Delete("/v1/me/addresses/" + id, ann.token).status, 204);
  EXPECT_EQ(Get("/v1/me/addresses/" + id, ann.token).status, 404);
}

TEST_P(AuthApiTest, DeletingTheAccountEndsItsSessions) {
  Account ann = NewCustomer();
  EXPECT_EQ(Delete("/v1/me", ann.token).status, 204);
  EXPECT_EQ(Get("/v1/me", ann.token).status, 401);
  EXPECT_EQ(Login(ann.email, ann.password).status, 401);
}

TEST_P(AuthApiTest, StaffSeeCustomersThroughTheirRoleAndWriteAsThemselves) {
  Account ann = NewCustomer();
  Account support = NewStaff("support");
  Account catalog = NewStaff("catalog_manager");
  Response list = Get("/v1/customers", support.token);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json["items"][0]["id"], ann.id);
  EXPECT_EQ(Get("/v1/customers/" + ann.id, support.token).json["email"], ann.email);
  Response denied = Get("/v1/customers", catalog.token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.Header("WWW-Authenticate"),
            R"(Bearer error="insufficient_scope", scope="customers:read")");

  // The ledger names the staff member who adjusted the stock.
  CreateProduct(ProductBody("Mug", "MUG-1", 900));
  ASSERT_EQ(
      PostOnce("/v1/inventory/MUG-1/adjustments", {{"delta", 3}, {"reason", "received"}}, catalog.token)
          .status,
      201);
  Response history = Get("/v1/inventory/MUG-1/history", catalog.token);
  ASSERT_EQ(history.status, 200) << history.body;
  EXPECT_EQ(history.json["items"][0]["actor"], "staff:" + catalog.id) << history.body;
}

TEST_P(AuthApiTest, CustomerListPagesWithACursor) {
  Account support = NewStaff("support");
  for (int i = 0; i < 3; ++i) NewCustomer();
  Response first = Get("/v1/customers?limit=2", support.token);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.json["items"].size(), 2u);
  ASSERT_TRUE(first.json["next_cursor"].is_string());
  Response second =
      Get("/v1/customers?limit=2&cursor=" + first.json["next_cursor"].get<std::string>(),
          support.token);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json["items"].size(), 1u);
  EXPECT_EQ(Get("/v1/customers?status=sleeping", support.token).status, 400);
}

TEST_P(AuthApiTest, ExpiredAndRevokedSessionsAre401InvalidToken) {
  Account ann = NewCustomer();
  std::string expired = SessionAt(ann, std::chrono::time_point_cast<std::chrono::microseconds>(
                                           std::chrono::system_clock::now()) -
                                           std::chrono::hours(24 * 40));
  Response r = Get("/v1/me", expired);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), R"(Bearer realm="ecom", error="invalid_token")");
  ASSERT_TRUE(sessions().Logout(ann.token).ok());
  EXPECT_EQ(Get("/v1/me", ann.token).status, 401);
}

TEST_P(AuthApiTest, EveryResponseCarriesTheSecurityHeaders) {
  for (const Response& r : {Get("/healthz"), Get("/v2/nowhere"), Get("/v1/me"),
                            Send({.method = "POST",
                            .path = "/v1/categories",
                            .token = admin_key_,
                            .raw_body = std::string(2 << 20, 'x')})}) {
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << r.status;
    EXPECT_EQ(r.Header("X-Frame-Options"), "DENY") << r.status;
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << r.status;
  }
  EXPECT_EQ(Get("/v1/products").Header("Cache-Control"), "");
}

TEST_P(AuthApiTest, OversizedTargetsAndHeadersAre414And431) {
  Response url = Get("/v1/products?q=" + std::string(9000, 'a'));
  EXPECT_EQ(url.status, 414);
  Response headers = Send({.method = "GET",
                           .path = "/v1/products",
                           .headers = {{"X-A", std::string(6000, 'a')},
                                       {"X-B", std::string(6000, 'b')},
                                       {"X-C", std::string(6000, 'c')}}});
  EXPECT_EQ(headers.status, 431);
  EXPECT_EQ(Get("/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Stores, AuthApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

// Daemons started with non-default settings.
class AuthConfigTest : public DaemonTest {};

TEST_P(AuthConfigTest, CorsAnswersPreflightsForAllowedOriginsOnly) {
  StopDaemon();
  ASSERT_TRUE(
      StartDaemon({}, {{"ECOM_HTTP_CORS_ORIGINS", "https://shop.example, https://admin.example"}}));
  Response allowed = Send({.method = "OPTIONS",
                           .path = "/v1/me",
                           .headers = {{"Origin", "https://shop.example"},
                                       {"Access-Control-Request-Method", "GET"},
                                       {"Access-Control-Request-Headers", "authorization"}}});
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Origin"), "https://shop.example");
  EXPECT_NE(allowed.Header("Access-Control-Allow-Headers").find("Authorization"),
            std::string::npos);

  Response refused = Send(
      {.method = "OPTIONS",
       .path = "/v1/me",
       .headers = {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.Header("Access-Control-Allow-Origin"), "");

  Response simple = Send(
      {.method = "GET", .path = "/v1/products", .headers = {{"Origin", "https://admin.example"}}});
  EXPECT_EQ(simple.Header("Access-Control-Allow-Origin"), "https://admin.example");
  Response other = Send(
      {.method = "GET", .path = "/v1/products", .headers = {{"Origin", "https://evil.example"}}});
  EXPECT_EQ(other.Header("Access-Control-Allow-Origin"), "");
}

TEST_P(AuthConfigTest, RateLimitPerTokenIs429WithRetryAfter) {
  StopDaemon();
  ASSERT_TRUE(StartDaemon({}, {{"ECOM_HTTP_RATE_LIMIT_PER_TOKEN", "5"}}));
  int limited = 0;
  Response last;
  for (int i = 0; i < 20; ++i) {
    last = Get("/v1/categories", admin_key_);
    if (last.status == 429) {
      ++limited;
      EXPECT_EQ(last.json["reason"], "rate_limited");
      EXPECT_GE(std::stoi(last.Header("Retry-After")), 1);
    }
  }
  EXPECT_GT(limited, 0);
  EXPECT_EQ(Get("/v1/categories", catalog_read_key_).status, 200);  // another token
  EXPECT_EQ(Get("/v1/categories").status, 200);                     // anonymous is not limited here
}

TEST_P(AuthConfigTest, ForwardedForCountsOnlyBehindATrustedProxy) {
  auto register_from = [&](const std::string& forwarded, int n) {
    return Send({.method = "POST",
                 .path = "/v1/auth/register",
                 .json = json{{"email", "x" + std::to_string(n) + "@example.com"},
                              {"password", "long enough pw"},
                              {"name", "X"}},
                 .headers = {{"X-Forwarded-For", forwarded}}});
  };
  // Untrusted: every request is 127.0.0.1's, whatever the header says.
  StopDaemon();
  ASSERT_TRUE(StartDaemon({}, {}));
  int n = 0, status = 0;
  for (int i = 0; i < 12 && status != 429; ++i)
    status = register_from("198.51.100." + std::to_string(i), ++n).status;
  EXPECT_EQ(status, 429);

  // Trusted: the address the proxy saw is throttled, not the proxy.
  StopDaemon();
  ASSERT_TRUE(StartDaemon({}, {{"ECOM_HTTP_TRUSTED_PROXIES", "127.0.0.0/8"}}));
  status = 0;
  int allowed = 0;
  for (int i = 0; i < 12 && status != 429; ++i) {
    status = register_from("203.0.113.5", ++n).status;
    if (status == 201) ++allowed;
  }
  EXPECT_EQ(status, 429);
  EXPECT_GE(allowed, 5);
  EXPECT_EQ(register_from("203.0.113.6", ++n).status, 201);
}

INSTANTIATE_TEST_SUITE_P(Stores, AuthConfigTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
