// Oversell: the last units go to at most as many buyers as there are units,
// with 200 guests checking out at once (across three ecomd on PostgreSQL).
#include <latch>
#include <map>
#include <thread>

#include "checks.h"

namespace ecom::reliability {
namespace {

constexpr int kBuyers = 200;
constexpr std::int64_t kScarce = 3;  // units of the second, scarce SKU
constexpr int kPrepThreads = 8;
constexpr std::int64_t kPlenty = 1000;  // stock while the carts are filled

struct Buyer {
  std::int64_t qty = 1;  // of the contested SKU
  bool with_scarce = false;
  Cluster::Cart cart;
  Http answer;
};

}  // namespace

void RunOversell(Context& ctx, const std::string& store) {
  const std::string check = "oversell";
  auto fail = [&](const std::string& m) { ctx.violations.Add(check, store, m); };
  auto started = Clock::now();
  Cluster cluster(store, "oversell", ReplicasFor(store));
  if (!StartOrReport(ctx, cluster, check, store, started)) return;
  std::string error;

  std::int64_t requests = 0, created = 0, refused_stock = 0, other = 0;
  std::map<int, std::vector<std::int64_t>> sold_by_k;  // K -> sold per round
  std::vector<std::int64_t> scarce_sold;
  double slowest_burst = 0;
  std::int64_t stock_issues = 0;
  int rounds_done = 0;
  const std::vector<std::int64_t> ks = {1, 10, 50};

  for (int round = 1; round <= ctx.options.rounds; ++round) {
    for (std::int64_t k : ks) {
      std::string sku_a = Fmt("OS-R%d-K%lld-A", round, (long long)k), sku_b = Fmt("OS-R%d-K%lld-B", round, (long long)k);
      // Carts refuse more than is available, so they are filled while stock
      // is plentiful; then a correction brings it down to K (and kScarce).
      if (!cluster.CreateProduct(sku_a, 1000, "", round, &error) || !cluster.CreateProduct(sku_b, 500, "", round, &error) ||
          !cluster.Receive(sku_a, kPlenty, round, &error) || !cluster.Receive(sku_b, kPlenty, round, &error)) {
        fail("setup: " + error);
        continue;
      }
      requests += 4;

      // The buyers: some ask 2 units, some hold the scarce SKU beside the contested one.
      std::vector<Buyer> buyers(kBuyers);
      for (auto& b : buyers) {
        b.qty = ctx.Random(4) == 0 ? 2 : 1;
        b.with_scarce = ctx.Random(5) == 0;
      }
      // Prepare every cart first.
      std::atomic<int> prep_failures{0};
      {
        std::vector<std::thread> prep;
        for (int t = 0; t < kPrepThreads; ++t)
          prep.emplace_back([&, t] {
            for (int i = t; i < kBuyers; i += kPrepThreads) {
              std::vector<std::pair<std::string, std::int64_t>> lines = {{sku_a, buyers[i].qty}};
              if (buyers[i].with_scarce) lines.push_back({sku_b, 1});
              std::string err;
              auto cart = cluster.NewGuestCart(lines, i, &err);
              if (!cart) {
                if (prep_failures++ < 3) fail("setup: " + err);
                continue;
              }
              buyers[i].cart = *cart;
            }
          });
        for (auto& t : prep) t.join();
      }
      for (const auto& b : buyers) requests += 2 + (b.with_scarce ? 1 : 0);
      if (prep_failures > 0) continue;
      if (!cluster.Adjust(sku_a, k - kPlenty, "correction", round, &error) ||
          !cluster.Adjust(sku_b, kScarce - kPlenty, "correction", round, &error)) {
        fail("setup: " + error);
        continue;
      }
      requests += 2;

      // Fire all checkouts at once.
      std::latch go(1);
      std::vector<std::thread> threads;
      std::vector<double> took(kBuyers);
      for (int i = 0; i < kBuyers; ++i)
        threads.emplace_back([&, i] {
          go.wait();
          auto t0 = Clock::now();
          buyers[i].answer = cluster.Checkout(buyers[i].cart, Fmt("os-%d-%lld-%d", round, (long long)k, i), CheckoutBody(), i);
          took[i] = Seconds(t0);
        });
      go.count_down();
      for (auto& t : threads) t.join();
      requests += kBuyers;
      for (double t : took) slowest_burst = std::max(slowest_burst, t);

      // What the clients saw.
      std::int64_t sold = 0, sold_b = 0, winners = 0, pure_single = 0;
      std::vector<std::string> order_ids;
      for (int i = 0; i < kBuyers; ++i) {
        const Buyer& b = buyers[i];
        if (b.qty == 1 && !b.with_scarce) ++pure_single;
        const Http& a = b.answer;
        if (a.status == 201) {
          ++created;
          ++winners;
          sold += b.qty;
          if (b.with_scarce) ++sold_b;
          std::string id = a.j["order"].value("id", "");
          order_ids.push_back(id);
          if (a.j["order"].value("status", "") != "confirmed" || a.j["order"].value("payment_status", "") != "paid")
            fail(Fmt("K=%lld round %d: a 201 for order %s is %s/%s, not confirmed/paid", (long long)k, round, id.c_str(),
                     a.j["order"].value("status", "?").c_str(), a.j["order"].value("payment_status", "?").c_str()));
        } else if (a.status == 409 && a.Reason() == "insufficient_stock") {
          ++refused_stock;
        } else {
          ++other;
          fail(Fmt("K=%lld round %d: a loser got %s (never a 500 or other status): %s", (long long)k, round,
                   a.Describe().c_str(), a.body.substr(0, 300).c_str()));
        }
      }
      sold_by_k[static_cast<int>(k)].push_back(sold);
      scarce_sold.push_back(sold_b);

      // The guarantees.
      if (sold > k) fail(Fmt("K=%lld round %d: OVERSOLD: %lld units sold", (long long)k, round, (long long)sold));
      if (pure_single >= k) {
        // A buyer asking 1 unit and nothing else is refused only when none is left.
        if (sold != k)
          fail(Fmt("K=%lld round %d: %lld units sold, expected exactly %lld (%lld buyers asked 1 unit alone)", (long long)k,
                   round, (long long)sold, (long long)k, (long long)pure_single));
      } else if (sold < k - 1) {
        fail(Fmt("K=%lld round %d: only %lld units sold", (long long)k, round, (long long)sold));
      }
      if (sold_b > kScarce)
        fail(Fmt("K=%lld round %d: scarce SKU OVERSOLD: %lld of %lld", (long long)k, round, (long long)sold_b,
                 (long long)kScarce));

      // What the store holds.
      auto level = [&](const std::string& sku, std::int64_t* on_hand, std::int64_t* reserved) {
        auto tx = cluster.db().Begin(store::TxMode::kRead);
        auto r = tx->Query("SELECT l.on_hand, l.reserved FROM inventory_levels l JOIN variants v ON v.id = l.variant_id "
                           "WHERE v.sku = $1", {std::string_view(sku)});
        if (r->Next()) {
          *on_hand = r->Int(0);
          *reserved = r->Int(1);
        }
      };
      std::int64_t on_hand = -1, reserved = -1, on_hand_b = -1, reserved_b = -1;
      level(sku_a, &on_hand, &reserved);
      level(sku_b, &on_hand_b, &reserved_b);
      if (on_hand != k || reserved != sold)
        fail(Fmt("K=%lld round %d: %s on_hand %lld reserved %lld, expected %lld and %lld", (long long)k, round,
                 sku_a.c_str(), (long long)on_hand, (long long)reserved, (long long)k, (long long)sold));
      if (on_hand_b != kScarce || reserved_b != sold_b)
        fail(Fmt("K=%lld round %d: %s on_hand %lld reserved %lld, expected %lld and %lld", (long long)k, round,
                 sku_b.c_str(), (long long)on_hand_b, (long long)reserved_b, (long long)kScarce, (long long)sold_b));
      std::int64_t server_orders = QueryInt(cluster.db(), "SELECT COUNT(DISTINCT order_id) FROM order_lines WHERE sku = $1",
                                            {std::string_view(sku_a)});
      std::int64_t server_units = QueryInt(cluster.db(), "SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE sku = $1",
                                           {std::string_view(sku_a)});
      if (server_orders != winners || server_units != sold)
        fail(Fmt("K=%lld round %d: the store holds %lld orders for %lld units; the clients got %lld 201s for %lld units",
                 (long long)k, round, (long long)server_orders, (long long)server_units, (long long)winners,
                 (long long)sold));
      std::int64_t captures = QueryInt(cluster.db(),
                                       "SELECT COUNT(*) FROM test_gateway_charges c WHERE c.state = 'captured' AND "
                                       "c.order_id IN (SELECT order_id FROM order_lines WHERE sku = $1)",
                                       {std::string_view(sku_a)});
      if (captures != winners)
        fail(Fmt("K=%lld round %d: %lld captures at the gateway for %lld orders", (long long)k, round,
                 (long long)captures, (long long)winners));
      for (const auto& v : StockViolations(ReadVariants(cluster.db()))) {
        ++stock_issues;
        fail(Fmt("K=%lld round %d: ", (long long)k, round) + v);
      }
      for (const auto& v : DoubleCaptureViolations(cluster.db())) fail(v);
    }
    ++rounds_done;
    std::printf("  oversell %s round %d/%d done (%.0f s)\n", store.c_str(), round, ctx.options.rounds, Seconds(started));
    std::fflush(stdout);
  }
  for (const auto& v : ReservationOwnerViolations(cluster.db())) {
    ++stock_issues;
    fail(v);
  }

  std::string figures;
  for (const auto& [k, sold] : sold_by_k) {
    std::int64_t lo = *std::min_element(sold.begin(), sold.end()), hi = *std::max_element(sold.begin(), sold.end());
    figures += Fmt("K=%d sold %lld..%lld; ", k, (long long)lo, (long long)hi);
  }
  if (!scarce_sold.empty())
    figures += Fmt("scarce(%lld) sold max %lld; ", (long long)kScarce,
                   (long long)*std::max_element(scarce_sold.begin(), scarce_sold.end()));
  int bad = ctx.violations.Count(check, store);
  figures += Fmt("on_hand!=ledger, reserved!=reservations or negative: %lld; slowest checkout %.2f s",
                 (long long)stock_issues, slowest_burst);
  ctx.report.Add({check, store, rounds_done, requests,
                  Fmt("201: %lld, 409 insufficient_stock: %lld, other: %lld", (long long)created, (long long)refused_stock,
                      (long long)other),
                  figures, Seconds(started), bad});
  cluster.Finish(ctx.options.keep);
}

}  // namespace ecom::reliability
