// Cross-cutting HTTP behaviour: authentication, errors as problem+json,
// routing, request ids, limits, health, metrics.
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class HttpApiTest : public DaemonTest {};

TEST_P(HttpApiTest, ProtectedRouteWithoutTokenIs401WithBearerChallenge) {
  Response r = Post("/v1/products", ProductBody("X", "X-1", 1), "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), R"(Bearer realm="ecom")");
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.json["type"], "https://ecom.dev/problems/unauthenticated");
  EXPECT_EQ(r.json["status"], 401);
  EXPECT_TRUE(r.json["title"].is_string());
  EXPECT_TRUE(r.json["detail"].is_string());
}

TEST_P(HttpApiTest, UnknownTokenIs401InvalidToken) {
  Response r = Post("/v1/products", ProductBody("X", "X-1", 1), "ek_not_a_real_key");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("WWW-Authenticate"), R"(Bearer realm="ecom", error="invalid_token")");
  EXPECT_EQ(r.json["reason"], "invalid_token");
  // A bad token is refused on public routes too, rather than silently ignored.
  EXPECT_EQ(Get("/v1/products", "ek_not_a_real_key").status, 401);
}

TEST_P(HttpApiTest, RevokedKeyIs401) {
  std::string key = NewKey({"catalog:write"});
  ASSERT_EQ(Post("/v1/categories", {{"name", "Before"}}, key).status, 201);
  auto listed = api_keys().List();
  ASSERT_TRUE(listed.ok());
  std::string id;
  for (const auto& k : *listed)
    if (k.prefix.size() && key.rfind(k.prefix, 0) == 0 && !k.revoked_at) id = k.id;
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(api_keys().Revoke(id).ok());
  EXPECT_EQ(Post("/v1/categories", {{"name", "After"}}, key).status, 401);
}

TEST_P(HttpApiTest, KeyWithoutTheScopeIs403InsufficientScope) {
  Response r = Post("/v1/products", ProductBody("X", "X-1", 1), catalog_read_key_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json["reason"], "insufficient_scope");
  EXPECT_EQ(r.Header("WWW-Authenticate"),
            R"(Bearer error="insufficient_scope", scope="catalog:write")");
}

TEST_P(HttpApiTest, AdminKeyHoldsEveryScope) {
  EXPECT_EQ(Post("/v1/products", ProductBody("X", "X-1", 1), admin_key_).status, 201);
  EXPECT_EQ(Get("/v1/inventory/X-1", admin_key_).status, 200);
  EXPECT_EQ(Get("/v1/products?status=active", admin_key_).status, 200);
}

TEST_P(HttpApiTest, TokensInTheQueryStringAreRefusedWith400) {
  Response r = Send({.method = "POST",
                     .path = "/v1/categories?access_token=" + admin_key_,
                     .json = json{{"name", "Q"}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["reason"], "token_in_url");
  // Refused even alongside a good header: the URL has already leaked it.
  Response both =
      Send({.method = "GET", .path = "/v1/categories?access_token=x", .token = admin_key_});
  EXPECT_EQ(both.status, 400);
}

TEST_P(HttpApiTest, UnknownPathIs404Problem) {
  Response r = Get("/v2/whatever");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.json["status"], 404);
}

TEST_P(HttpApiTest, KnownPathWithAnotherMethodIs405WithAllow) {
  Response r = Delete("/v1/products", admin_key_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("Allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(r.json["reason"], "method_not_allowed");

  Response options = Send({.method = "OPTIONS", .path = "/v1/categories"});
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.Header("Allow"), "GET, HEAD, POST, OPTIONS");
}

TEST_P(HttpApiTest, HeadAnswersLikeGetWithoutABody) {
  Response r = Send({.method = "HEAD", .path = "/healthz"});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
}

TEST_P(HttpApiTest, InvalidJsonIs400InvalidJson) {
  Response r = Send(
      {.method = "POST", .path = "/v1/products", .token = admin_key_, .raw_body = "{\"title\": "});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["type"], "https://ecom.dev/problems/invalid-json");

  Response empty =
      Send({.method = "POST", .path = "/v1/categories", .token = admin_key_, .raw_body = ""});
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.json["reason"], "invalid_json");
}

