// Crash: clients run cart -> add -> checkout with unique keys while one ecomd
// is killed with SIGKILL at a random moment and restarted on the same store.
// Clients keep the client's contract: what failed is retried with the SAME
// key and body until it answers (a key held by the dead process answers 409
// idempotency_key_in_use until its 60 s lease lapses; Settle() waits that
// out). Then: every checkout that got a 2xx exists once, paid, with exactly
// one capture at the gateway; no order was captured twice; every order has a
// client who got its 2xx; reservations belong only to orders that still wait
// to ship and add up to `reserved`.
#include <map>
#include <set>
#include <thread>

#include "checks.h"

namespace ecom::reliability {
namespace {

using namespace std::chrono_literals;

constexpr int kSkus = 5;
constexpr auto kRoundLength = 4s;  // of load per round; the kill falls in its middle half

struct RoundStats {
  std::atomic<std::int64_t> requests{0}, ok{0}, refused{0}, lost{0}, retries{0}, retried_ok{0}, deferred{0},
      server_errors{0}, carts_abandoned{0};
  double kill_at = 0, restart_s = 0;
  int victim = -1;
};

struct Attempt {
  std::string key;
  Cluster::Cart cart;
  int round = 0;
  int via = 0;
  int tries = 0;
  bool resolved = false;  // got its 201
  bool deferred = false;  // waits on a dead process's lease
  bool broken = false;    // answered something no retry can fix
  std::string order_id;
  std::string last;  // the last answer, for reports
};

}  // namespace

struct CrashCheck::State {
  Context& ctx;
  std::string store;
  std::string check = "crash";
  Clock::time_point started = Clock::now();
  double load_seconds = 0;
  std::unique_ptr<Cluster> cluster;
  bool ready = false;
  std::mutex mu;
  std::vector<std::shared_ptr<Attempt>> attempts;
  std::vector<std::unique_ptr<RoundStats>> rounds;
  std::int64_t stock_issues = 0;

  State(Context& c, std::string s) : ctx(c), store(std::move(s)) {}
  void Fail(const std::string& m) { ctx.violations.Add(check, store, m); }

  // Sends the attempt's checkout until it answers something final (201),
  // waits on a lease (409 idempotency_key_in_use), or `max_tries` is spent.
  void Drive(Attempt& a, RoundStats& st, int max_tries) {
    for (int i = 0; i < max_tries; ++i) {
      if (a.tries > 0) st.retries++;
      a.tries++;
      Http r = cluster->Checkout(a.cart, a.key, CheckoutBody(), a.via);
      st.requests++;
      a.last = r.Describe();
      if (r.status == 201) {
        a.resolved = true;
        a.deferred = false;
        a.order_id = r.j["order"].value("id", "");
        st.ok++;
        if (a.tries > 1) st.retried_ok++;
        if (r.j["order"].value("payment_status", "") != "paid")
          Fail("checkout " + a.key + " answered 201 with payment_status " + r.j["order"].value("payment_status", "?"));
        return;
      }
      if (r.status == 0) {
        (r.Refused() ? st.refused : st.lost)++;
        a.via++;  // the next replica, as a load balancer would
        std::this_thread::sleep_for(100ms);
        continue;
      }
      if (r.status == 409 && r.Reason() == "idempotency_key_in_use") {
        if (!a.deferred) st.deferred++;
        a.deferred = true;
        return;
      }
      if (r.status >= 500) {
        st.server_errors++;
        Fail("checkout " + a.key + " answered " + r.Describe() + ": " + r.body.substr(0, 200));
        std::this_thread::sleep_for(100ms);
        continue;
      }
      a.broken = true;
      Fail("checkout " + a.key + " answered " + r.Describe() + " (expected 201 or a retryable failure): " +
           r.body.substr(0, 300));
      return;
    }
  }

