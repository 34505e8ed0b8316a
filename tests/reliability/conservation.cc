// Conservation: four workers run a long random mix of checkouts (reserve),
// cancels (release or return), fulfilments (sell), refunds with restock and
// stock adjustments (+/-) over 20 SKUs, some of them `continue` policy
// (backorders allowed), while a sampler reads the store at intervals and
// asserts at every sample: on_hand == SUM(ledger delta) and reserved ==
// SUM(reservations) per variant, and for deny-policy SKUs no term negative;
// through the API, available == on_hand - reserved. Between rounds, with the
// workers stopped: reservations belong only to orders waiting to ship, and
// the gateway's money equals the orders' (captured, refunded).
#include <map>
#include <thread>

#include "checks.h"

namespace ecom::reliability {
namespace {

using namespace std::chrono_literals;

constexpr int kSkus = 20;
constexpr int kContinueSkus = 5;  // the last five
constexpr int kWorkers = 4;
constexpr auto kRoundLength = 5s;

std::string Sku(int i) { return Fmt("CV-%02d", i); }
bool Continues(int i) { return i >= kSkus - kContinueSkus; }

struct PooledOrder {
  std::string id;
  std::string status;  // confirmed or fulfilled
  bool refunded = false;
  std::vector<std::pair<std::string, std::int64_t>> lines;
};

struct Ops {
  std::atomic<std::int64_t> requests{0}, checkout_ok{0}, checkout_short{0}, fulfil{0}, cancel{0}, refund{0},
      adjust_ok{0}, adjust_refused{0}, unexpected{0};
  std::atomic<std::int64_t> samples{0}, api_samples{0}, sample_violations{0};
};

}  // namespace

void RunConservation(Context& ctx, const std::string& store) {
  const std::string check = "conservation";
  auto fail = [&](const std::string& m) { ctx.violations.Add(check, store, m); };
  auto started = Clock::now();
  Cluster cluster(store, "conserve", ReplicasFor(store));
  if (!StartOrReport(ctx, cluster, check, store, started)) return;
  std::string error;
  for (int i = 0; i < kSkus; ++i)
    if (!cluster.CreateProduct(Sku(i), 500 + 100 * i, Continues(i) ? "continue" : "deny", i, &error) ||
        !cluster.Receive(Sku(i), Continues(i) ? 10 : 40, i, &error)) {
      fail("setup: " + error);
      cluster.Finish(ctx.options.keep);
      return;
    }
  {  // The policy must have reached the store, or the check proves less than it says.
    std::int64_t backorder = QueryInt(cluster.db(), "SELECT COUNT(*) FROM inventory_levels WHERE allow_backorder = 1");
    if (backorder != kContinueSkus)
      fail(Fmt("setup: %lld variants allow backorders, expected %d", (long long)backorder, kContinueSkus));
  }

  Ops ops;
  std::mutex pool_mu;
  std::vector<PooledOrder> pool;
  const std::string admin = "Bearer " + cluster.admin_key();
  auto take = [&](auto pred) -> std::optional<PooledOrder> {
    std::lock_guard lock(pool_mu);
    std::vector<std::size_t> fit;
    for (std::size_t i = 0; i < pool.size(); ++i)
      if (pred(pool[i])) fit.push_back(i);
    if (fit.empty()) return std::nullopt;
    std::size_t i = fit[ctx.Random(fit.size())];
    PooledOrder o = std::move(pool[i]);
    pool[i] = std::move(pool.back());
    pool.pop_back();
    return o;
  };
  auto give_back = [&](PooledOrder o) {
    std::lock_guard lock(pool_mu);
    pool.push_back(std::move(o));
  };
  auto unexpected = [&](const std::string& what, const Http& r) {
    ops.unexpected++;
    fail(what + " answered " + r.Describe() + ": " + r.body.substr(0, 300));
  };

  auto worker = [&](int id, const std::atomic<bool>& stop) {
    int via = id;
    while (!stop) {
      via++;
      std::uint64_t dice = ctx.Random(100);
      std::optional<PooledOrder> order;
      if (dice >= 35 && dice < 50) order = take([](const PooledOrder& o) { return o.status == "confirmed"; });
      else if (dice >= 50 && dice < 62) order = take([](const PooledOrder&) { return true; });
      else if (dice >= 62 && dice < 75) order = take([](const PooledOrder& o) { return !o.refunded; });
      if (dice < 35 || (dice < 75 && !order)) {
        // Checkout: 1 to 3 distinct SKUs, 1 to 3 units each.
        std::map<std::string, std::int64_t> want;
        int lines = 1 + static_cast<int>(ctx.Random(3));
        for (int l = 0; l < lines; ++l) want[Sku(static_cast<int>(ctx.Random(kSkus)))] = 1 + static_cast<std::int64_t>(ctx.Random(3));
        std::vector<std::pair<std::string, std::int64_t>> cart_lines(want.begin(), want.end());
        std::string err;
        auto cart = cluster.NewGuestCart(cart_lines, via, &err);
        ops.requests += 1 + static_cast<std::int64_t>(cart_lines.size());
        if (!cart) {
          // A cart refuses more than is available now: that is a short checkout.
          if (err.find("409 insufficient_stock") != std::string::npos) {
            ops.checkout_short++;
          } else {
            ops.unexpected++;
            fail("cart: " + err);
          }
          continue;
        }
        Http r = cluster.Checkout(*cart, NewKey("cv"), CheckoutBody(), via);
        ops.requests++;
        if (r.status == 201) {
          ops.checkout_ok++;
          give_back({r.j["order"].value("id", ""), "confirmed", false, cart_lines});
        } else if (r.status == 409 && r.Reason() == "insufficient_stock") {
          ops.checkout_short++;
        } else {
          unexpected("checkout", r);
        }
      } else if (dice < 50) {
        Http r = Send(cluster.port(via), "POST", "/v1/orders/" + order->id + "/fulfil",
                      {{"Authorization", admin}, {"Idempotency-Key", NewKey("fulfil")}}, json::object());
        ops.requests++;
        if (r.status == 200 && r.j.value("status", "") == "fulfilled") {
          ops.fulfil++;
          order->status = "fulfilled";
          give_back(std::move(*order));
        } else {
          unexpected("fulfil of a confirmed order", r);
        }
      } else if (dice < 62) {
        Http r = Send(cluster.port(via), "POST", "/v1/orders/" + order->id + "/cancel",
                      {{"Authorization", admin}, {"Idempotency-Key", NewKey("cancel")}}, json{{"reason", "reliability"}});
        ops.requests++;
        if (r.status == 200 && r.j["order"].value("status", "") == "cancelled") ops.cancel++;
        else unexpected("cancel of a " + order->status + " order", r);
      } else if (dice < 75) {
        // The whole refund, restocking part or all of one line.
        const auto& line = order->lines[ctx.Random(order->lines.size())];
        std::int64_t restock = 1 + static_cast<std::int64_t>(ctx.Random(static_cast<std::uint64_t>(line.second)));
        Http r = Send(cluster.port(via), "POST", "/v1/orders/" + order->id + "/refunds",
                      {{"Authorization", admin}, {"Idempotency-Key", NewKey("refund")}},
                      json{{"reason", "reliability"},
                           {"restock", json::array({{{"sku", line.first}, {"quantity", restock}}})}});
        ops.requests++;
        if (r.status == 201 && r.j["refund"].value("status", "") == "succeeded") {
          ops.refund++;
          order->refunded = true;
          give_back(std::move(*order));
        } else {
          unexpected(Fmt("refund restocking %s of %lld x %s of a %s order", restock == line.second ? "all" : "part",
                         (long long)line.second, line.first.c_str(), order->status.c_str()),
                     r);
        }
      } else {
        int i = static_cast<int>(ctx.Random(kSkus));
        std::int64_t delta = static_cast<std::int64_t>(ctx.Random(11)) - 4;
        if (delta == 0) delta = 3;
        Http r = Send(cluster.port(via), "POST", "/v1/inventory/" + Sku(i) + "/adjustments",
                      {{"Authorization", admin}, {"Idempotency-Key", NewKey("adj")}},
                      json{{"delta", delta}, {"reason", delta > 0 ? "received" : "damaged"}});
        ops.requests++;
        if (r.status == 201) ops.adjust_ok++;
        else if (r.status == 409 && !Continues(i) && delta < 0 &&
                 (r.Reason() == "reserved" || r.Reason() == "insufficient_stock"))
          ops.adjust_refused++;
        else unexpected(Fmt("adjustment %+lld of %s", (long long)delta, Sku(i).c_str()), r);
      }
    }
  };

  // The sampler: the store every ~50 ms in one statement; the API now and then.
  auto sampler = [&](const std::atomic<bool>& stop) {
    int n = 0;
    while (!stop) {
      try {
        auto variants = ReadVariants(cluster.db());
        ops.samples++;
        for (const auto& v : StockViolations(variants)) {
          ops.sample_violations++;
          fail(Fmt("sample %lld: ", (long long)ops.samples.load()) + v);
        }
      } catch (const std::exception& e) {
        fail(std::string("sample failed: ") + e.what());
      }
      if (++n % 4 == 0) {
        int i = static_cast<int>(ctx.Random(kSkus));
        Http r = Send(cluster.port(n), "GET", "/v1/inventory/" + Sku(i), {{"Authorization", admin}});
        if (r.status == 200) {
          ops.api_samples++;
          std::int64_t on_hand = r.j.value("on_hand", std::int64_t{0}), reserved = r.j.value("reserved", std::int64_t{0}),
                       available = r.j.value("available", std::int64_t{0});
          if (on_hand != available + reserved || (!Continues(i) && (on_hand < 0 || available < 0 || reserved < 0))) {
            ops.sample_violations++;
            fail(Fmt("API sample of %s: on_hand %lld, available %lld, reserved %lld", Sku(i).c_str(), (long long)on_hand,
                     (long long)available, (long long)reserved));
          }
        } else {
          fail("GET /v1/inventory/" + Sku(i) + " answered " + r.Describe());
        }
      }
      std::this_thread::sleep_for(50ms);
    }
  };

  std::int64_t quiet_issues = 0;
  int rounds_done = 0;
  for (int round = 1; round <= ctx.options.rounds; ++round) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) threads.emplace_back([&, w] { worker(w, stop); });
    threads.emplace_back([&] { sampler(stop); });
    std::this_thread::sleep_for(kRoundLength);
    stop = true;
    for (auto& t : threads) t.join();

