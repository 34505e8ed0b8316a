// Checkout, payments, the order lifecycle, refunds and expiry on both stores,
// against the built-in test gateway.
#include "ecom/orders/order_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/orders/orders_fixture.h"
#include "ecom/orders/json.h"

namespace ecom::orders {
namespace {

using Kind = store::IdempotencyClaim::Kind;
using inventory::StockReason;

class OrderServiceTest : public OrdersTest {
 protected:
  void SetUp() override {
    mug_ = MakeProduct("MUG-1", 1200, 10);
    tee_ = MakeProduct("TEE-1", 2500, 5);
    ann_ = MakeCustomer("ann");
    bob_ = MakeCustomer("bob");
  }

  OrderReader Reader(const std::string& customer_id) { return OrderReader{customer_id, false, false}; }

  // Ann's cart with 2 MUG-1 and 1 TEE-1 (4900).
  std::string AnnsCart() {
    std::string cart = NewCustomerCart(ann_);
    Add(cart, Holder(ann_), "MUG-1", 2);
    Add(cart, Holder(ann_), "TEE-1", 1);
    return cart;
  }

  std::vector<Payment> PaymentsOf(const std::string& order_id) {
    auto r = orders_.Payments(order_id, Staff());
    EXPECT_TRUE(r.ok()) << Describe(r);
    return r.ok() ? *r : std::vector<Payment>{};
  }

  std::vector<orders::Refund> RefundsOf(const std::string& order_id) {
    auto r = orders_.Refunds(order_id);
    EXPECT_TRUE(r.ok()) << Describe(r);
    return r.ok() ? *r : std::vector<orders::Refund>{};
  }

  std::vector<std::string> TimelineKinds(const std::string& order_id) {
    std::vector<std::string> out;
    auto r = orders_.Timeline(order_id, Staff());
    EXPECT_TRUE(r.ok()) << Describe(r);
    if (r.ok())
      for (const auto& t : *r) out.push_back(t.kind);
    return out;
  }

  // inventory_levels.reserved equals the sum of the reservation rows.
  void ExpectReservationsMatchLevel(const std::string& sku, const std::string& variant_id) {
    EXPECT_EQ(Level(sku).reserved,
              Count("SELECT COALESCE(SUM(quantity), 0) FROM reservations WHERE variant_id = $1", {variant_id}))
        << sku;
  }

  Result<OrderOutcome> RefundOrder(const std::string& order_id, std::optional<std::int64_t> amount,
                              std::vector<RestockLine> restock = {}) {
    RefundInput in;
    in.amount = amount;
    in.reason = "customer request";
    in.restock = std::move(restock);
    return orders_.IssueRefund(order_id, in, Key("apikey:staff", ids_->Next("idk")), Actor{"staff"});
  }

  Result<OrderOutcome> CancelOrder(const std::string& order_id, const std::string& reason = "customer asked") {
    return orders_.Cancel(order_id, reason, Key("apikey:staff", ids_->Next("idk")), Actor{"staff"});
  }

  void ExpectInvalidTransition(const Status& s, const std::string& current) {
    ASSERT_FALSE(s.ok()) << "expected invalid_transition from " << current;
    EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition) << Describe(s.error());
    EXPECT_EQ(s.error().reason, "invalid_transition") << Describe(s.error());
    EXPECT_NE(s.error().message.find(current), std::string::npos) << Describe(s.error());
    bool named = false;
    for (const auto& f : s.error().fields) named = named || (f.field == "status" && f.message == current);
    EXPECT_TRUE(named) << "no field error status=" << current << ": " << Describe(s.error());
  }

  template <typename T>
  static Status AsStatus(const Result<T>& r) {
    if (r.ok()) return Ok();
    return r.error();
  }

  std::string mug_, tee_, ann_, bob_;
};

// ---- Checkout ------------------------------------------------------------------

TEST_P(OrderServiceTest, CheckoutPlacesAPaidConfirmedOrder) {
  std::string cart = AnnsCart();
  auto r = CheckoutCart(cart, ann_, "tok_visa", Key("customer:" + ann_, "k1"));
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r->claim.kind, Kind::kClaimed);
  ASSERT_TRUE(r->order.has_value());
  ASSERT_TRUE(r->payment.has_value());
  const Order& o = *r->order;
  EXPECT_EQ(o.id.rfind("ord_", 0), 0u) << o.id;
  EXPECT_EQ(o.number, 1001);
  EXPECT_EQ(o.status, OrderStatus::kConfirmed);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(o.stock_state, "reserved");
  EXPECT_EQ(o.customer_id, std::optional<std::string>(ann_));
  EXPECT_EQ(o.email, "ann@example.com");
  EXPECT_EQ(o.cart_id, cart);
  EXPECT_EQ(o.currency, "USD");
  EXPECT_EQ(o.totals.subtotal, 4900);
  EXPECT_EQ(o.totals.shipping, 0);
  EXPECT_EQ(o.totals.tax, 0);
  EXPECT_EQ(o.totals.grand_total, 4900);
  EXPECT_EQ(o.amount_captured, 4900);
  EXPECT_EQ(o.amount_refunded, 0);
  EXPECT_EQ(o.shipping_method, "standard");
  EXPECT_EQ(o.shipping_address.country, "US");
  EXPECT_EQ(o.billing_address.line1, "1 Main Street");  // defaults to the shipping address

  const Payment& p = *r->payment;
  EXPECT_EQ(p.id.rfind("pay_", 0), 0u) << p.id;
  EXPECT_EQ(p.order_id, o.id);
  EXPECT_EQ(p.gateway, "test");
  EXPECT_EQ(p.status, "captured");
  EXPECT_EQ(p.amount, (Money{4900, "USD"}));
  EXPECT_EQ(p.brand, "visa");
  EXPECT_EQ(p.last4, "4242");
  EXPECT_FALSE(p.reference.empty());
  EXPECT_TRUE(p.captured_at.has_value());

  // The lines are a snapshot of what was sold.
  Order stored = GetOrder(o.id);
  ASSERT_EQ(stored.lines.size(), 2u);
  const OrderLine& mug = stored.lines[0];
  EXPECT_EQ(mug.line_no, 1);
  EXPECT_EQ(mug.sku, std::optional<std::string>("MUG-1"));
  EXPECT_EQ(mug.variant_id, mug_);
  EXPECT_EQ(mug.title, "Product MUG-1");
  EXPECT_EQ(mug.quantity, 2);
  EXPECT_EQ(mug.unit_price, 1200);
  EXPECT_EQ(mug.subtotal, 2400);
  EXPECT_EQ(mug.currency, "USD");
  EXPECT_TRUE(mug.tracked);
  EXPECT_EQ(stored.lines[1].sku, std::optional<std::string>("TEE-1"));
  EXPECT_EQ(stored.lines[1].unit_price, 2500);
  SetPrice("MUG-1", 9900);
  EXPECT_EQ(GetOrder(o.id).lines[0].unit_price, 1200);

  // Stock is held: one reservation row per variant, and the levels agree.
  EXPECT_EQ(ReservedFor(o.id), 3);
  EXPECT_EQ(Count("SELECT quantity FROM reservations WHERE order_id = $1 AND variant_id = $2", {o.id, mug_}), 2);
  EXPECT_EQ(Count("SELECT quantity FROM reservations WHERE order_id = $1 AND variant_id = $2", {o.id, tee_}), 1);
  // A paid order's hold does not expire.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations WHERE order_id = $1 AND expires_at IS NULL", {o.id}), 2);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
  EXPECT_EQ(Level("MUG-1").on_hand, 10);
  EXPECT_EQ(Level("TEE-1").reserved, 1);
  ExpectReservationsMatchLevel("MUG-1", mug_);
  ExpectReservationsMatchLevel("TEE-1", tee_);