TEST_P(HttpApiTest, DeeplyNestedJsonIsRefused) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Response r =
      Send({.method = "POST", .path = "/v1/categories", .token = admin_key_, .raw_body = deep});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["reason"], "invalid_json");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_P(HttpApiTest, BodyThatIsNotJsonIs415) {
  Response r = Send({.method = "POST",
                     .path = "/v1/categories",
                     .token = admin_key_,
                     .raw_body = "name=x",
                     .content_type = "application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.json["reason"], "unsupported_media_type");
}

TEST_P(HttpApiTest, BodyLargerThanTheLimitIs413Problem) {
  std::string big = "{\"title\": \"" + std::string(2 << 20, 'x') + "\"}";
  Response r =
      Send({.method = "POST", .path = "/v1/products", .token = admin_key_, .raw_body = big});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.json["reason"], "payload_too_large");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_P(HttpApiTest, AbsurdLimitsAre400NamingLimit) {
  CreateProduct(ProductBody("X", "X-1", 1));
  for (const std::string limit :
       {"0", "-1", "251", "100000", "abc", "1.5", "", "99999999999999999999"}) {
    for (const std::string path : {"/v1/products?limit=", "/v1/inventory/X-1/history?limit="}) {
      Response r = Get(path + limit, admin_key_);
      EXPECT_EQ(r.status, 400) << path << limit;
      ASSERT_TRUE(r.json["errors"].is_array()) << r.body;
      EXPECT_EQ(r.json["errors"][0]["field"], "limit") << path << limit;
    }
  }
  EXPECT_EQ(Get("/v1/products?limit=250").status, 200);
}

TEST_P(HttpApiTest, BadQueryValuesAre400NamingTheParameter) {
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{{"price_min=cheap", "price_min"},
                                                        {"price_max=-5", "price_max"},
                                                        {"sort=random", "sort"},
                                                        {"cursor=garbage", "cursor"}}) {
    Response r = Get("/v1/products?" + query);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.json["errors"][0]["field"], field) << query << ": " << r.body;
  }
}

TEST_P(HttpApiTest, RequestIdIsEchoedWhenSaneAndMadeOtherwise) {
  Request r{.path = "/healthz"};
  r.headers.emplace("X-Request-Id", "trace-42.abc");
  EXPECT_EQ(Send(r).Header("X-Request-Id"), "trace-42.abc");

  Request odd{.path = "/healthz"};
  odd.headers.emplace("X-Request-Id", "<script>");
  std::string made = Send(odd).Header("X-Request-Id");
  EXPECT_EQ(made.rfind("req_", 0), 0u) << made;
}

TEST_P(HttpApiTest, AccessLogHasOneLinePerRequestAndNoSecrets) {
  Request r{.method = "POST",
            .path = "/v1/categories",
            .token = admin_key_,
            .json = json{{"name", "Logged Secretly"}}};
  r.headers.emplace("X-Request-Id", "log-test-1");
  ASSERT_EQ(Send(r).status, 201);
  // A raw byte that is not UTF-8 in the path still makes a JSON line.
  Request bad{.path = "/v1/categories/caf\xe9"};
  bad.headers.emplace("X-Request-Id", "log-test-2");
  EXPECT_EQ(Send(bad).status, 404);  // on both stores: PostgreSQL once answered 500
  ASSERT_EQ(StopDaemon(), 0);
  std::string log = DaemonLog();
  EXPECT_EQ(log.find(admin_key_), std::string::npos) << "the API key was logged";
  EXPECT_EQ(log.find("Logged Secretly"), std::string::npos) << "the request body was logged";
  bool found = false, found_bad = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
    if (j["msg"] == "request" && j["request_id"] == "log-test-1") {
      found = true;
      EXPECT_EQ(j["method"], "POST");
      EXPECT_EQ(j["route"], "/v1/categories");
      EXPECT_EQ(j["path"], "/v1/categories");
      EXPECT_EQ(j["status"], 201);
      EXPECT_TRUE(j["duration_ms"].is_number());
      EXPECT_GT(j["bytes"].get<int>(), 0);
      std::vector<std::string> keys;
      auto ordered = nlohmann::ordered_json::parse(line);
      for (const auto& [key, value] : ordered.items()) keys.push_back(key);
      EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "msg", "method", "route", "path", "status",
                                                "duration_ms", "request_id", "bytes"}));
    }
    if (j["msg"] == "request" && j["request_id"] == "log-test-2") {
      found_bad = true;
      EXPECT_EQ(j["path"], "/v1/categories/caf\xef\xbf\xbd");  // U+FFFD for the bad byte
      EXPECT_EQ(j["status"], 404);
    }
  }
  EXPECT_TRUE(found) << log;
  EXPECT_TRUE(found_bad) << log;
}