    // Quiet: the stronger equations.
    store::Database& db = cluster.db();
    std::vector<std::string> found = StockViolations(ReadVariants(db));
    for (auto& v : ReservationOwnerViolations(db)) found.push_back(std::move(v));
    for (auto& v : DoubleCaptureViolations(db)) found.push_back(std::move(v));
    if (QueryInt(db, "SELECT COUNT(*) FROM refunds WHERE status = 'pending'") == 0 &&
        QueryInt(db, "SELECT COUNT(*) FROM payments WHERE status IN ('pending', 'unknown')") == 0) {
      auto tx = db.Begin(store::TxMode::kRead);
      auto r = tx->Query(
          "SELECT o.id, o.amount_captured, o.amount_refunded, "
          "(SELECT COALESCE(SUM(c.amount), 0) FROM test_gateway_charges c WHERE c.order_id = o.id AND c.state = 'captured'), "
          "(SELECT COALESCE(SUM(c.refunded), 0) FROM test_gateway_charges c WHERE c.order_id = o.id) "
          "FROM orders o");
      while (r->Next())
        if (r->Int(1) != r->Int(3) || r->Int(2) != r->Int(4))
          found.push_back(Fmt("order %s: captured %lld refunded %lld, but the gateway holds captured %lld refunded %lld",
                              r->Text(0).c_str(), (long long)r->Int(1), (long long)r->Int(2), (long long)r->Int(3),
                              (long long)r->Int(4)));
    }
    for (const auto& v : found) {
      ++quiet_issues;
      fail(Fmt("round %d (quiet): ", round) + v);
    }
    ++rounds_done;
    std::printf("  conservation %s round %d/%d: %lld ops, %lld samples\n", store.c_str(), round, ctx.options.rounds,
                (long long)ops.requests.load(), (long long)(ops.samples + ops.api_samples));
    std::fflush(stdout);
  }

  std::int64_t ledger_rows = QueryInt(cluster.db(), "SELECT COUNT(*) FROM stock_ledger");
  std::int64_t negative_continue =
      QueryInt(cluster.db(), "SELECT COUNT(*) FROM inventory_levels WHERE allow_backorder = 1 AND on_hand - reserved < 0");
  int bad = ctx.violations.Count(check, store);
  ctx.report.Add(
      {check, store, rounds_done, ops.requests,
       Fmt("checkout 201: %lld / 409 short: %lld, fulfil: %lld, cancel: %lld, refund+restock: %lld, adjust ok: %lld / "
           "409 refused: %lld, unexpected: %lld",
           (long long)ops.checkout_ok.load(), (long long)ops.checkout_short.load(), (long long)ops.fulfil.load(),
           (long long)ops.cancel.load(), (long long)ops.refund.load(), (long long)ops.adjust_ok.load(),
           (long long)ops.adjust_refused.load(), (long long)ops.unexpected.load()),
       Fmt("%lld store samples + %lld API samples, %lld broke an equation; %lld issues when quiet; %lld ledger rows; "
           "%lld continue-policy SKUs oversold at the end (allowed)",
           (long long)ops.samples.load(), (long long)ops.api_samples.load(), (long long)ops.sample_violations.load(),
           (long long)quiet_issues, (long long)ledger_rows, (long long)negative_continue),
       Seconds(started), bad});
  cluster.Finish(ctx.options.keep);
}

}  // namespace ecom::reliability