  // Events in the outbox, and one capture at the gateway.
  EXPECT_EQ(Events("order.placed", o.id).size(), 1u);
  EXPECT_EQ(Events("payment.captured", o.id).size(), 1u);
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 1);

  // The payment as the customer reads it later.
  auto payments = orders_.Payments(o.id, Reader(ann_));
  ASSERT_TRUE(payments.ok()) << Describe(payments);
  ASSERT_EQ(payments->size(), 1u);
  EXPECT_EQ((*payments)[0].brand, "visa");
  EXPECT_EQ((*payments)[0].last4, "4242");
  auto by_id = orders_.GetPayment(p.id);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->last4, "4242");
  EXPECT_EQ(by_id->reference, p.reference);
  // Sealed at rest: neither the brand nor the last four are in the row in clear.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments WHERE id = $1 AND details LIKE '%4242%'", {p.id}), 0);

  auto kinds = TimelineKinds(o.id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "placed"), kinds.end());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "payment_captured"), kinds.end());

  // The cart is spent.
  auto spent = carts_.Get(cart, Holder(ann_));
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(spent->status, "ordered");
  EXPECT_EQ(spent->order_id, std::optional<std::string>(o.id));
  auto again = CheckoutCart(cart, ann_, "tok_visa", Key("customer:" + ann_, "k2"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, "cart_already_ordered");

  // The next order is #1002.
  Order second = PlaceOrder(bob_, "MUG-1", 1);
  EXPECT_EQ(second.number, 1002);
  ExpectReservationsMatchLevel("MUG-1", mug_);
  EXPECT_EQ(Level("MUG-1").reserved, 3);
}

TEST_P(OrderServiceTest, CheckoutChargesShippingAndTaxOfTheAddress) {
  ASSERT_TRUE(pricing_.PutTaxRate({"", "US", "NY", 88750, false, false, ""}).ok());
  ASSERT_TRUE(pricing_.PutShippingMethod({"express", "Express", {1500, "USD"}, {"US"}, ""}).ok());
  MakeProduct("CARD-1", 999, 5);
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "CARD-1", 1);

  auto unknown = orders_.Checkout(cart, Holder(ann_), Input("tok_visa", "US", "NY", "overnight"), FreshKey(ann_),
                                  actor_);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason, "unknown_shipping_method");
  auto abroad = orders_.Checkout(cart, Holder(ann_), Input("tok_visa", "DE", "", "express"), FreshKey(ann_),
                                 actor_);
  ASSERT_FALSE(abroad.ok());
  EXPECT_EQ(abroad.error().reason, "shipping_method_unavailable");
  EXPECT_EQ(Level("CARD-1").reserved, 0);

  auto r = orders_.Checkout(cart, Holder(ann_), Input("tok_visa", "US", "NY", "express"), FreshKey(ann_), actor_);
  ASSERT_TRUE(r.ok()) << Describe(r);
  Order o = GetOrder(r->order->id);
  EXPECT_EQ(o.totals.subtotal, 999);
  EXPECT_EQ(o.totals.shipping, 1500);
  EXPECT_EQ(o.totals.tax, 89);
  EXPECT_EQ(o.totals.grand_total, 999 + 1500 + 89);
  EXPECT_FALSE(o.totals.taxes_included);
  EXPECT_EQ(o.shipping_method, "express");
  EXPECT_EQ(o.shipping_method_name, "Express");
  ASSERT_EQ(o.lines.size(), 1u);
  EXPECT_EQ(o.lines[0].tax, 89);
  EXPECT_EQ(o.lines[0].tax_rate_ppm, 88750);
  EXPECT_EQ(r->payment->amount.amount, 2588);
  EXPECT_EQ(o.amount_captured, 2588);
}