// Request lines are buffered, not held: one reaches the log within about a
// second while the daemon keeps running, without a shutdown to flush it.
TEST_P(HttpApiTest, RequestLinesReachTheLogWhileTheDaemonRuns) {
  Request r{.path = "/healthz"};
  r.headers.emplace("X-Request-Id", "log-live-1");
  ASSERT_EQ(Send(r).status, 200);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool found = false;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    found = DaemonLog().find("\"request_id\":\"log-live-1\"") != std::string::npos;
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(found) << DaemonLog();
}

// Bytes that are not UTF-8 in a path or a query are the client's mistake:
// 404 or 400 on both stores, never a 500 from PostgreSQL refusing them.
TEST_P(HttpApiTest, PathsAndQueriesThatAreNotUtf8AreRefusedNotFailed) {
  EXPECT_EQ(Get("/v1/products/caf%E9").status, 404);
  EXPECT_EQ(Get("/v1/carts/cart_%FF").status, 404);
  Response search = Get("/v1/products?q=caf%E9");
  EXPECT_EQ(search.status, 400) << search.body;
  EXPECT_EQ(search.json["errors"][0]["field"], "q") << search.body;
  EXPECT_EQ(Get("/v1/products?q=caf%C3%A9").status, 200);  // the same word, encoded right
}

TEST_P(HttpApiTest, HealthzAndReadyz) {
  Response health = Get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json, json({{"status", "ok"}}));
  Response ready = Get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json["status"], "ready");
}

TEST_P(HttpApiTest, ReadyzIs503WhenTheSchemaIsBehindThisBuild) {
  {
    auto tx = db().Begin(store::TxMode::kWrite);
    tx->Exec(
        "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM "
        "schema_migrations)");
    tx->Commit();
  }
  Response ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_EQ(ready.json["reason"], "not_ready");
  EXPECT_EQ(ready.json["checks"]["store"], "ok");
  EXPECT_NE(ready.json["checks"]["schema"], "ok");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_P(HttpApiTest, MetricsCountRequestsByRoutePattern) {
  json p = CreateProduct(ProductBody("Counted", "C-1", 1));
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(Get("/v1/products/" + p["id"].get<std::string>()).status, 200);
  ASSERT_EQ(Get("/v1/products/nothing-here").status, 404);

  // Requests are counted just after their response is written, so the last
  // one may land a moment after its client has the answer.
  const std::vector<std::string> expected = {
      R"(ecom_http_requests_total{method="GET",route="/v1/products/{id}",status="200"} 3)",
      R"(ecom_http_requests_total{method="GET",route="/v1/products/{id}",status="404"} 1)",
      R"(ecom_http_requests_total{method="POST",route="/v1/products",status="201"} 1)",
      R"(ecom_http_request_duration_seconds_count{route="/v1/products/{id}"} 4)",
      R"(ecom_http_request_duration_seconds_bucket{route="/v1/products/{id}",le="+Inf"} 4)",
      "# TYPE ecom_http_request_duration_seconds histogram"};
  Response metrics;
  for (int attempt = 0; attempt < 50; ++attempt) {
    metrics = Get("/metrics");
    bool all = true;
    for (const auto& line : expected) all = all && metrics.body.find(line) != std::string::npos;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  for (const auto& line : expected)
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  EXPECT_EQ(metrics.body.find("nothing-here"), std::string::npos)
      << "raw paths must not become labels";
}

TEST_P(HttpApiTest, ServesItsOpenApiDocument) {
  Response r = Get("/openapi.json");
  ASSERT_EQ(r.status, 200);
  std::ifstream in(SourcePath("docs/openapi.json"));
  ASSERT_TRUE(in) << "docs/openapi.json not found";
  EXPECT_EQ(r.json, json::parse(in));
}

INSTANTIATE_TEST_SUITE_P(Stores, HttpApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
