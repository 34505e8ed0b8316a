// The access rules of routes, checked without a daemon: the cart-holder and
// webhook kinds no route uses yet, signatures, trusted proxies, the rate
// limiter and strict JSON bodies.
#include "daemon/access.h"

#include <gtest/gtest.h>

#include <map>

#include "daemon/client_address.h"
#include "daemon/json_input.h"
#include "daemon/rate_limiter.h"

namespace ecom::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::seconds(1'790'000'000)};
constexpr const char* kSecret = "whsec_test_secret";

std::int64_t UnixSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

auth::Principal Customer(std::string id = "cus_A") {
  return auth::Principal{.kind = auth::PrincipalKind::kCustomer, .id = id, .session_id = "ses_1"};
}

auth::Principal Key(std::vector<std::string> scopes) {
  return auth::Principal{.kind = auth::PrincipalKind::kApiKey, .id = "key_1", .scopes = scopes};
}

auth::Principal Staff(std::vector<std::string> scopes) {
  return auth::Principal{.kind = auth::PrincipalKind::kStaff,
                         .id = "stf_1",
                         .session_id = "ses_2",
                         .role = "catalog_manager",
                         .scopes = scopes};
}

// Orders and the cart tokens that open them, as the carts code keeps them.
class FakeCarts : public CartTokens {
 public:
  Result<bool> Holds(std::string_view order_id, std::string_view token) override {
    ++asked;
    auto it = tokens_.find(std::string(order_id));
    return it != tokens_.end() && it->second == token;
  }
  std::map<std::string, std::string> tokens_ = {{"ord_1", "ct_one"}, {"ord_2", "ct_two"}};
  int asked = 0;
};

ErrorCode CodeOf(const Status& s) { return s.ok() ? ErrorCode::kInternal : s.error().code; }
std::string ReasonOf(const Status& s) { return s.ok() ? "ok" : s.error().reason; }

// --- Scopes, customers, sessions ---

TEST(AccessTest, ScopeRoutesAdmitKeysAndStaffHoldingTheScope) {
  Access access = Access::Scope("catalog:write");
  auto key = Key({"catalog:write"});
  auto staff = Staff({"catalog:write"});
  EXPECT_TRUE(access.Check({.caller = &key}, {}).ok());
  EXPECT_TRUE(access.Check({.caller = &staff}, {}).ok());
}

TEST(AccessTest, ScopeRoutesRefuseOthersWith401Or403) {
  Access access = Access::Scope("catalog:write");
  auto reader = Key({"catalog:read"});
  auto customer = Customer();
  EXPECT_EQ(ReasonOf(access.Check({}, {})), "unauthenticated");
  EXPECT_EQ(ReasonOf(access.Check({.caller = &reader}, {})), "insufficient_scope");
  EXPECT_EQ(ReasonOf(access.Check({.caller = &customer}, {})), "insufficient_scope");
}

TEST(AccessTest, CustomerRoutesAdmitOnlyCustomers) {
  Access access = Access::Customer();
  auto customer = Customer();
  auto admin = Key({"admin"});
  auto owner = Staff({"admin"});
  EXPECT_TRUE(access.Check({.caller = &customer}, {}).ok());
  EXPECT_EQ(CodeOf(access.Check({}, {})), ErrorCode::kUnauthenticated);
  EXPECT_EQ(ReasonOf(access.Check({.caller = &admin}, {})), "wrong_principal_kind");
  EXPECT_EQ(ReasonOf(access.Check({.caller = &owner}, {})), "wrong_principal_kind");
}

TEST(AccessTest, SessionRoutesAdmitCustomersAndStaffButNotKeys) {
  Access access = Access::Session();
  auto customer = Customer();
  auto staff = Staff({});
  auto admin = Key({"admin"});
  EXPECT_TRUE(access.Check({.caller = &customer}, {}).ok());
  EXPECT_TRUE(access.Check({.caller = &staff}, {}).ok());
  EXPECT_EQ(ReasonOf(access.Check({.caller = &admin}, {})), "wrong_principal_kind");
}

// --- Cart holders ---

TEST(CartHolderAccessTest, AnyCartTokenPassesAndTheCartsCodeChecksIt) {
  // Which cart a token opens is checked where the cart is read
  // (CartServiceTest.AnotherCartsTokenOpensNothingAndChangesNothing).
  FakeCarts carts;
  EXPECT_TRUE(Access::CartHolder().Check({.resource = "cart_1", .cart_token = "ct_one"}, {.carts = &carts}).ok());
  EXPECT_TRUE(Access::CartHolder().Check({.resource = "cart_1", .cart_token = "ct_two"}, {.carts = &carts}).ok());
  EXPECT_EQ(carts.asked, 0);
}

TEST(CartHolderAccessTest, NoTokenAndNoSessionIs401) {
  FakeCarts carts;
  EXPECT_EQ(CodeOf(Access::CartHolder().Check({.resource = "cart_1"}, {.carts = &carts})),
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(CodeOf(Access::OrderHolder().Check({.resource = "ord_1"}, {.carts = &carts})),
            ErrorCode::kUnauthenticated);
}

TEST(CartHolderAccessTest, ASignedInCustomerPassesAndTheHandlerChecksOwnership) {
  FakeCarts carts;
  auto customer = Customer();
  EXPECT_TRUE(Access::CartHolder().Check({.caller = &customer, .resource = "cart_1"}, {.carts = &carts}).ok());
  EXPECT_TRUE(Access::OrderHolder().Check({.caller = &customer, .resource = "ord_1"}, {.carts = &carts}).ok());
}

TEST(CartHolderAccessTest, AKeyWithoutACartTokenIsRefused) {
  FakeCarts carts;
  auto admin = Key({"admin"});
  EXPECT_EQ(CodeOf(Access::CartHolder().Check({.caller = &admin, .resource = "cart_1"}, {.carts = &carts})),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(CodeOf(Access::OrderHolder().Check({.caller = &admin, .resource = "ord_1"}, {.carts = &carts})),
            ErrorCode::kPermissionDenied);
}

TEST(OrderHolderAccessTest, TheTokenOfTheOrdersCartOpensIt) {
  FakeCarts carts;
  EXPECT_TRUE(Access::OrderHolder().Check({.resource = "ord_1", .cart_token = "ct_one"}, {.carts = &carts}).ok());
  EXPECT_TRUE(
      Access::OrderReader("orders:read").Check({.resource = "ord_1", .cart_token = "ct_one"}, {.carts = &carts}).ok());
}

TEST(OrderHolderAccessTest, AnotherCartsTokenIs404LikeAnUnknownOrder) {
  FakeCarts carts;
  Status other = Access::OrderHolder().Check({.resource = "ord_1", .cart_token = "ct_two"}, {.carts = &carts});
  Status unknown = Access::OrderHolder().Check({.resource = "ord_9", .cart_token = "ct_two"}, {.carts = &carts});
  Status reader =
      Access::OrderReader("orders:read").Check({.resource = "ord_1", .cart_token = "ct_two"}, {.carts = &carts});
  EXPECT_EQ(CodeOf(other), ErrorCode::kNotFound);
  EXPECT_EQ(ReasonOf(other), ReasonOf(unknown));
  EXPECT_EQ(ReasonOf(reader), ReasonOf(unknown));
}

TEST(OrderHolderAccessTest, WithoutCartsNoTokenOpensAnything) {
  EXPECT_EQ(CodeOf(Access::OrderHolder().Check({.resource = "ord_1", .cart_token = "ct_one"}, {})),
            ErrorCode::kNotFound);
}

// --- Webhook signatures ---

TEST(WebhookSignatureTest, AGoodSignatureWithinToleranceVerifies) {
  std::string body = R"({"type":"payment.captured"})";
  std::string header = SignWebhook(body, kSecret, UnixSeconds(kNow) - 10);
  EXPECT_TRUE(VerifyWebhookSignature(header, body, kSecret, kNow).ok());
}

TEST(WebhookSignatureTest, AChangedBodyOrAnotherSecretFails) {
  std::string header = SignWebhook("{\"amount\":100}", kSecret, UnixSeconds(kNow));
  EXPECT_EQ(ReasonOf(VerifyWebhookSignature(header, "{\"amount\":999}", kSecret, kNow)),
            "invalid_signature");
  EXPECT_EQ(ReasonOf(VerifyWebhookSignature(header, "{\"amount\":100}", "other", kNow)),
            "invalid_signature");
}

TEST(WebhookSignatureTest, AStaleTimeFailsEvenWithTheRightSignature) {
  std::string body = "{}";
  std::string stale = SignWebhook(body, kSecret, UnixSeconds(kNow) - 301);
  std::string future = SignWebhook(body, kSecret, UnixSeconds(kNow) + 301);
  EXPECT_FALSE(VerifyWebhookSignature(stale, body, kSecret, kNow).ok());
  EXPECT_FALSE(VerifyWebhookSignature(future, body, kSecret, kNow).ok());
  EXPECT_TRUE(VerifyWebhookSignature(SignWebhook(body, kSecret, UnixSeconds(kNow) - 300), body,
                                     kSecret, kNow)
                  .ok());
}

TEST(WebhookSignatureTest, AReplayOutsideTheToleranceFails) {
  std::string body = R"({"id":"evt_1"})";
  std::string header = SignWebhook(body, kSecret, UnixSeconds(kNow));
  ASSERT_TRUE(VerifyWebhookSignature(header, body, kSecret, kNow).ok());
  EXPECT_FALSE(VerifyWebhookSignature(header, body, kSecret, kNow + 301s).ok());
}

TEST(WebhookSignatureTest, MalformedHeadersFail) {
  std::string body = "{}";
  std::string good = SignWebhook(body, kSecret, UnixSeconds(kNow));
  std::string v1 = good.substr(good.find("v1="));
  std::string t = good.substr(0, good.find(','));
  for (const std::string& header : {std::string(), std::string("garbage"), v1, t,
                                    t + ",v1=zz" + v1.substr(5), t + ",v1=" + v1.substr(3, 10),
                                    "t=abc," + v1, t + "," + t + "," + v1, std::string("t=,v1=")}) {
    Status s = VerifyWebhookSignature(header, body, kSecret, kNow);
    EXPECT_EQ(ReasonOf(s), "invalid_signature") << "'" << header << "'";
  }
}

TEST(WebhookSignatureTest, AnyOfSeveralSignaturesMayMatchDuringSecretRotation) {
  std::string body = "{}";
  std::string good = SignWebhook(body, kSecret, UnixSeconds(kNow));
  std::string t = good.substr(0, good.find(','));
  std::string header = t + ",v1=" + std::string(64, '0') + "," + good.substr(good.find("v1="));
  EXPECT_TRUE(VerifyWebhookSignature(header, body, kSecret, kNow).ok());
}

TEST(WebhookAccessTest, TheGatewaysSecretIsUsedAndUnknownGatewaysAre404) {
  WebhookSecrets secrets = {{"test", kSecret}};
  std::string body = "{}";
  std::string header = SignWebhook(body, kSecret, UnixSeconds(kNow));
  Access access = Access::Webhook();
  EXPECT_TRUE(access
                  .Check({.resource = "test", .signature = header, .body = body, .now = kNow},
                         {.webhook_secrets = &secrets})
                  .ok());
  EXPECT_EQ(
      CodeOf(access.Check({.resource = "other", .signature = header, .body = body, .now = kNow},
                          {.webhook_secrets = &secrets})),
      ErrorCode::kNotFound);
  EXPECT_EQ(CodeOf(access.Check({.resource = "test", .body = body, .now = kNow},
                                {.webhook_secrets = &secrets})),
            ErrorCode::kUnauthenticated);
}

// --- Client addresses ---

TEST(TrustedProxiesTest, ForwardedForIsIgnoredFromAnUntrustedPeer) {
  auto proxies = TrustedProxies::Parse({"10.0.0.0/8"});
  ASSERT_TRUE(proxies.ok());
  EXPECT_EQ(proxies->ClientAddress("203.0.113.9", "198.51.100.1"), "203.0.113.9");
}

TEST(TrustedProxiesTest, TheFirstUntrustedAddressFromTheRightIsTheClient) {
  auto proxies = TrustedProxies::Parse({"10.0.0.0/8", "::1/128"});
  ASSERT_TRUE(proxies.ok());
  // The client wrote the leftmost entry itself; it proves nothing.
  EXPECT_EQ(proxies->ClientAddress("10.1.2.3", "1.2.3.4, 198.51.100.7, 10.9.9.9"), "198.51.100.7");
  EXPECT_EQ(proxies->ClientAddress("::1", "2001:db8::5"), "2001:db8::5");
  EXPECT_EQ(proxies->ClientAddress("10.1.2.3", ""), "10.1.2.3");
  EXPECT_EQ(proxies->ClientAddress("10.1.2.3", "10.0.0.1"), "10.1.2.3");
}

TEST(TrustedProxiesTest, RangesMatchByPrefixForBothFamilies) {
  auto v4 = IpRange::Parse("192.168.4.0/22");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->Contains("192.168.7.255"));
  EXPECT_FALSE(v4->Contains("192.168.8.0"));
  EXPECT_TRUE(v4->Contains("::ffff:192.168.5.1"));
  auto v6 = IpRange::Parse("2001:db8::/32");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains("2001:db8:ffff::1"));
  EXPECT_FALSE(v6->Contains("2001:db9::1"));
  EXPECT_FALSE(IpRange::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(IpRange::Parse("proxy.internal").ok());
  EXPECT_FALSE(TrustedProxies::Parse({"10.0.0.0/8", "nonsense"}).ok());
}

// --- Rate limit ---

TEST(RateLimiterTest, ABurstOfTheRateIsAllowedThenRetryAfterIsGiven) {
  RateLimiter limiter(3);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Take("key_1", kNow)) << i;
  auto wait = limiter.Take("key_1", kNow);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1s);
  EXPECT_FALSE(limiter.Take("key_2", kNow));          // every token has its own bucket
  EXPECT_FALSE(limiter.Take("key_1", kNow + 400ms));  // refilled one
}

TEST(RateLimiterTest, ZeroMeansNoLimit) {
  RateLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.Take("key_1", kNow));
}

// --- Strict bodies ---

TEST(JsonInputTest, UnknownAndServerOwnedMembersAreNamed) {
  nlohmann::json body = {{"name", "A"}, {"colour", "red"}};
  Status unknown = OnlyFields(body, {"name"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason, "unknown_field");
  EXPECT_EQ(unknown.error().fields.at(0).field, "colour");

  Status owned = OnlyFields({{"name", "A"}, {"customer_id", "cus_B"}}, {"name"});
  ASSERT_FALSE(owned.ok());
  EXPECT_EQ(owned.error().reason, "read_only_field");
  EXPECT_EQ(owned.error().fields.at(0).field, "customer_id");
  EXPECT_TRUE(OnlyFields({{"name", "A"}}, {"name", "email"}).ok());
  EXPECT_FALSE(OnlyFields(nlohmann::json::array(), {"name"}).ok());
}

}  // namespace
}  // namespace ecom::daemon