// The answer a Responder renders is stored with the charge's outcome, and a
// retry with the key is answered with exactly it.
TEST_P(OrderServiceTest, CheckoutStoresTheRenderedAnswerWithTheCharge) {
  std::string cart = AnnsCart();
  auto key = FreshKey(ann_);
  int rendered = 0;
  Responder respond = [&](const OrderOutcome& o) -> std::optional<store::StoredResponse> {
    ++rendered;
    return store::StoredResponse{201, o.order->id + " " + ToString(o.order->payment_status) + " " + o.payment->status};
  };
  auto r = orders_.Checkout(cart, Holder(ann_), Input("tok_visa"), key, actor_, respond);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_TRUE(r->response_stored);
  EXPECT_EQ(rendered, 1);
  ASSERT_TRUE(r->order && r->payment);
  EXPECT_EQ(r->order->payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(r->payment->status, "captured");
  auto tx = db_->Begin(store::TxMode::kRead);
  auto stored = store::PeekIdempotencyKey(*tx, key, *clock_);
  ASSERT_EQ(stored.kind, store::IdempotencyClaim::Kind::kReplay);
  EXPECT_EQ(stored.response.status, 201);
  EXPECT_EQ(stored.response.body, r->order->id + " paid captured");
}

// The capture's answer and its event are built from what the transaction
// wrote, not read back: they must show what a read shows.
TEST_P(OrderServiceTest, TheAnswerAndTheCaptureEventShowWhatWasStored) {
  for (const char* first : {"tok_visa", "tok_chargeDeclined"}) {
    std::string cart = AnnsCart();
    auto r = CheckoutCart(cart, ann_, first, FreshKey(ann_));
    ASSERT_TRUE(r.ok()) << Describe(r);
    if (std::string(first) == "tok_chargeDeclined") {  // paid on a second attempt
      r = orders_.Pay(r->order->id, Reader(ann_), "tok_mastercard", "", FreshKey(ann_), actor_, {});
      ASSERT_TRUE(r.ok()) << Describe(r);
    }
    ASSERT_TRUE(r->order && r->payment);
    auto order = orders_.Get(r->order->id, Reader(ann_));
    auto payment = orders_.GetPayment(r->payment->id);
    ASSERT_TRUE(order.ok() && payment.ok());
    EXPECT_EQ(ToJson(*r->order).dump(), ToJson(*order).dump()) << first;
    EXPECT_EQ(ToJson(*r->payment).dump(), ToJson(*payment).dump()) << first;
    auto events = Events("payment.captured", order->id);
    ASSERT_EQ(events.size(), 1u) << first;
    EXPECT_EQ(events[0].payload["order"].dump(), ToJson(*order).dump()) << first;
    EXPECT_EQ(events[0].payload["payment"].dump(), ToJson(*payment).dump()) << first;
  }
}

TEST_P(OrderServiceTest, ADeclineStoresItsRenderedAnswerToo) {
  std::string cart = AnnsCart();
  auto key = FreshKey(ann_);
  Responder respond = [&](const OrderOutcome& o) -> std::optional<store::StoredResponse> {
    return store::StoredResponse{402, "declined " + o.payment->failure_code.value_or("")};
  };
  auto r = orders_.Checkout(cart, Holder(ann_), Input("tok_chargeDeclined"), key, actor_, respond);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_TRUE(r->response_stored);
  EXPECT_EQ(r->order->payment_status, PaymentStatus::kFailed);
  auto tx = db_->Begin(store::TxMode::kRead);
  auto stored = store::PeekIdempotencyKey(*tx, key, *clock_);
  ASSERT_EQ(stored.kind, store::IdempotencyClaim::Kind::kReplay);
  EXPECT_EQ(stored.response.status, 402);
  EXPECT_EQ(stored.response.body, "declined " + r->payment->failure_code.value_or("?"));
}

TEST_P(OrderServiceTest, AnAnswerTheResponderDoesNotKeepLeavesTheKeyRunning) {
  std::string cart = AnnsCart();
  auto key = FreshKey(ann_);
  Responder keep_nothing = [](const OrderOutcome&) -> std::optional<store::StoredResponse> { return std::nullopt; };
  auto r = orders_.Checkout(cart, Holder(ann_), Input("tok_visa"), key, actor_, keep_nothing);
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_FALSE(r->response_stored);
  EXPECT_EQ(r->order->payment_status, PaymentStatus::kPaid);
  // The caller still owns the key: a retry now is told the first is running.
  auto tx = db_->Begin(store::TxMode::kRead);
  EXPECT_EQ(store::PeekIdempotencyKey(*tx, key, *clock_).kind, store::IdempotencyClaim::Kind::kInProgress);
}

TEST_P(OrderServiceTest, AnotherPaymentStoresItsRenderedAnswerWithTheCharge) {
  std::string cart = AnnsCart();
  auto declined = CheckoutCart(cart, ann_, "tok_chargeDeclined", FreshKey(ann_));
  ASSERT_TRUE(declined.ok()) << Describe(declined);
  auto key = FreshKey(ann_);
  Responder respond = [&](const OrderOutcome& o) -> std::optional<store::StoredResponse> {
    return store::StoredResponse{201, o.payment->id};
  };
  auto paid = orders_.Pay(declined->order->id, Reader(ann_), "tok_visa", "", key, actor_, respond);
  ASSERT_TRUE(paid.ok()) << Describe(paid);
  EXPECT_TRUE(paid->response_stored);
  EXPECT_EQ(paid->order->payment_status, PaymentStatus::kPaid);
  auto tx = db_->Begin(store::TxMode::kRead);
  auto stored = store::PeekIdempotencyKey(*tx, key, *clock_);
  ASSERT_EQ(stored.kind, store::IdempotencyClaim::Kind::kReplay);
  EXPECT_EQ(stored.response.body, paid->payment->id);
}

TEST_P(OrderServiceTest, CheckoutValidatesItsInput) {
  std::string cart = AnnsCart();
  CheckoutInput bad = Input("tok_visa");
  bad.email = "not-an-email";
  auto r = orders_.Checkout(cart, Holder(ann_), bad, FreshKey(ann_), actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto no_token = orders_.Checkout(cart, Holder(ann_), Input(""), FreshKey(ann_), actor_);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code, ErrorCode::kInvalidArgument);
  CheckoutInput gw = Input("tok_visa");
  gw.gateway = "stripe";
  auto no_gateway = orders_.Checkout(cart, Holder(ann_), gw, FreshKey(ann_), actor_);
  ASSERT_FALSE(no_gateway.ok());
  EXPECT_EQ(no_gateway.error().code, ErrorCode::kInvalidArgument);
  auto empty_cart = CheckoutCart(NewCustomerCart(bob_), bob_, "tok_visa", FreshKey(bob_));
  ASSERT_FALSE(empty_cart.ok());
  EXPECT_EQ(empty_cart.error().reason, "cart_empty");
  auto not_hers = CheckoutCart(cart, bob_, "tok_visa", FreshKey(bob_));
  ASSERT_FALSE(not_hers.ok());
  EXPECT_EQ(not_hers.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
}

TEST_P(OrderServiceTest, ARawCardNumberIsNeverAcceptedNorStoredAsAToken) {
  std::string cart = AnnsCart();
  const std::string pan = "4242424242424242";
  auto r = CheckoutCart(cart, ann_, pan, FreshKey(ann_));
  EXPECT_FALSE(r.ok()) << "a raw card number was accepted as a payment token";
  if (!r.ok()) {
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << Describe(r.error());
  }
  // Whatever the answer, the number is kept nowhere, not even sealed.
  auto tx = db_->Begin(store::TxMode::kRead);
  auto rows = tx->Query("SELECT id, details FROM payments");
  while (rows->Next()) {
    if (rows->IsNull(1)) continue;
    auto plain = vault_.Open(rows->View(1), rows->View(0));
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(plain->find(pan), std::string::npos) << "payment " << rows->Text(0) << " keeps the card number";
  }
}

TEST_P(OrderServiceTest, ADeclineLeavesTheOrderUnpaidWithItsStockHeldThenPayWorks) {
  std::string cart = AnnsCart();
  auto r = CheckoutCart(cart, ann_, "tok_chargeDeclined", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);  // a decline is an outcome, not an error
  ASSERT_TRUE(r->order && r->payment);
  EXPECT_EQ(r->payment->status, "failed");
  EXPECT_EQ(r->payment->failure_code, std::optional<std::string>("card_declined"));
  Order o = GetOrder(r->order->id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(o.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(o.payment_failure, std::optional<std::string>("card_declined"));
  EXPECT_EQ(o.amount_captured, 0);
  EXPECT_EQ(o.stock_state, "reserved");
  EXPECT_EQ(ReservedFor(o.id), 3);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 0);
  EXPECT_EQ(Events("payment.failed", o.id).size(), 1u);
  EXPECT_TRUE(Events("payment.captured", o.id).empty());

  // Another customer cannot pay (or see) it.
  auto stranger = orders_.Pay(o.id, Reader(bob_), "tok_visa", "", FreshKey(bob_), actor_);
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, ErrorCode::kNotFound);

  auto paid = orders_.Pay(o.id, Reader(ann_), "tok_visa", "", FreshKey(ann_), actor_);
  ASSERT_TRUE(paid.ok()) << Describe(paid);
  EXPECT_EQ(paid->claim.kind, Kind::kClaimed);
  ASSERT_TRUE(paid->order && paid->payment);
  EXPECT_NE(paid->payment->id, r->payment->id);
  EXPECT_EQ(paid->payment->status, "captured");
  EXPECT_EQ(paid->payment->last4, "4242");
  Order after = GetOrder(o.id);
  EXPECT_EQ(after.status, OrderStatus::kConfirmed);
  EXPECT_EQ(after.payment_status, PaymentStatus::kPaid);
  EXPECT_FALSE(after.payment_failure.has_value());
  EXPECT_EQ(after.amount_captured, 4900);
  EXPECT_EQ(ReservedFor(o.id), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations WHERE order_id = $1 AND expires_at IS NULL", {o.id}), 2);
  EXPECT_EQ(PaymentsOf(o.id).size(), 2u);
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 1);

  auto twice = orders_.Pay(o.id, Reader(ann_), "tok_visa", "", FreshKey(ann_), actor_);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().reason, "already_paid");
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 1);
}

TEST_P(OrderServiceTest, InsufficientFundsIsADecline) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_insufficientFunds", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r->payment->status, "failed");
  EXPECT_EQ(r->payment->failure_code, std::optional<std::string>("insufficient_funds"));
  EXPECT_TRUE(r->payment->failure_message.has_value());
  Order o = GetOrder(r->order->id);
  EXPECT_EQ(o.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(o.payment_failure, std::optional<std::string>("insufficient_funds"));
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 0);
}

TEST_P(OrderServiceTest, ConfirmationArrivesByWebhookOnce) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_requiresConfirmation", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r->payment->status, "requires_confirmation");
  std::string order_id = r->order->id, payment_id = r->payment->id;
  Order o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPending);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 0);

  clock_->Advance(std::chrono::seconds(30));
  auto first = DeliverWebhook("evt_1", payment_id, true);
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_TRUE(*first);
  o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kConfirmed);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(o.amount_captured, 4900);
  auto p = orders_.GetPayment(payment_id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->status, "captured");
  EXPECT_EQ(p->last4, "3155");

  auto second = DeliverWebhook("evt_1", payment_id, true);
  ASSERT_TRUE(second.ok()) << Describe(second);
  EXPECT_FALSE(*second);
  // Another event id for the same capture changes nothing either.
  auto other = DeliverWebhook("evt_2", payment_id, true);
  ASSERT_TRUE(other.ok()) << Describe(other);
  o = GetOrder(order_id);
  EXPECT_EQ(o.amount_captured, 4900);
  EXPECT_EQ(o.amount_refunded, 0);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  EXPECT_EQ(Events("payment.captured", order_id).size(), 1u);
  EXPECT_TRUE(RefundsOf(order_id).empty());
}

TEST_P(OrderServiceTest, AFailedConfirmationWebhookDeclines) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_requiresConfirmation", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  auto hook = DeliverWebhook("evt_f", r->payment->id, false);
  ASSERT_TRUE(hook.ok()) << Describe(hook);
  EXPECT_TRUE(*hook);
  Order o = GetOrder(r->order->id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(o.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(o.payment_failure, std::optional<std::string>("card_declined"));
  EXPECT_EQ(orders_.GetPayment(r->payment->id)->status, "failed");
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 0);
}