  // One client: cart -> add -> checkout, until `stop`.
  void Client(int id, int round, RoundStats& st, const std::atomic<bool>& stop) {
    int via = id;
    std::uint64_t n = 0;
    while (!stop) {
      std::optional<Cluster::Cart> cart;
      std::string sku = Fmt("CR-%d", static_cast<int>(ctx.Random(kSkus)));
      for (int i = 0; i < 100 && !cart; ++i) {
        std::string err;
        cart = cluster->NewGuestCart({{sku, 1}}, via, &err);
        st.requests += 2;
        if (!cart) {
          // A dead replica: try the next one. Anything but "no answer" is wrong.
          if (err.find("no answer") == std::string::npos) Fail("cart: " + err);
          st.carts_abandoned++;
          via++;
          std::this_thread::sleep_for(50ms);
        }
      }
      if (!cart) {
        Fail("no cart could be made for 100 tries");
        return;
      }
      auto a = std::make_shared<Attempt>();
      a->key = Fmt("crash-%s-%d-%d-%llu", store.c_str(), round, id, (unsigned long long)++n);
      a->cart = *cart;
      a->round = round;
      a->via = via + 1;  // checkout through another replica than the cart's, as a load balancer may
      {
        std::lock_guard lock(mu);
        attempts.push_back(a);
      }
      Drive(*a, st, 300);
      via++;
    }
  }
};

CrashCheck::CrashCheck(Context& ctx, std::string store) : s_(std::make_unique<State>(ctx, std::move(store))) {}
CrashCheck::~CrashCheck() = default;

void CrashCheck::Load() {
  State& s = *s_;
  s.cluster = std::make_unique<Cluster>(s.store, "crash", ReplicasFor(s.store));
  std::string error;
  if (!s.cluster->Start(&error)) {
    s.Fail("setup: " + error);
    return;
  }
  for (int i = 0; i < kSkus; ++i)
    if (!s.cluster->CreateProduct(Fmt("CR-%d", i), 1500, "", i, &error) ||
        !s.cluster->Receive(Fmt("CR-%d", i), 1000000, i, &error)) {
      s.Fail("setup: " + error);
      return;
    }
  s.ready = true;
  const int clients = s.cluster->replicas() == 1 ? 8 : 9;
  for (int round = 1; round <= s.ctx.options.rounds; ++round) {
    auto st = std::make_unique<RoundStats>();
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    auto round_start = Clock::now();
    for (int c = 0; c < clients; ++c) threads.emplace_back([&, c] { s.Client(c, round, *st, stop); });
    // The crash: a random replica, at a random moment in the middle half.
    auto length = std::chrono::duration_cast<std::chrono::milliseconds>(kRoundLength).count();
    auto at = std::chrono::milliseconds(length / 4 + static_cast<long>(s.ctx.Random(static_cast<std::uint64_t>(length / 2))));
    std::this_thread::sleep_for(at);
    st->victim = static_cast<int>(s.ctx.Random(static_cast<std::uint64_t>(s.cluster->replicas())));
    Daemon& victim = s.cluster->daemon(st->victim);
    st->kill_at = Seconds(round_start);
    victim.Kill9();
    auto restart = Clock::now();
    if (!victim.Spawn() || !victim.WaitReady()) s.Fail(Fmt("round %d: ecomd did not come back: %s", round, victim.LogTail().c_str()));
    st->restart_s = Seconds(restart);
    std::this_thread::sleep_until(round_start + kRoundLength);
    stop = true;
    for (auto& t : threads) t.join();

    // Checks that hold at any quiet moment, before anything is settled.
    for (const auto& v : StockViolations(ReadVariants(s.cluster->db()))) {
      ++s.stock_issues;
      s.Fail(Fmt("round %d: ", round) + v);
    }
    for (const auto& v : DoubleCaptureViolations(s.cluster->db())) s.Fail(Fmt("round %d: ", round) + v);
    std::printf("  crash %s round %d/%d: %lld requests, %lld 2xx, %lld lost + %lld refused connections, %lld retries, "
                "%lld waiting on a lease; killed ecomd%d at %.1f s, back in %.2f s\n",
                s.store.c_str(), round, s.ctx.options.rounds, (long long)st->requests.load(), (long long)st->ok.load(),
                (long long)st->lost.load(), (long long)st->refused.load(), (long long)st->retries.load(),
                (long long)st->deferred.load(), st->victim, st->kill_at, st->restart_s);
    std::fflush(stdout);
    s.rounds.push_back(std::move(st));
  }
  s.load_seconds = Seconds(s.started);
}

void CrashCheck::Settle() {
  State& s = *s_;
  auto settle_start = Clock::now();
  if (!s.ready) {
    s.ctx.report.Add({s.check, s.store, 0, 0, "-", "setup failed", Seconds(s.started), s.ctx.violations.Count(s.check, s.store)});
    if (s.cluster) s.cluster->Finish(s.ctx.options.keep);
    return;
  }
  // Retry every key that waits on a dead process's lease (60 s), as the
  // client would, until it answers or 150 s pass.
  auto deadline = Clock::now() + 150s;
  std::vector<std::shared_ptr<Attempt>> waiting;
  for (auto& a : s.attempts)
    if (!a->resolved && !a->broken) waiting.push_back(a);
  std::size_t waited_on = waiting.size();
  while (!waiting.empty() && Clock::now() < deadline) {
    std::vector<std::shared_ptr<Attempt>> still;
    for (auto& a : waiting) {
      s.Drive(*a, *s.rounds[static_cast<std::size_t>(a->round - 1)], 3);
      if (!a->resolved && !a->broken) still.push_back(a);
    }
    waiting.swap(still);
    if (!waiting.empty()) std::this_thread::sleep_for(2s);
  }
  double settle_seconds = Seconds(settle_start);
  for (auto& a : waiting)
    s.Fail("checkout " + a->key + " never answered 201 after " + std::to_string(a->tries) + " tries; last: " + a->last);

  // The end state.
  store::Database& db = s.cluster->db();
  std::set<std::string> answered;
  std::int64_t answered_units = 0;
  // Captured payments and the gateway's captures per order, each read once:
  // one lookup per answered checkout scanned a table each time (the
  // gateway's has no index by order; SQLite planned the payments lookup on
  // its status index), which took minutes over 30 rounds.
  auto per_order = [&](const char* sql) {
    std::map<std::string, std::int64_t> counts;
    auto tx = db.Begin(store::TxMode::kRead);
    auto r = tx->Query(sql);
    while (r->Next()) counts[r->Text(0)] = r->Int(1);
    return counts;
  };
  auto captured_payments =
      per_order("SELECT order_id, COUNT(*) FROM payments WHERE status = 'captured' GROUP BY order_id");
  auto gateway_captures =
      per_order("SELECT order_id, COUNT(*) FROM test_gateway_charges WHERE state = 'captured' GROUP BY order_id");
  for (auto& a : s.attempts) {
    if (!a->resolved) continue;
    if (!answered.insert(a->order_id).second) s.Fail("two keys answered with one order " + a->order_id);
    answered_units += 1;
    auto tx = db.Begin(store::TxMode::kRead);
    auto r = tx->Query(
        "SELECT o.status, o.payment_status, o.cart_id FROM orders o WHERE o.id = $1",
        {std::string_view(a->order_id)});
    if (!r->Next()) {
      s.Fail("checkout " + a->key + " answered 201 with order " + a->order_id + ", which the store does not hold");
      continue;
    }
    std::string status = r->Text(0), payment = r->Text(1), cart = r->Text(2);
    std::int64_t captured_rows = captured_payments.count(a->order_id) ? captured_payments[a->order_id] : 0;
    std::int64_t captures = gateway_captures.count(a->order_id) ? gateway_captures[a->order_id] : 0;
    if (cart != a->cart.id) s.Fail("order " + a->order_id + " belongs to cart " + cart + ", not " + a->cart.id);
    if (status != "confirmed" || payment != "paid")
      s.Fail("order " + a->order_id + " (2xx to its client) is " + status + "/" + payment + ", not confirmed/paid");
    if (captured_rows != 1 || captures != 1)
      s.Fail(Fmt("order %s has %lld captured payments and %lld captures at the gateway, expected 1 and 1",
                 a->order_id.c_str(), (long long)captured_rows, (long long)captures));
  }
  std::int64_t orders = 0, orphans = 0;
  {
    auto tx = db.Begin(store::TxMode::kRead);
    auto r = tx->Query("SELECT id, status, payment_status FROM orders ORDER BY id");
    while (r->Next()) {
      ++orders;
      if (!answered.count(r->Text(0))) {
        ++orphans;
        s.Fail("order " + r->Text(0) + " (" + r->Text(1) + "/" + r->Text(2) + ") exists but no client got a 2xx for it");
      }
    }
  }
  for (const auto& v : DoubleCaptureViolations(db)) s.Fail(v);
  for (const auto& v : ReservationOwnerViolations(db)) {
    ++s.stock_issues;
    s.Fail(v);
  }
  auto variants = ReadVariants(db);
  std::int64_t reserved = 0;
  for (const auto& v : variants) reserved += v.reserved;
  for (const auto& v : StockViolations(variants)) {
    ++s.stock_issues;
    s.Fail(v);
  }
  if (reserved != answered_units)
    s.Fail(Fmt("%lld units reserved in all, but clients hold 2xx answers for %lld units", (long long)reserved,
               (long long)answered_units));
  std::int64_t double_captures = QueryInt(
      db, "SELECT COUNT(*) FROM (SELECT order_id FROM test_gateway_charges WHERE state = 'captured' GROUP BY order_id "
          "HAVING COUNT(*) > 1) t");

  // Figures.
  std::int64_t requests = 0, ok = 0, lost = 0, refused = 0, retries = 0, retried_ok = 0, deferred = 0, errors5 = 0,
               abandoned = 0;
  std::string per_round;
  for (std::size_t i = 0; i < s.rounds.size(); ++i) {
    const RoundStats& st = *s.rounds[i];
    requests += st.requests;
    ok += st.ok;
    lost += st.lost;
    refused += st.refused;
    retries += st.retries;
    retried_ok += st.retried_ok;
    deferred += st.deferred;
    errors5 += st.server_errors;
    abandoned += st.carts_abandoned;
    if (s.rounds.size() <= 3 || i < 2)
      per_round += Fmt("r%zu: %lld req, %lld 2xx, %lld lost or refused, %lld retries; ", i + 1, (long long)st.requests.load(),
                       (long long)st.ok.load(), (long long)(st.lost + st.refused), (long long)st.retries.load());
  }
  if (s.rounds.size() > 3) per_round += "...; ";
  int bad = s.ctx.violations.Count(s.check, s.store);
  s.ctx.report.Add(
      {s.check, s.store, static_cast<int>(s.rounds.size()), requests,
       Fmt("2xx: %lld (%lld after a retry), lost connections: %lld, refused: %lld, retries: %lld, 5xx: %lld, "
           "keys held by a dead process: %lld (settled in %.0f s)",
           (long long)ok, (long long)retried_ok, (long long)lost, (long long)refused, (long long)retries,
           (long long)errors5, (long long)deferred, settle_seconds),
       per_round +
           Fmt("carts given up on a dead replica %lld; orders %lld = 2xx %zu, orders without a 2xx %lld, unanswered keys %zu, orders captured twice %lld, "
               "reserved %lld = units answered %lld, stock/reservation issues %lld, %zu keys waited on",
               (long long)abandoned, (long long)orders, answered.size(), (long long)orphans, waiting.size(), (long long)double_captures,
               (long long)reserved, (long long)answered_units, (long long)s.stock_issues, waited_on),
       s.load_seconds + settle_seconds, bad});
  s.cluster->Finish(s.ctx.options.keep);
}

}  // namespace ecom::reliability
