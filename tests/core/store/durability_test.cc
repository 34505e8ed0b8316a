// When a write returns: a durable one after the flush that keeps it, an
// ordered one at its commit. This program replaces fdatasync(2), which the
// SQLite store and SQLite itself flush the log with, by a version that counts
// the calls and can be held up, so the tests see every flush a write waits
// for.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "core/orders/orders_fixture.h"
#include "ecom/store/database.h"
#include "support/test_store.h"

namespace {

std::atomic<int> g_flushes{0};
std::mutex g_gate_mu;
std::condition_variable g_gate_cv;
bool g_gate_closed = false;

}  // namespace

extern "C" int fdatasync(int fd) {
  {
    std::unique_lock lock(g_gate_mu);
    g_gate_cv.wait(lock, [] { return !g_gate_closed; });
  }
  ++g_flushes;
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace ecom::store {
namespace {

void HoldFlushes(bool held) {
  {
    std::lock_guard lock(g_gate_mu);
    g_gate_closed = held;
  }
  g_gate_cv.notify_all();
}

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tx = db_->Begin(TxMode::kWrite);
    tx->Exec("CREATE TABLE notes (id TEXT PRIMARY KEY)");
    tx->Commit();
  }
  void TearDown() override { HoldFlushes(false); }

  void Note(const std::string& id, Durability durability) {
    db_->Write(
        [&](Transaction& tx) {
          tx.Exec("INSERT INTO notes (id) VALUES ($1)", {std::string_view(id)});
          return true;
        },
        durability);
  }

  bool Visible(const std::string& id) {
    auto tx = db_->Begin(TxMode::kRead);
    return tx->Query("SELECT 1 FROM notes WHERE id = $1", {std::string_view(id)})->Next();
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_ = Open("sqlite://" + (dir_.path() / "notes.db").string());
};

TEST_F(DurabilityTest, AnOrderedWriteIsVisibleAtOnceAndTheNextDurableOneFlushesIt) {
  int before = g_flushes;
  Note("durable-1", Durability::kDurable);
  EXPECT_EQ(g_flushes - before, 1) << "a durable write waits for one flush";

  before = g_flushes;
  for (int i = 0; i < 5; ++i) {
    std::string id = "ordered-" + std::to_string(i);
    Note(id, Durability::kOrdered);
    EXPECT_TRUE(Visible(id)) << id;
  }
  EXPECT_EQ(g_flushes - before, 0) << "ordered writes wait for no flush";

  Note("durable-2", Durability::kDurable);
  EXPECT_EQ(g_flushes - before, 1) << "one flush keeps the ordered writes and the durable one";
}

TEST_F(DurabilityTest, AnOrderedWriteDoesNotWaitForAFlushThatIsHeldUp) {
  std::future<void> durable, ordered;
  // Lets the flushes go on any way out of the test, before the futures wait.
  std::unique_ptr<void, void (*)(void*)> release(&g_flushes, [](void*) { HoldFlushes(false); });
  HoldFlushes(true);
  durable = std::async(std::launch::async, [&] { Note("durable", Durability::kDurable); });
  // The durable write commits, then waits for its flush.
  for (int i = 0; i < 500 && !Visible("durable"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(Visible("durable"));

  ordered = std::async(std::launch::async, [&] { Note("ordered", Durability::kOrdered); });
  ASSERT_EQ(ordered.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "the ordered write waited for the held-up flush";
  ordered.get();
  EXPECT_TRUE(Visible("ordered"));
  EXPECT_EQ(durable.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "the durable write returned before its flush";

  HoldFlushes(false);
  durable.get();
}

TEST_F(DurabilityTest, AnOrderedWriteThatIsDroppedLeavesNothing) {
  db_->Write([](Transaction& tx) {
    tx.Exec("INSERT INTO notes (id) VALUES ('dropped')");
    return false;
  }, Durability::kOrdered);
  EXPECT_THROW(db_->Write([](Transaction& tx) -> bool {
    tx.Exec("INSERT INTO notes (id) VALUES ('thrown')");
    throw std::runtime_error("no");
  }, Durability::kOrdered), std::runtime_error);
  EXPECT_FALSE(Visible("dropped"));
  EXPECT_FALSE(Visible("thrown"));
}

}  // namespace
}  // namespace ecom::store

namespace ecom::orders {
namespace {

// A gateway kept elsewhere: the test gateway's behaviour, without its claim
// to record into the shop's store.
class ElsewhereGateway final : public payments::PaymentGateway {
 public:
  explicit ElsewhereGateway(std::shared_ptr<payments::PaymentGateway> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  Result<payments::ChargeResult> Charge(const payments::ChargeRequest& r) override { return inner_->Charge(r); }
  Result<payments::ChargeResult> Status(std::string_view key) override { return inner_->Status(key); }
  Result<payments::RefundResult> Refund(const payments::RefundRequest& r) override { return inner_->Refund(r); }
  Result<payments::WebhookEvent> ParseWebhook(std::string_view h, std::string_view b, TimePoint now) override {
    return inner_->ParseWebhook(h, b, now);
  }

 private:
  std::shared_ptr<payments::PaymentGateway> inner_;
};

class CheckoutDurabilityTest : public OrdersTest {
 protected:
  void SetUp() override { MakeProduct("MUG-1", 1200, 10); }

  // Flushes one checkout of a fresh cart waited for, checked out through `orders`.
  int FlushesOfACheckout(OrderService& orders) {
    std::string customer = MakeCustomer("ann" + ids_->Next("c"));
    std::string cart = NewCustomerCart(customer);
    Add(cart, Holder(customer), "MUG-1", 1);
    int before = g_flushes;
    auto placed = orders.Checkout(cart, Holder(customer), Input("tok_visa"), FreshKey(customer), actor_);
    int flushes = g_flushes - before;
    EXPECT_TRUE(placed.ok()) << Describe(placed);
    if (placed.ok()) {
      EXPECT_EQ(placed->order->payment_status, PaymentStatus::kPaid);
    }
    return flushes;
  }
};

TEST_P(CheckoutDurabilityTest, WithTheTestGatewayOnlyTheOutcomeWaitsForAFlush) {
  // The attempt and the test gateway's charge are in the log before the
  // outcome, and nobody hears of either before it.
  EXPECT_EQ(FlushesOfACheckout(orders_), 1);
}

TEST_P(CheckoutDurabilityTest, WithAGatewayElsewhereTheAttemptIsDurableBeforeTheCharge) {
  Gateways elsewhere;
  elsewhere.Add(std::make_shared<ElsewhereGateway>(MakeGateway()));
  OrderService orders{*db_, clock_, ids_, carts_, pricing_, elsewhere, vault_, order_options_};
  EXPECT_EQ(FlushesOfACheckout(orders), 2);
}

INSTANTIATE_TEST_SUITE_P(Stores, CheckoutDurabilityTest, ::testing::Values(std::string("sqlite")),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::orders