TEST_P(OrderServiceTest, AWebhookWithABadSignatureIsRefused) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_requiresConfirmation", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  std::string body = payments::ConfirmationWebhookBody("evt_bad", r->payment->id, true);

  auto wrong_secret = orders_.HandleWebhook("test", payments::SignWebhook(body, "not-the-secret", UnixNow()), body);
  ASSERT_FALSE(wrong_secret.ok());
  EXPECT_EQ(wrong_secret.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong_secret.error().reason, "invalid_signature");

  std::string other_body = payments::ConfirmationWebhookBody("evt_bad", r->payment->id, false);
  auto tampered = orders_.HandleWebhook("test", payments::SignWebhook(other_body, kSecret, UnixNow()), body);
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().code, ErrorCode::kUnauthenticated);

  auto stale = orders_.HandleWebhook("test", payments::SignWebhook(body, kSecret, UnixNow() - 3600), body);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kUnauthenticated);

  auto garbage = orders_.HandleWebhook("test", "t=1,v1=00", body);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, ErrorCode::kUnauthenticated);

  auto unknown_gateway = orders_.HandleWebhook("stripe", payments::SignWebhook(body, kSecret, UnixNow()), body);
  ASSERT_FALSE(unknown_gateway.ok());
  EXPECT_EQ(unknown_gateway.error().code, ErrorCode::kNotFound);

  Order o = GetOrder(r->order->id);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPending);
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_events"), 0);
  // The genuine one still goes through afterwards.
  auto good = orders_.HandleWebhook("test", payments::SignWebhook(body, kSecret, UnixNow()), body);
  ASSERT_TRUE(good.ok()) << Describe(good);
  EXPECT_TRUE(*good);
  EXPECT_EQ(GetOrder(o.id).payment_status, PaymentStatus::kPaid);
}

TEST_P(OrderServiceTest, ALostCaptureAnswerIsSettledOnceAndARetryChargesNothing) {
  auto key = Key("customer:" + ann_, "k-timeout");
  std::string cart = AnnsCart();
  auto r = CheckoutCart(cart, ann_, "tok_captureTimeout", key);
  ASSERT_TRUE(r.ok()) << Describe(r);
  ASSERT_TRUE(r->order && r->payment);
  std::string order_id = r->order->id;
  EXPECT_EQ(r->payment->status, "captured");
  Order o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kConfirmed);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(o.amount_captured, 4900);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);

  // The client never heard back (its HTTP response was lost too) and retries
  // with the same key: at first the claim is still leased...
  auto retry = CheckoutCart(cart, ann_, "tok_captureTimeout", key);
  ASSERT_TRUE(retry.ok()) << Describe(retry);
  EXPECT_EQ(retry->claim.kind, Kind::kInProgress);
  EXPECT_FALSE(retry->order.has_value());
  // ...and after the lease the retry takes over and finishes the same order.
  clock_->Advance(store::kIdempotencyLease + std::chrono::seconds(1));
  auto resumed = CheckoutCart(cart, ann_, "tok_captureTimeout", key);
  ASSERT_TRUE(resumed.ok()) << Describe(resumed);
  EXPECT_EQ(resumed->claim.kind, Kind::kTakenOver);
  ASSERT_TRUE(resumed->order.has_value());
  EXPECT_EQ(resumed->order->id, order_id);
  EXPECT_EQ(resumed->order->payment_status, PaymentStatus::kPaid);
  ASSERT_TRUE(resumed->payment.has_value());
  EXPECT_EQ(resumed->payment->id, r->payment->id);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  EXPECT_EQ(PaymentsOf(order_id).size(), 1u);
  EXPECT_EQ(GetOrder(order_id).amount_captured, 4900);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM test_gateway_charges"), 1);
}

TEST_P(OrderServiceTest, AnUnreachableGatewayLeavesThePaymentUnsettledAndSweepDoesNotCharge) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_gatewayDown", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  ASSERT_TRUE(r->order && r->payment);
  std::string order_id = r->order->id;
  EXPECT_TRUE(r->payment->status == "unknown" || r->payment->status == "pending") << r->payment->status;
  Order o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPending);
  EXPECT_EQ(ReservedFor(order_id), 3);

  clock_->Advance(order_options_.settle_after + std::chrono::seconds(5));
  SweepReport report = orders_.Sweep();
  EXPECT_EQ(report.payments_settled, 0);
  EXPECT_EQ(report.orders_expired, 0);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM test_gateway_charges"), 0);
  o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kPending);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPending);
  EXPECT_EQ(o.amount_captured, 0);
  auto p = orders_.GetPayment(r->payment->id);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->status == "unknown" || p->status == "pending") << p->status;
  EXPECT_EQ(ReservedFor(order_id), 3);
}

TEST_P(OrderServiceTest, APriceChangeStopsCheckoutAndRepricesTheCart) {
  std::string cart = AnnsCart();
  SetPrice("MUG-1", 1500);
  auto key = FreshKey(ann_);
  auto r = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "price_changed");
  bool named = false;
  for (const auto& f : r.error().fields) named = named || f.field == "MUG-1";
  EXPECT_TRUE(named) << Describe(r.error());

  // Nothing was placed or held, and the key was not spent.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations"), 0);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
  EXPECT_EQ(Level("TEE-1").reserved, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM idempotency_keys"), 0);

  // The cart now shows the new price.
  auto shown = carts_.Get(cart, Holder(ann_));
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->status, "open");
  ASSERT_EQ(shown->lines.size(), 2u);
  EXPECT_EQ(shown->lines[0].unit_price, 1500);
  EXPECT_FALSE(shown->lines[0].price_changed);
  EXPECT_EQ(shown->lines[1].unit_price, 2500);
  EXPECT_EQ(shown->totals.subtotal, 5500);

  // Checking out again charges the new price.
  auto again = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(again.ok()) << Describe(again);
  EXPECT_EQ(again->order->totals.grand_total, 5500);
  EXPECT_EQ(again->order->amount_captured, 5500);
}

TEST_P(OrderServiceTest, StockShortOnOneLineHoldsNothing) {
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "MUG-1", 2);
  Add(cart, Holder(ann_), "TEE-1", 3);
  // TEE-1 runs short after it was added to the cart (its variant sorts after
  // MUG-1's, so MUG-1 was already held when TEE-1 fails).
  ASSERT_TRUE(inventory_.Adjust({"TEE-1", -3, StockReason::kDamaged, "", ""}, actor_).ok());
  auto r = CheckoutCart(cart, ann_, "tok_visa", FreshKey(ann_));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "insufficient_stock");
  EXPECT_EQ(Level("MUG-1").reserved, 0);
  EXPECT_EQ(Level("TEE-1").reserved, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservations"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM test_gateway_charges"), 0);
  EXPECT_TRUE(Events("order.placed").empty());
  EXPECT_EQ(carts_.Get(cart, Holder(ann_))->status, "open");
  // With the stock back, the same cart checks out.
  ASSERT_TRUE(inventory_.Adjust({"TEE-1", 1, StockReason::kReceived, "", ""}, actor_).ok());
  auto ok = CheckoutCart(cart, ann_, "tok_visa", FreshKey(ann_));
  ASSERT_TRUE(ok.ok()) << Describe(ok);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
  EXPECT_EQ(Level("TEE-1").reserved, 3);
  EXPECT_EQ(Level("TEE-1").available, 0);
}

TEST_P(OrderServiceTest, TheSameKeyIsInProgressThenReplayedAndAnotherBodyIsAMismatch) {
  std::string cart = AnnsCart();
  auto key = Key("customer:" + ann_, "k-idem", "fingerprint-A");
  auto first = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_EQ(first->claim.kind, Kind::kClaimed);
  std::string order_id = first->order->id;

  // The HTTP layer has not stored the response yet.
  auto running = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(running.ok()) << Describe(running);
  EXPECT_EQ(running->claim.kind, Kind::kInProgress);
  EXPECT_FALSE(running->order.has_value());

  store::StoreIdempotentResponse(*db_, key, {201, R"({"id":")" + order_id + R"("})"}, *clock_);
  auto replay = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(replay.ok()) << Describe(replay);
  EXPECT_EQ(replay->claim.kind, Kind::kReplay);
  EXPECT_EQ(replay->claim.response.status, 201);
  EXPECT_NE(replay->claim.response.body.find(order_id), std::string::npos);
  EXPECT_FALSE(replay->order.has_value());

  auto other_body = Key("customer:" + ann_, "k-idem", "fingerprint-B");
  auto mismatch = CheckoutCart(cart, ann_, "tok_visa", other_body);
  ASSERT_TRUE(mismatch.ok()) << Describe(mismatch);
  EXPECT_EQ(mismatch->claim.kind, Kind::kMismatch);

  // The same key in another caller's scope is another key.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
}

