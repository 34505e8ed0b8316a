// Idempotency: one key and body replayed 100 times (50 at once, spread over
// the replicas) make one order and one capture, and every 201 is the same
// bytes; the same key with another body is 422; the same key in another
// caller's scope is that caller's own.
#include <latch>
#include <set>
#include <thread>

#include "checks.h"

namespace ecom::reliability {
namespace {

constexpr int kBurst = 50;
constexpr int kSequential = 50;

}  // namespace

void RunIdempotency(Context& ctx, const std::string& store) {
  const std::string check = "idempotency";
  auto fail = [&](const std::string& m) { ctx.violations.Add(check, store, m); };
  auto started = Clock::now();
  Cluster cluster(store, "idem", ReplicasFor(store));
  if (!StartOrReport(ctx, cluster, check, store, started)) return;
  std::string error;
  const std::string sku = "IDEM-1";
  std::int64_t requests = 0;
  if (!cluster.CreateProduct(sku, 2500, "", 0, &error) || !cluster.Receive(sku, 100000, 0, &error)) {
    fail("setup: " + error);
    cluster.Finish(ctx.options.keep);
    return;
  }
  requests += 2;

  // A registered customer, through the API.
  std::string email = Fmt("rel-%d-%lld@example.com", ::getpid(), (long long)ctx.Random(1000000000));
  std::string password = "correct horse battery staple";
  Http reg = Send(cluster.port(0), "POST", "/v1/auth/register", {},
                  json{{"email", email}, {"password", password}, {"name", "Reliability Customer"}});
  Http login = Send(cluster.port(1), "POST", "/v1/auth/login", {}, json{{"email", email}, {"password", password}});
  requests += 2;
  std::string customer_token = login.status == 200 ? login.j.value("token", "") : "";
  if (reg.status != 201 || customer_token.empty())
    fail("setup: register " + reg.Describe() + ", login " + login.Describe() + " " + login.body.substr(0, 200));

  std::int64_t created = 0, busy = 0, replays = 0, identical = 0, mismatches = 0, own_orders = 0;
  std::int64_t one_order = 0, one_capture = 0;
  int rounds_done = 0;
  for (int round = 1; round <= ctx.options.rounds; ++round) {
    std::string key = Fmt("same-key-%d", round);
    std::string where = Fmt("round %d: ", round);
    std::string err;
    auto cart = cluster.NewGuestCart({{sku, 1}}, round, &err);
    requests += 2;
    if (!cart) {
      fail("setup: " + err);
      continue;
    }
    json body = CheckoutBody();

    // 50 at once, then 50 one after another.
    std::vector<Http> burst(kBurst);
    {
      std::latch go(1);
      std::vector<std::thread> threads;
      for (int i = 0; i < kBurst; ++i)
        threads.emplace_back([&, i] {
          go.wait();
          burst[i] = cluster.Checkout(*cart, key, body, i);
        });
      go.count_down();
      for (auto& t : threads) t.join();
    }
    requests += kBurst;
    std::string first;
    int burst_created = 0, burst_replayed = 0;
    for (const auto& a : burst) {
      if (a.status == 201) {
        ++created;
        ++burst_created;
        if (a.Header("Idempotent-Replayed") == "true") ++burst_replayed;
        if (first.empty()) first = a.body;
        if (a.body == first) ++identical;
        else fail(where + "two 201 answers to one key differ:\n    " + first.substr(0, 200) + "\n    " + a.body.substr(0, 200));
      } else if (a.status == 409 && a.Reason() == "idempotency_key_in_use") {
        ++busy;
      } else {
        fail(where + "concurrent replay answered " + a.Describe() + ": " + a.body.substr(0, 300));
      }
    }
    if (burst_created == 0) fail(where + "no 201 among the concurrent burst");
    else if (burst_replayed != burst_created - 1)
      fail(Fmt("round %d: %d of the burst's %d 201s say Idempotent-Replayed; expected all but the first", round,
               burst_replayed, burst_created));
    for (int i = 0; i < kSequential; ++i) {
      Http a = cluster.Checkout(*cart, key, body, i);
      ++requests;
      if (a.status != 201) {
        fail(where + "sequential replay answered " + a.Describe() + " (only the concurrent burst may see 409)");
        continue;
      }
      ++created;
      ++replays;
      if (first.empty()) first = a.body;
      if (a.body == first) ++identical;
      else fail(where + "a replayed 201 differs from the first:\n    " + first.substr(0, 200) + "\n    " + a.body.substr(0, 200));
      if (a.Header("Idempotent-Replayed") != "true") fail(where + "a sequential replay lacks Idempotent-Replayed: true");
    }
    if (first.empty()) continue;
    std::string order = json::parse(first)["order"].value("id", "");

    // The store: one order for the cart, one payment, one capture at the gateway.
    std::int64_t orders = QueryInt(cluster.db(), "SELECT COUNT(*) FROM orders WHERE cart_id = $1",
                                   {std::string_view(cart->id)});
    std::int64_t payments = QueryInt(cluster.db(), "SELECT COUNT(*) FROM payments WHERE order_id = $1",
                                     {std::string_view(order)});
    std::int64_t captures = QueryInt(cluster.db(),
                                     "SELECT COUNT(*) FROM test_gateway_charges WHERE order_id = $1 AND state = 'captured'",
                                     {std::string_view(order)});
    std::int64_t charges = QueryInt(cluster.db(), "SELECT COUNT(*) FROM test_gateway_charges WHERE order_id = $1",
                                    {std::string_view(order)});
    if (orders == 1) ++one_order;
    else fail(Fmt("round %d: %lld orders for one key", round, (long long)orders));
    if (captures == 1 && charges == 1 && payments == 1) ++one_capture;
    else
      fail(Fmt("round %d: order %s has %lld payments, %lld charges, %lld captures at the gateway", round, order.c_str(),
               (long long)payments, (long long)charges, (long long)captures));

    // The same key with another body.
    json other = body;
    other["email"] = "someone.else@example.com";
    Http mismatch = cluster.Checkout(*cart, key, other, round);
    ++requests;
    if (mismatch.status == 422 && mismatch.Reason() == "idempotency_key_reused") ++mismatches;
    else fail(where + "the same key with another body answered " + mismatch.Describe() + ", expected 422");
    Http again = cluster.Checkout(*cart, key, body, round + 1);
    ++requests;
    if (again.status != 201 || again.body != first)
      fail(where + "after the 422, the first body answered " + again.Describe() + (again.body == first ? "" : " (other bytes)"));

    // Another guest (its own cart token is its scope) and a customer, same key.
    std::set<std::string> seen = {order};
    auto other_guest = cluster.NewGuestCart({{sku, 1}}, round + 2, &err);
    requests += 2;
    if (!other_guest) {
      fail("setup: " + err);
    } else {
      Http theirs = cluster.Checkout(*other_guest, key, body, round + 2);
      ++requests;
      std::string id = theirs.status == 201 ? theirs.j["order"].value("id", "") : "";
      if (theirs.status == 201 && seen.insert(id).second) ++own_orders;
      else fail(where + "another guest with the same key answered " + theirs.Describe() + " order " + id);
    }
    if (!customer_token.empty()) {
      httplib::Headers auth = {{"Authorization", "Bearer " + customer_token}};
      Http c = Send(cluster.port(round), "POST", "/v1/carts", auth, json::object());
      std::string cart_id = c.status == 201 ? c.j["cart"].value("id", "") : "";
      Http add = Send(cluster.port(round), "POST", "/v1/carts/" + cart_id + "/items", auth, json{{"sku", sku}, {"quantity", 1}});
      httplib::Headers h = auth;
      h.emplace("Idempotency-Key", key);
      Http theirs = Send(cluster.port(round + 1), "POST", "/v1/carts/" + cart_id + "/checkout", h, body);
      requests += 3;
      std::string id = theirs.status == 201 ? theirs.j["order"].value("id", "") : "";
      if (c.status != 201 || add.status != 201) fail("setup: customer cart " + c.Describe() + " / " + add.Describe());
      else if (theirs.status == 201 && seen.insert(id).second) ++own_orders;
      else fail(where + "a customer with the same key answered " + theirs.Describe() + " order " + id);
    }
    for (const auto& v : DoubleCaptureViolations(cluster.db())) fail(v);
    ++rounds_done;
  }
  for (const auto& v : StockViolations(ReadVariants(cluster.db()))) fail(v);
  for (const auto& v : ReservationOwnerViolations(cluster.db())) fail(v);

  int bad = ctx.violations.Count(check, store);
  ctx.report.Add(
      {check, store, rounds_done, requests,
       Fmt("201: %lld (%lld sequential replays), 409 in_use (burst only): %lld, 422 other body: %lld/%d", (long long)created,
           (long long)replays, (long long)busy, (long long)mismatches, rounds_done),
       Fmt("one order per key %lld/%d; one capture per key %lld/%d; identical 201 bodies %lld/%lld; other scopes "
           "got own orders %lld/%d",
           (long long)one_order, rounds_done, (long long)one_capture, rounds_done, (long long)identical,
           (long long)created, (long long)own_orders, rounds_done * (customer_token.empty() ? 1 : 2)),
       Seconds(started), bad});
  cluster.Finish(ctx.options.keep);
}

}  // namespace ecom::reliability