TEST_P(OrderServiceTest, ARetryAfterTheLeaseFinishesTheFirstAttemptsOrder) {
  std::string cart = AnnsCart();
  auto key = Key("customer:" + ann_, "k-lease");
  auto first = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(first.ok()) << Describe(first);
  std::string order_id = first->order->id;

  clock_->Advance(store::kIdempotencyLease + std::chrono::seconds(1));
  auto resumed = CheckoutCart(cart, ann_, "tok_visa", key);
  ASSERT_TRUE(resumed.ok()) << Describe(resumed);
  EXPECT_EQ(resumed->claim.kind, Kind::kTakenOver);
  ASSERT_TRUE(resumed->order.has_value());
  EXPECT_EQ(resumed->order->id, order_id);
  EXPECT_EQ(resumed->order->payment_status, PaymentStatus::kPaid);
  ASSERT_TRUE(resumed->payment.has_value());
  EXPECT_EQ(resumed->payment->id, first->payment->id);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM payments"), 1);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  EXPECT_EQ(Level("MUG-1").reserved, 2);

  // A released claim (a 5xx) may be taken over at once.
  std::string cart2 = NewCustomerCart(bob_);
  Add(cart2, Holder(bob_), "TEE-1", 1);
  auto key2 = Key("customer:" + bob_, "k-release");
  auto placed = CheckoutCart(cart2, bob_, "tok_chargeDeclined", key2);
  ASSERT_TRUE(placed.ok()) << Describe(placed);
  store::ReleaseIdempotencyKey(*db_, key2);
  auto taken = CheckoutCart(cart2, bob_, "tok_chargeDeclined", key2);
  ASSERT_TRUE(taken.ok()) << Describe(taken);
  EXPECT_EQ(taken->claim.kind, Kind::kTakenOver);
  ASSERT_TRUE(taken->order.has_value());
  EXPECT_EQ(taken->order->id, placed->order->id);
  EXPECT_EQ(taken->order->payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(PaymentsOf(placed->order->id).size(), 1u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM test_gateway_charges WHERE order_id = $1", {placed->order->id}), 1);
}

// ---- Lifecycle -----------------------------------------------------------------

TEST_P(OrderServiceTest, FulfilTurnsTheReservationIntoSoldLedgerRows) {
  Order o = PlaceOrder(ann_, "MUG-1", 2);
  ASSERT_EQ(o.status, OrderStatus::kConfirmed);
  EXPECT_EQ(Level("MUG-1").reserved, 2);

  auto f = orders_.Fulfil(o.id, Actor{"staff"});
  ASSERT_TRUE(f.ok()) << Describe(f);
  EXPECT_EQ(f->status, OrderStatus::kFulfilled);
  EXPECT_EQ(f->stock_state, "sold");
  auto level = Level("MUG-1");
  EXPECT_EQ(level.on_hand, 8);
  EXPECT_EQ(level.reserved, 0);
  EXPECT_EQ(level.available, 8);
  EXPECT_EQ(ReservedFor(o.id), 0);
  auto history = inventory_.History("MUG-1", 10, "");
  ASSERT_TRUE(history.ok());
  ASSERT_GE(history->items.size(), 2u);
  const auto& sold = history->items[0];
  EXPECT_EQ(sold.reason, StockReason::kSold);
  EXPECT_EQ(sold.delta, -2);
  EXPECT_EQ(sold.reference, o.id);
  EXPECT_EQ(sold.on_hand_after, 8);
  EXPECT_EQ(sold.actor, "staff");
  // The ledger still sums to on-hand.
  EXPECT_EQ(Count("SELECT SUM(delta) FROM stock_ledger WHERE variant_id = $1", {mug_}), 8);
  EXPECT_EQ(Events("order.fulfilled", o.id).size(), 1u);

  ExpectInvalidTransition(AsStatus(orders_.Fulfil(o.id, actor_)), "fulfilled");
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
}

TEST_P(OrderServiceTest, ShipFromConfirmedFulfilsToo) {
  Order o = PlaceOrder(ann_, "MUG-1", 3);
  auto bad = orders_.Ship(o.id, {"", "1Z999", ""}, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  auto bad_url = orders_.Ship(o.id, {"UPS", "1Z999", "ftp://x"}, actor_);
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().code, ErrorCode::kInvalidArgument);

  auto s = orders_.Ship(o.id, {"UPS", "1Z999", "https://ups.example/1Z999"}, Actor{"staff"});
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(s->status, OrderStatus::kShipped);
  EXPECT_EQ(s->stock_state, "sold");
  Order stored = GetOrder(o.id);
  EXPECT_EQ(stored.carrier, std::optional<std::string>("UPS"));
  EXPECT_EQ(stored.tracking_number, std::optional<std::string>("1Z999"));
  EXPECT_EQ(stored.tracking_url, std::optional<std::string>("https://ups.example/1Z999"));
  auto level = Level("MUG-1");
  EXPECT_EQ(level.on_hand, 7);
  EXPECT_EQ(level.reserved, 0);
  auto history = inventory_.History("MUG-1", 10, "");
  EXPECT_EQ(history->items[0].reason, StockReason::kSold);
  EXPECT_EQ(history->items[0].delta, -3);
  EXPECT_EQ(Events("order.shipped", o.id).size(), 1u);

  auto d = orders_.Deliver(o.id, actor_);
  ASSERT_TRUE(d.ok()) << Describe(d);
  EXPECT_EQ(d->status, OrderStatus::kDelivered);
  EXPECT_EQ(GetOrder(o.id).status, OrderStatus::kDelivered);
  EXPECT_EQ(Events("order.delivered", o.id).size(), 1u);
  EXPECT_EQ(Level("MUG-1").on_hand, 7);

  // Shipping a fulfilled order sells nothing more.
  Order o2 = PlaceOrder(bob_, "MUG-1", 1);
  ASSERT_TRUE(orders_.Fulfil(o2.id, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 6);
  ASSERT_TRUE(orders_.Ship(o2.id, {"DHL", "JD0001", ""}, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 6);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
}

TEST_P(OrderServiceTest, InvalidTransitionsNameTheCurrentState) {
  Order confirmed = PlaceOrder(ann_, "MUG-1", 1);
  ExpectInvalidTransition(AsStatus(orders_.Deliver(confirmed.id, actor_)), "confirmed");

  Order pending = PlaceOrder(ann_, "MUG-1", 1, "tok_chargeDeclined");
  ASSERT_EQ(pending.status, OrderStatus::kPending);
  ExpectInvalidTransition(AsStatus(orders_.Fulfil(pending.id, actor_)), "pending");
  ExpectInvalidTransition(AsStatus(orders_.Ship(pending.id, {"UPS", "1", ""}, actor_)), "pending");
  ExpectInvalidTransition(AsStatus(orders_.Deliver(pending.id, actor_)), "pending");
  EXPECT_EQ(Level("MUG-1").on_hand, 10);

  ASSERT_TRUE(orders_.Ship(confirmed.id, {"UPS", "1", ""}, actor_).ok());
  ExpectInvalidTransition(AsStatus(orders_.Fulfil(confirmed.id, actor_)), "shipped");
  ExpectInvalidTransition(AsStatus(CancelOrder(confirmed.id)), "shipped");
  ASSERT_TRUE(orders_.Deliver(confirmed.id, actor_).ok());
  ExpectInvalidTransition(AsStatus(orders_.Ship(confirmed.id, {"UPS", "2", ""}, actor_)), "delivered");
  ExpectInvalidTransition(AsStatus(CancelOrder(confirmed.id)), "delivered");

  ASSERT_TRUE(CancelOrder(pending.id).ok());
  ExpectInvalidTransition(AsStatus(CancelOrder(pending.id)), "cancelled");
  ExpectInvalidTransition(AsStatus(orders_.Fulfil(pending.id, actor_)), "cancelled");

  auto missing = orders_.Fulfil("ord_missing", actor_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(OrderServiceTest, TheTransitionTablesAreThoseOfTheDesign) {
  using O = OrderStatus;
  using P = PaymentStatus;
  EXPECT_TRUE(CanTransition(O::kPending, O::kConfirmed));
  EXPECT_TRUE(CanTransition(O::kConfirmed, O::kFulfilled));
  EXPECT_TRUE(CanTransition(O::kFulfilled, O::kShipped));
  EXPECT_TRUE(CanTransition(O::kShipped, O::kDelivered));
  EXPECT_TRUE(CanTransition(O::kPending, O::kCancelled));
  EXPECT_FALSE(CanTransition(O::kShipped, O::kCancelled));
  EXPECT_FALSE(CanTransition(O::kDelivered, O::kCancelled));
  EXPECT_FALSE(CanTransition(O::kPending, O::kShipped));
  EXPECT_FALSE(CanTransition(O::kDelivered, O::kShipped));
  EXPECT_TRUE(CanTransition(P::kPending, P::kPaid));
  EXPECT_TRUE(CanTransition(P::kPending, P::kFailed));
  EXPECT_TRUE(CanTransition(P::kPaid, P::kPartiallyRefunded));
  EXPECT_TRUE(CanTransition(P::kPartiallyRefunded, P::kRefunded));
  EXPECT_FALSE(CanTransition(P::kRefunded, P::kPaid));
  EXPECT_FALSE(CanTransition(P::kPending, P::kRefunded));
  auto s = CheckTransition(P::kRefunded, P::kPaid);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, "invalid_transition");
  EXPECT_NE(s.error().message.find("refunded"), std::string::npos);
  for (auto st : {O::kPending, O::kConfirmed, O::kFulfilled, O::kShipped, O::kDelivered, O::kCancelled})
    EXPECT_EQ(ParseOrderStatus(ToString(st)), st);
  for (auto st : {P::kPending, P::kPaid, P::kFailed, P::kPartiallyRefunded, P::kRefunded})
    EXPECT_EQ(ParsePaymentStatus(ToString(st)), st);
  EXPECT_FALSE(ParseOrderStatus("lost").has_value());
}

TEST_P(OrderServiceTest, CancellingAnUnpaidOrderReleasesItsStock) {
  Order o = PlaceOrder(ann_, "TEE-1", 4, "tok_chargeDeclined");
  EXPECT_EQ(Level("TEE-1").reserved, 4);
  auto c = CancelOrder(o.id, "changed my mind");
  ASSERT_TRUE(c.ok()) << Describe(c);
  EXPECT_EQ(c->claim.kind, Kind::kClaimed);
  ASSERT_TRUE(c->order.has_value());
  EXPECT_FALSE(c->refund.has_value());
  Order after = GetOrder(o.id);
  EXPECT_EQ(after.status, OrderStatus::kCancelled);
  EXPECT_EQ(after.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(after.stock_state, "released");
  EXPECT_EQ(after.cancel_reason, std::optional<std::string>("changed my mind"));
  EXPECT_EQ(Level("TEE-1").reserved, 0);
  EXPECT_EQ(Level("TEE-1").available, 5);
  EXPECT_EQ(Level("TEE-1").on_hand, 5);
  EXPECT_EQ(ReservedFor(o.id), 0);
  EXPECT_TRUE(RefundsOf(o.id).empty());
  EXPECT_EQ(Events("order.cancelled", o.id).size(), 1u);
  // A cancelled order cannot be paid any more.
  auto pay = orders_.Pay(o.id, Reader(ann_), "tok_visa", "", FreshKey(ann_), actor_);
  ASSERT_FALSE(pay.ok());
  EXPECT_EQ(payments::CountCaptures(*db_, o.id), 0);
}

TEST_P(OrderServiceTest, CancellingAPaidOrderRefundsIt) {
  std::string cart = AnnsCart();
  auto placed = CheckoutCart(cart, ann_, "tok_visa", FreshKey(ann_));
  ASSERT_TRUE(placed.ok()) << Describe(placed);
  std::string id = placed->order->id;
  auto c = CancelOrder(id);
  ASSERT_TRUE(c.ok()) << Describe(c);
  ASSERT_TRUE(c->refund.has_value());
  EXPECT_EQ(c->refund->status, "succeeded");
  EXPECT_EQ(c->refund->amount, (Money{4900, "USD"}));
  Order o = GetOrder(id);
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
  EXPECT_EQ(o.payment_status, PaymentStatus::kRefunded);
  EXPECT_EQ(o.amount_captured, 4900);
  EXPECT_EQ(o.amount_refunded, 4900);
  EXPECT_EQ(o.stock_state, "released");
  EXPECT_EQ(Level("MUG-1").reserved, 0);
  EXPECT_EQ(Level("TEE-1").reserved, 0);
  auto refunds = RefundsOf(id);
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].status, "succeeded");
  EXPECT_EQ(refunds[0].payment_id, placed->payment->id);
  EXPECT_FALSE(refunds[0].reference.empty());
  EXPECT_EQ(GatewayRefunded(id), 4900);
  EXPECT_EQ(Events("payment.refunded", id).size(), 1u);
}

TEST_P(OrderServiceTest, CancellingAFulfilledOrderReturnsItsStock) {
  Order o = PlaceOrder(ann_, "MUG-1", 2);
  ASSERT_TRUE(orders_.Fulfil(o.id, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
  auto c = CancelOrder(o.id);
  ASSERT_TRUE(c.ok()) << Describe(c);
  EXPECT_EQ(Level("MUG-1").on_hand, 10);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
  auto history = inventory_.History("MUG-1", 10, "");
  EXPECT_EQ(history->items[0].reason, StockReason::kReturned);
  EXPECT_EQ(history->items[0].delta, 2);
  EXPECT_EQ(history->items[0].reference, o.id);
  EXPECT_EQ(GetOrder(o.id).payment_status, PaymentStatus::kRefunded);
}

TEST_P(OrderServiceTest, BackorderStockComesBackWhenAFulfilledOrderIsCancelled) {
  MakeProduct("PRE-1", 900, 1, {.policy = catalog::InventoryPolicy::kContinue});
  Order o = PlaceOrder(ann_, "PRE-1", 3);
  ASSERT_EQ(o.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(Level("PRE-1").reserved, 3);
  Order stored = GetOrder(o.id);
  ASSERT_EQ(stored.lines.size(), 1u);
  EXPECT_TRUE(stored.lines[0].tracked) << "a backorder variant's stock is tracked";
  ASSERT_TRUE(orders_.Fulfil(o.id, actor_).ok());
  EXPECT_EQ(Level("PRE-1").on_hand, -2);
  ASSERT_TRUE(CancelOrder(o.id).ok());
  EXPECT_EQ(Level("PRE-1").on_hand, 1) << "the 3 sold units were not returned to stock";
}

TEST_P(OrderServiceTest, PartialRefundsThenAnOverRefundIsRefused) {
  Order o = PlaceOrder(ann_, "TEE-1", 2);  // 5000
  ASSERT_EQ(o.amount_captured, 5000);
  auto r1 = RefundOrder(o.id, 1000);
  ASSERT_TRUE(r1.ok()) << Describe(r1);
  ASSERT_TRUE(r1->refund.has_value());
  EXPECT_EQ(r1->refund->status, "succeeded");
  EXPECT_EQ(r1->refund->amount.amount, 1000);
  EXPECT_EQ(r1->order->payment_status, PaymentStatus::kPartiallyRefunded);
  EXPECT_EQ(r1->order->amount_refunded, 1000);
  auto r2 = RefundOrder(o.id, 2000);
  ASSERT_TRUE(r2.ok()) << Describe(r2);
  EXPECT_EQ(r2->order->payment_status, PaymentStatus::kPartiallyRefunded);
  EXPECT_EQ(r2->order->amount_refunded, 3000);

  auto over = RefundOrder(o.id, 2001);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(over.error().reason, "refund_exceeds_captured");
  EXPECT_EQ(GetOrder(o.id).amount_refunded, 3000);
  EXPECT_EQ(RefundsOf(o.id).size(), 2u);

  EXPECT_EQ(RefundOrder(o.id, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(RefundOrder(o.id, -5).error().code, ErrorCode::kInvalidArgument);

  auto rest = RefundOrder(o.id, std::nullopt);
  ASSERT_TRUE(rest.ok()) << Describe(rest);
  EXPECT_EQ(rest->refund->amount.amount, 2000);
  Order after = GetOrder(o.id);
  EXPECT_EQ(after.payment_status, PaymentStatus::kRefunded);
  EXPECT_EQ(after.amount_refunded, 5000);
  EXPECT_EQ(GatewayRefunded(o.id), 5000);
  auto nothing_left = RefundOrder(o.id, 1);
  ASSERT_FALSE(nothing_left.ok());
  EXPECT_EQ(nothing_left.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(GetOrder(o.id).amount_refunded, 5000);
}

TEST_P(OrderServiceTest, AnUnpaidOrderHasNothingToRefund) {
  Order o = PlaceOrder(ann_, "TEE-1", 1, "tok_chargeDeclined");
  auto r = RefundOrder(o.id, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "invalid_transition");
  EXPECT_NE(r.error().message.find("failed"), std::string::npos) << Describe(r.error());
}

TEST_P(OrderServiceTest, ARefundIsMadeOncePerIdempotencyKey) {
  Order o = PlaceOrder(ann_, "TEE-1", 2);
  auto key = Key("apikey:staff", "refund-1", "fp-refund-1");
  RefundInput in;
  in.amount = 1000;
  auto first = orders_.IssueRefund(o.id, in, key, actor_);
  ASSERT_TRUE(first.ok()) << Describe(first);
  EXPECT_EQ(first->claim.kind, Kind::kClaimed);
  auto running = orders_.IssueRefund(o.id, in, key, actor_);
  ASSERT_TRUE(running.ok()) << Describe(running);
  EXPECT_EQ(running->claim.kind, Kind::kInProgress);
  clock_->Advance(store::kIdempotencyLease + std::chrono::seconds(1));
  auto resumed = orders_.IssueRefund(o.id, in, key, actor_);
  ASSERT_TRUE(resumed.ok()) << Describe(resumed);
  EXPECT_EQ(resumed->claim.kind, Kind::kTakenOver);
  ASSERT_TRUE(resumed->refund.has_value());
  EXPECT_EQ(resumed->refund->id, first->refund->id);
  auto mismatch = orders_.IssueRefund(o.id, in, Key("apikey:staff", "refund-1", "fp-other"), actor_);
  ASSERT_TRUE(mismatch.ok()) << Describe(mismatch);
  EXPECT_EQ(mismatch->claim.kind, Kind::kMismatch);
  EXPECT_EQ(RefundsOf(o.id).size(), 1u);
  EXPECT_EQ(GetOrder(o.id).amount_refunded, 1000);
  EXPECT_EQ(GatewayRefunded(o.id), 1000);
}

TEST_P(OrderServiceTest, ConcurrentRefundsNeverExceedWhatWasCaptured) {
  MakeProduct("BIG-1", 10000, 5);
  Order o = PlaceOrder(ann_, "BIG-1", 1);
  ASSERT_EQ(o.amount_captured, 10000);
  constexpr int kThreads = 8;
  std::mutex mu;
  std::map<std::string, int> outcomes;  // "ok" or the error reason
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      RefundInput in;
      in.amount = 3000;  // 30 %
      in.reason = "thread " + std::to_string(t);
      auto r = orders_.IssueRefund(o.id, in, Key("apikey:staff", "concurrent-" + std::to_string(t)), actor_);
      std::string what = r.ok() ? (r->refund ? "ok:" + r->refund->status : "ok:no-refund") : r.error().reason;
      std::lock_guard lock(mu);
      ++outcomes[what];
    });
  for (auto& t : threads) t.join();

  std::string summary;
  for (const auto& [k, v] : outcomes) summary += k + "=" + std::to_string(v) + " ";

  // The invariant: never more than captured, in the order, the payment and at the gateway.
  Order after = GetOrder(o.id);
  EXPECT_LE(after.amount_refunded, 10000) << summary;
  EXPECT_LE(GatewayRefunded(o.id), 10000) << summary;
  std::int64_t succeeded = 0, pending = 0;
  for (const auto& r : RefundsOf(o.id)) {
    if (r.status == "succeeded") succeeded += r.amount.amount;
    if (r.status == "pending") pending += r.amount.amount;
  }
  EXPECT_LE(succeeded + pending, 10000) << summary;

  // Each caller heard the truth: three refunds went through, five were refused.
  EXPECT_EQ(outcomes["ok:succeeded"], 3) << summary;
  EXPECT_EQ(outcomes["refund_exceeds_captured"], 5) << summary;
  EXPECT_EQ(after.amount_refunded, 9000) << summary;
  EXPECT_EQ(succeeded, 9000) << summary;
  EXPECT_EQ(pending, 0) << summary;
  EXPECT_EQ(GatewayRefunded(o.id), 9000) << summary;
  EXPECT_EQ(after.payment_status, PaymentStatus::kPartiallyRefunded) << summary;

  // Whatever was left pending is settled by the sweep, still within the capture.
  clock_->Advance(order_options_.settle_after + std::chrono::seconds(1));
  orders_.Sweep();
  after = GetOrder(o.id);
  succeeded = 0;
  for (const auto& r : RefundsOf(o.id)) {
    EXPECT_NE(r.status, "pending") << r.id;
    if (r.status == "succeeded") succeeded += r.amount.amount;
  }
  EXPECT_EQ(succeeded, after.amount_refunded);
  EXPECT_EQ(GatewayRefunded(o.id), after.amount_refunded);
  EXPECT_LE(after.amount_refunded, 10000);
}

TEST_P(OrderServiceTest, RefundWithRestockAfterFulfilmentReturnsStock) {
  Order o = PlaceOrder(ann_, "MUG-1", 3);
  ASSERT_TRUE(orders_.Fulfil(o.id, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 7);
  auto r = RefundOrder(o.id, 1200, {{"MUG-1", 1}});
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(r->refund->status, "succeeded");
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
  auto history = inventory_.History("MUG-1", 10, "");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->items[0].reason, StockReason::kReturned);
  EXPECT_EQ(history->items[0].delta, 1);
  EXPECT_EQ(history->items[0].reference, o.id);
  EXPECT_EQ(GetOrder(o.id).lines[0].restocked_quantity, 1);

  // At most what was not yet restocked; an unknown line is refused.
  auto too_many = RefundOrder(o.id, 100, {{"MUG-1", 3}});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, ErrorCode::kInvalidArgument);
  auto other = RefundOrder(o.id, 100, {{"TEE-1", 1}});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
  EXPECT_EQ(GetOrder(o.id).amount_refunded, 1200);

  ASSERT_TRUE(RefundOrder(o.id, 2400, {{mug_, 2}}).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 10);
  EXPECT_EQ(GetOrder(o.id).lines[0].restocked_quantity, 3);
  EXPECT_EQ(Count("SELECT SUM(delta) FROM stock_ledger WHERE variant_id = $1", {mug_}), 10);
}

TEST_P(OrderServiceTest, RefundWithRestockBeforeFulfilmentReleasesTheHold) {
  Order o = PlaceOrder(ann_, "MUG-1", 3);
  auto r = RefundOrder(o.id, 1200, {{"MUG-1", 1}});
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
  EXPECT_EQ(Level("MUG-1").on_hand, 10);
  EXPECT_EQ(ReservedFor(o.id), 2);
  ExpectReservationsMatchLevel("MUG-1", mug_);
  ASSERT_TRUE(orders_.Fulfil(o.id, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
}

TEST_P(OrderServiceTest, ListFiltersAndPages) {
  std::vector<std::string> times;
  auto place = [&](const std::string& customer, const std::string& sku, std::int64_t q, const std::string& token) {
    clock_->Advance(std::chrono::minutes(1));
    times.push_back(FormatTime(clock_->Now()));
    return PlaceOrder(customer, sku, q, token);
  };
  Order a1 = place(ann_, "MUG-1", 1, "tok_visa");            // 1200
  Order a2 = place(ann_, "MUG-1", 1, "tok_visa");            // 1200
  Order b1 = place(bob_, "TEE-1", 1, "tok_visa");            // 2500
  Order a3 = place(ann_, "MUG-1", 1, "tok_chargeDeclined");  // 1200, unpaid
  Order a4 = place(ann_, "MUG-1", 2, "tok_visa");            // 2400

  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = orders_.List({}, 2, cursor);
    ASSERT_TRUE(page.ok()) << Describe(page);
    ++pages;
    EXPECT_LE(page->items.size(), 2u);
    for (const auto& o : page->items) {
      seen.push_back(o.id);
      EXPECT_TRUE(o.lines.empty());
    }
    if (!page->next_cursor) break;
    cursor = *page->next_cursor;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{a4.id, a3.id, b1.id, a2.id, a1.id}));

  auto ids = [&](const OrderFilter& f) {
    std::vector<std::string> out;
    auto page = orders_.List(f, 50, "");
    EXPECT_TRUE(page.ok()) << Describe(page);
    if (page.ok())
      for (const auto& o : page->items) out.push_back(o.id);
    return out;
  };
  using V = std::vector<std::string>;
  OrderFilter by_bob;
  by_bob.customer_id = bob_;
  EXPECT_EQ(ids(by_bob), V{b1.id});
  OrderFilter failed;
  failed.payment_status = PaymentStatus::kFailed;
  EXPECT_EQ(ids(failed), V{a3.id});
  OrderFilter pending;
  pending.status = OrderStatus::kPending;
  EXPECT_EQ(ids(pending), V{a3.id});
  OrderFilter confirmed;
  confirmed.status = OrderStatus::kConfirmed;
  EXPECT_EQ(ids(confirmed), (V{a4.id, b1.id, a2.id, a1.id}));
  OrderFilter big;
  big.min_total = 2400;
  EXPECT_EQ(ids(big), (V{a4.id, b1.id}));
  OrderFilter small;
  small.max_total = 1200;
  EXPECT_EQ(ids(small), (V{a3.id, a2.id, a1.id}));
  OrderFilter window;
  window.created_from = times[1];
  window.created_to = times[3];
  EXPECT_EQ(ids(window), (V{b1.id, a2.id}));
  OrderFilter anns_paid;
  anns_paid.customer_id = ann_;
  anns_paid.payment_status = PaymentStatus::kPaid;
  EXPECT_EQ(ids(anns_paid), (V{a4.id, a2.id, a1.id}));

  // Filters and cursors combine.
  auto first = orders_.List(anns_paid, 2, "");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->next_cursor.has_value());
  auto second = orders_.List(anns_paid, 2, *first->next_cursor);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].id, a1.id);
  EXPECT_FALSE(second->next_cursor.has_value());

  EXPECT_EQ(orders_.List({}, 2, "garbage").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(orders_.List({}, 0, "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(orders_.List({}, 251, "").error().code, ErrorCode::kInvalidArgument);
}

// ---- Expiry --------------------------------------------------------------------

TEST_P(OrderServiceTest, SweepCancelsAnOrderUnpaidPastItsTimeAndReleasesItsStock) {
  Order unpaid = PlaceOrder(ann_, "TEE-1", 2, "tok_chargeDeclined");
  Order paid = PlaceOrder(bob_, "TEE-1", 1);
  EXPECT_EQ(Level("TEE-1").reserved, 3);

  clock_->Advance(std::chrono::seconds(600));
  EXPECT_EQ(orders_.Sweep().orders_expired, 0);  // not due yet
  EXPECT_EQ(GetOrder(unpaid.id).status, OrderStatus::kPending);

  clock_->Advance(order_options_.payment_timeout);
  SweepReport report = orders_.Sweep();
  EXPECT_EQ(report.orders_expired, 1);
  Order o = GetOrder(unpaid.id);
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
  EXPECT_EQ(o.payment_status, PaymentStatus::kFailed);
  EXPECT_EQ(o.cancel_reason, std::optional<std::string>("payment_timeout"));
  EXPECT_EQ(o.stock_state, "released");
  EXPECT_EQ(ReservedFor(unpaid.id), 0);
  EXPECT_EQ(Level("TEE-1").reserved, 1);
  ExpectReservationsMatchLevel("TEE-1", tee_);
  EXPECT_EQ(Events("order.cancelled", unpaid.id).size(), 1u);
  // The paid order keeps its hold.
  EXPECT_EQ(GetOrder(paid.id).status, OrderStatus::kConfirmed);
  EXPECT_EQ(ReservedFor(paid.id), 1);
  // A second sweep finds nothing more.
  EXPECT_EQ(orders_.Sweep().orders_expired, 0);
}

TEST_P(OrderServiceTest, ACaptureAfterExpiryReinstatesTheOrderWhenStockIsThere) {
  auto r = CheckoutCart(AnnsCart(), ann_, "tok_requiresConfirmation", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  std::string order_id = r->order->id, payment_id = r->payment->id;
  clock_->Advance(order_options_.payment_timeout + std::chrono::seconds(1));
  EXPECT_EQ(orders_.Sweep().orders_expired, 1);
  Order cancelled = GetOrder(order_id);
  ASSERT_EQ(cancelled.status, OrderStatus::kCancelled);
  EXPECT_EQ(Level("MUG-1").reserved, 0);
  EXPECT_EQ(Level("TEE-1").reserved, 0);

  // The payer confirms late; the gateway captures and says so.
  auto hook = DeliverWebhook("evt_late", payment_id, true);
  ASSERT_TRUE(hook.ok()) << Describe(hook);
  EXPECT_TRUE(*hook);
  Order o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kConfirmed);
  EXPECT_EQ(o.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(o.stock_state, "reserved");
  EXPECT_FALSE(o.cancel_reason.has_value());
  EXPECT_EQ(o.amount_captured, 4900);
  EXPECT_EQ(o.amount_refunded, 0);
  EXPECT_EQ(ReservedFor(order_id), 3);
  EXPECT_EQ(Level("MUG-1").reserved, 2);
  EXPECT_EQ(Level("TEE-1").reserved, 1);
  ExpectReservationsMatchLevel("MUG-1", mug_);
  EXPECT_TRUE(RefundsOf(order_id).empty());
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  auto kinds = TimelineKinds(order_id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "reinstated"), kinds.end());
  // The event shows the order as stored: no longer cancelled, nor why.
  auto events = Events("payment.captured", order_id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].payload["order"].dump(), ToJson(o).dump());
  // The reinstated order goes on as any other.
  ASSERT_TRUE(orders_.Fulfil(order_id, actor_).ok());
  EXPECT_EQ(Level("MUG-1").on_hand, 8);
}

TEST_P(OrderServiceTest, ACaptureAfterExpiryIsRefundedWhenTheStockIsGone) {
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "TEE-1", 3);
  auto r = CheckoutCart(cart, ann_, "tok_requiresConfirmation", FreshKey(ann_));
  ASSERT_TRUE(r.ok()) << Describe(r);
  std::string order_id = r->order->id, payment_id = r->payment->id;
  clock_->Advance(order_options_.payment_timeout + std::chrono::seconds(1));
  EXPECT_EQ(orders_.Sweep().orders_expired, 1);
  // Meanwhile Bob buys every TEE-1.
  Order bobs = PlaceOrder(bob_, "TEE-1", 5);
  ASSERT_EQ(bobs.payment_status, PaymentStatus::kPaid);
  EXPECT_EQ(Level("TEE-1").available, 0);

  auto hook = DeliverWebhook("evt_late", payment_id, true);
  ASSERT_TRUE(hook.ok()) << Describe(hook);
  Order o = GetOrder(order_id);
  EXPECT_EQ(o.status, OrderStatus::kCancelled);
  EXPECT_EQ(o.payment_status, PaymentStatus::kRefunded);
  EXPECT_EQ(o.amount_captured, 7500);
  EXPECT_EQ(o.amount_refunded, 7500);
  EXPECT_EQ(ReservedFor(order_id), 0);
  EXPECT_EQ(Level("TEE-1").reserved, 5);
  auto refunds = RefundsOf(order_id);
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].status, "succeeded");
  EXPECT_EQ(refunds[0].amount.amount, 7500);
  EXPECT_EQ(refunds[0].payment_id, payment_id);
  EXPECT_EQ(GatewayRefunded(order_id), 7500);
  EXPECT_EQ(payments::CountCaptures(*db_, order_id), 1);
  // Bob's order is untouched.
  EXPECT_EQ(ReservedFor(bobs.id), 5);
}

ECOM_ORDERS_INSTANTIATE(OrderServiceTest);

}  // namespace
}  // namespace ecom::orders
