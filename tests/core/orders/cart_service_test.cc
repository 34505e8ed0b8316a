// Carts on both stores: who may open them, their lines, stock and status
// checks, merging a guest cart at login, and expiry.
#include "ecom/orders/cart_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "ecom/orders/json.h"

#include "core/orders/orders_fixture.h"

namespace ecom::orders {
namespace {

class CartServiceTest : public OrdersTest {
 protected:
  void SetUp() override {
    mug_ = MakeProduct("MUG-1", 1200, 10);
    tee_ = MakeProduct("TEE-1", 2500, 5);
    ann_ = MakeCustomer("ann");
    bob_ = MakeCustomer("bob");
  }

  const CartLine* LineOf(const Cart& cart, const std::string& sku) {
    for (const auto& l : cart.lines)
      if (l.sku && *l.sku == sku) return &l;
    return nullptr;
  }

  std::string mug_, tee_, ann_, bob_;
};

TEST_P(CartServiceTest, GuestCartComesWithATokenThatOpensOnlyIt) {
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok()) << Describe(guest);
  ASSERT_TRUE(guest->token.has_value());
  EXPECT_FALSE(guest->token->empty());
  EXPECT_FALSE(guest->cart.customer_id.has_value());
  EXPECT_EQ(guest->cart.status, "open");
  EXPECT_EQ(guest->cart.currency, "USD");
  EXPECT_EQ(guest->cart.id.rfind("cart_", 0), 0u) << guest->cart.id;

  auto other = carts_.Create("", "");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other->token, *guest->token);

  EXPECT_TRUE(carts_.Get(guest->cart.id, GuestHolder(*guest)).ok());
  EXPECT_FALSE(carts_.Get(other->cart.id, GuestHolder(*guest)).ok());
  EXPECT_FALSE(carts_.Get(guest->cart.id, GuestHolder(*other)).ok());
  EXPECT_FALSE(carts_.Get(guest->cart.id, CartHolder{"", ""}).ok());
  EXPECT_FALSE(carts_.Get(guest->cart.id, CartHolder{"", "ct_not-the-token"}).ok());

  // The token is kept only as a digest.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM carts WHERE token_hash = $1", {*guest->token}), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM carts WHERE token_hash = $1", {CartTokenDigest(*guest->token)}), 1);
}

TEST_P(CartServiceTest, CustomerCartHasNoToken) {
  auto cart = carts_.Create(ann_, "");
  ASSERT_TRUE(cart.ok()) << Describe(cart);
  EXPECT_FALSE(cart->token.has_value());
  ASSERT_TRUE(cart->cart.customer_id.has_value());
  EXPECT_EQ(*cart->cart.customer_id, ann_);
}

TEST_P(CartServiceTest, OtherCurrenciesAreRefused) {
  auto eur = carts_.Create(ann_, "EUR");
  ASSERT_FALSE(eur.ok());
  EXPECT_EQ(eur.error().code, ErrorCode::kInvalidArgument);
  auto bogus = carts_.Create(ann_, "XYZ");
  ASSERT_FALSE(bogus.ok());
  EXPECT_EQ(bogus.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CartServiceTest, TokenOpensTheOrderPlacedFromItsCartAndNoOther) {
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  Add(guest->cart.id, GuestHolder(*guest), "MUG-1", 1);
  auto placed = orders_.Checkout(guest->cart.id, GuestHolder(*guest), Input("tok_visa"),
                                 Key("cart:" + CartTokenDigest(*guest->token), "k1"), actor_);
  ASSERT_TRUE(placed.ok()) << Describe(placed);
  ASSERT_TRUE(placed->order.has_value());
  std::string order_id = placed->order->id;

  Order other = PlaceOrder(ann_, "MUG-1", 1);
  auto other_guest = carts_.Create("", "");
  ASSERT_TRUE(other_guest.ok());

  EXPECT_TRUE(*carts_.TokenOpens(order_id, *guest->token));
  EXPECT_FALSE(*carts_.TokenOpens(other.id, *guest->token));
  EXPECT_FALSE(*carts_.TokenOpens(order_id, *other_guest->token));

  // The guest reads the order with the token; others cannot.
  EXPECT_TRUE(orders_.Get(order_id, OrderReader{"", true, false}).ok());
  auto stranger = orders_.Get(order_id, OrderReader{bob_, false, false});
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.error().code, ErrorCode::kNotFound);
  auto no_token = orders_.Get(order_id, OrderReader{"", false, false});
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code, ErrorCode::kNotFound);
}

TEST_P(CartServiceTest, ACustomerCannotSeeAnothersCart) {
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "MUG-1", 1);
  auto seen = carts_.Get(cart, Holder(bob_));
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(seen.error().reason, "cart_not_found");
  auto changed = carts_.AddItem(cart, Holder(bob_), "MUG-1", 1);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().code, ErrorCode::kNotFound);
  // A guest holding another cart's token is no owner of a customer's cart.
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  auto as_guest = carts_.Get(cart, GuestHolder(*guest));
  ASSERT_FALSE(as_guest.ok());
  EXPECT_EQ(as_guest.error().code, ErrorCode::kNotFound);
  // Nothing changed.
  EXPECT_EQ(carts_.Get(cart, Holder(ann_))->lines.at(0).quantity, 1);
}

TEST_P(CartServiceTest, AGuestCartNeedsItsToken) {
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  auto no_token = carts_.Get(guest->cart.id, CartHolder{"", ""});
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code, ErrorCode::kNotFound);
  auto customer = carts_.Get(guest->cart.id, Holder(ann_));
  ASSERT_FALSE(customer.ok());
  EXPECT_EQ(customer.error().code, ErrorCode::kNotFound);
  auto add = carts_.AddItem(guest->cart.id, CartHolder{"", ""}, "MUG-1", 1);
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(carts_.Get(guest->cart.id, GuestHolder(*guest)).ok());
  EXPECT_EQ(carts_.Get("cart_nope", GuestHolder(*guest)).error().reason, "cart_not_found");
}

TEST_P(CartServiceTest, AnotherCartsTokenOpensNothingAndChangesNothing) {
  auto guest = carts_.Create("", "");
  auto other = carts_.Create("", "");
  ASSERT_TRUE(guest.ok() && other.ok());
  Add(guest->cart.id, GuestHolder(*guest), "MUG-1", 1);
  for (const std::string& token : {*other->token, std::string("ct_forged"), std::string("not a token")}) {
    CartHolder stranger{"", token};
    auto read = carts_.Get(guest->cart.id, stranger);
    ASSERT_FALSE(read.ok()) << token;
    EXPECT_EQ(read.error().reason, "cart_not_found");
    auto add = carts_.AddItem(guest->cart.id, stranger, "MUG-1", 5);
    ASSERT_FALSE(add.ok()) << token;
    EXPECT_EQ(add.error().reason, "cart_not_found");
    auto remove = carts_.RemoveItem(guest->cart.id, stranger, "MUG-1");
    ASSERT_FALSE(remove.ok()) << token;
    EXPECT_EQ(remove.error().reason, "cart_not_found");
    auto checkout = orders_.Checkout(guest->cart.id, stranger, Input("tok_visa"), Key("cart:" + token, "k1"), actor_);
    ASSERT_FALSE(checkout.ok()) << token;
    EXPECT_EQ(checkout.error().reason, "cart_not_found");
  }
  auto cart = carts_.Get(guest->cart.id, GuestHolder(*guest));
  ASSERT_TRUE(cart.ok()) << Describe(cart);
  EXPECT_EQ(cart->status, "open");
  ASSERT_EQ(cart->lines.size(), 1u);
  EXPECT_EQ(cart->lines[0].quantity, 1);
}

TEST_P(CartServiceTest, AddingTheSameSkuTwiceSumsOneLine) {
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "MUG-1", 2);
  auto r = carts_.AddItem(cart, Holder(ann_), mug_, 3);  // by variant id this time
  ASSERT_TRUE(r.ok()) << Describe(r);
  ASSERT_EQ(r->lines.size(), 1u);
  const auto& l = r->lines[0];
  EXPECT_EQ(l.quantity, 5);
  EXPECT_EQ(l.variant_id, mug_);
  EXPECT_EQ(l.unit_price, 1200);
  EXPECT_EQ(l.subtotal, 6000);
  EXPECT_EQ(l.title, "Product MUG-1");
  EXPECT_EQ(l.available, 10);
  EXPECT_FALSE(l.price_changed);
  EXPECT_EQ(r->totals.subtotal, 6000);
  EXPECT_EQ(r->totals.grand_total, 6000);

  Add(cart, Holder(ann_), "TEE-1", 1);
  auto got = carts_.Get(cart, Holder(ann_));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->lines.size(), 2u);
  EXPECT_EQ(got->totals.subtotal, 6000 + 2500);
}

TEST_P(CartServiceTest, SetQuantityReplacesAndZeroRemoves) {
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "MUG-1", 2);
  Add(cart, Holder(ann_), "TEE-1", 1);
  auto set = carts_.SetQuantity(cart, Holder(ann_), "MUG-1", 4);
  ASSERT_TRUE(set.ok()) << Describe(set);
  EXPECT_EQ(LineOf(*set, "MUG-1")->quantity, 4);
  auto removed = carts_.SetQuantity(cart, Holder(ann_), "MUG-1", 0);
  ASSERT_TRUE(removed.ok()) << Describe(removed);
  ASSERT_EQ(removed->lines.size(), 1u);
  EXPECT_EQ(removed->lines[0].sku, std::optional<std::string>("TEE-1"));
  EXPECT_EQ(removed->totals.subtotal, 2500);
  // Setting a line that is not there is not found; so is removing it.
  auto missing = carts_.SetQuantity(cart, Holder(ann_), "MUG-1", 2);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason, "line_not_found");
  EXPECT_EQ(carts_.RemoveItem(cart, Holder(ann_), "MUG-1").error().reason, "line_not_found");
  auto rm = carts_.RemoveItem(cart, Holder(ann_), "TEE-1");
  ASSERT_TRUE(rm.ok());
  EXPECT_TRUE(rm->lines.empty());
  EXPECT_EQ(rm->totals.grand_total, 0);
}

TEST_P(CartServiceTest, QuantityOutOfRangeIsInvalid) {
  std::string cart = NewCustomerCart(ann_);
  EXPECT_EQ(carts_.AddItem(cart, Holder(ann_), "MUG-1", 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(carts_.AddItem(cart, Holder(ann_), "MUG-1", -1).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(carts_.SetQuantity(cart, Holder(ann_), "MUG-1", -1).error().code, ErrorCode::kInvalidArgument);
  auto unknown = carts_.AddItem(cart, Holder(ann_), "NOPE", 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().reason, "unknown_sku");
}

TEST_P(CartServiceTest, AddingMoreThanIsAvailableIsInsufficientStock) {
  std::string cart = NewCustomerCart(ann_);
  auto r = carts_.AddItem(cart, Holder(ann_), "TEE-1", 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "insufficient_stock");
  Add(cart, Holder(ann_), "TEE-1", 4);
  // The sum counts: 4 + 2 > 5.
  auto more = carts_.AddItem(cart, Holder(ann_), "TEE-1", 2);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().reason, "insufficient_stock");
  auto set = carts_.SetQuantity(cart, Holder(ann_), "TEE-1", 6);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().reason, "insufficient_stock");
  EXPECT_EQ(carts_.Get(cart, Holder(ann_))->lines.at(0).quantity, 4);
  // Backorder variants may be added beyond what is on hand.
  MakeProduct("PRE-1", 900, 0, {.policy = catalog::InventoryPolicy::kContinue});
  EXPECT_TRUE(carts_.AddItem(cart, Holder(ann_), "PRE-1", 50).ok());
}

TEST_P(CartServiceTest, DraftProductIsNotPurchasable) {
  MakeProduct("DRAFT-1", 1000, 5, {.status = catalog::ProductStatus::kDraft});
  std::string cart = NewCustomerCart(ann_);
  auto r = carts_.AddItem(cart, Holder(ann_), "DRAFT-1", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(r.error().reason, "not_purchasable");
  EXPECT_TRUE(carts_.Get(cart, Holder(ann_))->lines.empty());
}

TEST_P(CartServiceTest, PreviewPricesShippingAndTax) {
  ASSERT_TRUE(pricing_.PutTaxRate({"", "US", "NY", 88750, false, false, ""}).ok());
  ASSERT_TRUE(pricing_.PutShippingMethod({"express", "Express", {1500, "USD"}, {"US"}, ""}).ok());
  MakeProduct("CARD-1", 999, 5, {.requires_shipping = true, .taxable = true});
  MakeProduct("EBOOK-1", 500, 0, {.requires_shipping = false, .taxable = false, .tracked = false});
  std::string cart = NewCustomerCart(ann_);
  Add(cart, Holder(ann_), "CARD-1", 1);
  Add(cart, Holder(ann_), "EBOOK-1", 1);
  auto plain = carts_.Get(cart, Holder(ann_));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->totals.tax, 0);
  EXPECT_FALSE(plain->shipping_method.has_value());

  auto ny = carts_.Get(cart, Holder(ann_), {"US", "NY", "express"});
  ASSERT_TRUE(ny.ok()) << Describe(ny);
  EXPECT_EQ(ny->shipping_method, std::optional<std::string>("express"));
  EXPECT_EQ(LineOf(*ny, "CARD-1")->tax, 89);
  EXPECT_EQ(LineOf(*ny, "EBOOK-1")->tax, 0);
  EXPECT_EQ(ny->totals.subtotal, 1499);
  EXPECT_EQ(ny->totals.shipping, 1500);
  EXPECT_EQ(ny->totals.tax, 89);
  EXPECT_EQ(ny->totals.grand_total, 1499 + 1500 + 89);

  auto de = carts_.Get(cart, Holder(ann_), {"DE", "", "express"});
  ASSERT_FALSE(de.ok());
  EXPECT_EQ(de.error().reason, "shipping_method_unavailable");
  auto std_de = carts_.Get(cart, Holder(ann_), {"DE", "", ""});
  ASSERT_TRUE(std_de.ok()) << Describe(std_de);
  EXPECT_EQ(std_de->shipping_method, std::optional<std::string>("standard"));
  EXPECT_EQ(std_de->totals.shipping, 0);
  EXPECT_EQ(std_de->totals.tax, 0);
}

TEST_P(CartServiceTest, MergeSumsGuestLinesIntoTheCustomersOpenCart) {
  std::string own = NewCustomerCart(ann_);
  Add(own, Holder(ann_), "MUG-1", 1);
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  Add(guest->cart.id, GuestHolder(*guest), "MUG-1", 2);
  Add(guest->cart.id, GuestHolder(*guest), "TEE-1", 1);

  auto merged = carts_.MergeGuestCart(*guest->token, ann_);
  ASSERT_TRUE(merged.ok()) << Describe(merged);
  ASSERT_TRUE(merged->has_value());
  const Cart& cart = **merged;
  EXPECT_EQ(cart.id, own);
  ASSERT_EQ(cart.lines.size(), 2u);
  EXPECT_EQ(LineOf(cart, "MUG-1")->quantity, 3);
  EXPECT_EQ(LineOf(cart, "TEE-1")->quantity, 1);
  EXPECT_EQ(cart.totals.subtotal, 3 * 1200 + 2500);

  // The guest cart is spent: merged, empty, and its token opens nothing.
  auto left = carts_.Get(guest->cart.id, GuestHolder(*guest));
  ASSERT_FALSE(left.ok());
  EXPECT_EQ(left.error().reason, "cart_not_found");
  auto closed = carts_.AddItem(guest->cart.id, GuestHolder(*guest), "MUG-1", 1);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().reason, "cart_not_found");
  {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto row = tx->Query("SELECT status, (SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1) FROM carts WHERE id = $1",
                         {std::string_view(guest->cart.id)});
    ASSERT_TRUE(row->Next());
    EXPECT_EQ(row->Text(0), "merged");
    EXPECT_EQ(row->Int(1), 0);
  }
  // Merging again finds nothing.
  auto again = carts_.MergeGuestCart(*guest->token, ann_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

TEST_P(CartServiceTest, MergeAdoptsTheGuestCartWhenTheCustomerHasNone) {
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  Add(guest->cart.id, GuestHolder(*guest), "TEE-1", 2);
  auto merged = carts_.MergeGuestCart(*guest->token, bob_);
  ASSERT_TRUE(merged.ok()) << Describe(merged);
  ASSERT_TRUE(merged->has_value());
  EXPECT_EQ((*merged)->id, guest->cart.id);
  EXPECT_EQ((*merged)->customer_id, std::optional<std::string>(bob_));
  EXPECT_EQ((*merged)->status, "open");
  ASSERT_EQ((*merged)->lines.size(), 1u);
  EXPECT_EQ((*merged)->lines[0].quantity, 2);
  // Now it is Bob's: his session opens it, the old token does not.
  EXPECT_TRUE(carts_.Get(guest->cart.id, Holder(bob_)).ok());
  EXPECT_EQ(carts_.Get(guest->cart.id, GuestHolder(*guest)).error().reason, "cart_not_found");
  EXPECT_EQ(carts_.Get(guest->cart.id, Holder(ann_)).error().code, ErrorCode::kNotFound);
}

TEST_P(CartServiceTest, MergeWithATokenOfNoOpenCartIsNothing) {
  auto r = carts_.MergeGuestCart("ct_unknown-token", ann_);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto garbage = carts_.MergeGuestCart("not a token", ann_);
  ASSERT_TRUE(garbage.ok());
  EXPECT_FALSE(garbage->has_value());
}

TEST_P(CartServiceTest, IdleCartsExpireAndThenRefuseChanges) {
  std::string own = NewCustomerCart(ann_);
  Add(own, Holder(ann_), "MUG-1", 1);
  auto guest = carts_.Create("", "");
  ASSERT_TRUE(guest.ok());
  Add(guest->cart.id, GuestHolder(*guest), "MUG-1", 1);

  clock_->Advance(std::chrono::hours(24 * 10));
  EXPECT_EQ(carts_.ExpireIdle(), 0);  // 14 days by default
  std::string fresh = NewCustomerCart(bob_);
  Add(fresh, Holder(bob_), "TEE-1", 1);
  clock_->Advance(std::chrono::hours(24 * 5));  // 15 days for the first two, 5 for Bob's

  EXPECT_EQ(carts_.ExpireIdle(), 2);
  auto got = carts_.Get(own, Holder(ann_));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "expired");
  auto add = carts_.AddItem(own, Holder(ann_), "MUG-1", 1);
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(add.error().reason, "cart_closed");
  auto set = carts_.SetQuantity(own, Holder(ann_), "MUG-1", 2);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().reason, "cart_closed");
  // An expired guest cart's token opens it no more.
  auto guest_add = carts_.AddItem(guest->cart.id, GuestHolder(*guest), "MUG-1", 1);
  ASSERT_FALSE(guest_add.ok());
  EXPECT_EQ(guest_add.error().reason, "cart_not_found");
  // Checkout of an expired cart is refused too.
  auto checkout = CheckoutCart(own, ann_, "tok_visa", FreshKey(ann_));
  ASSERT_FALSE(checkout.ok());
  EXPECT_EQ(checkout.error().reason, "cart_closed");
  // Bob's cart, touched 5 days ago, stays open.
  EXPECT_EQ(carts_.Get(fresh, Holder(bob_))->status, "open");
  EXPECT_TRUE(carts_.AddItem(fresh, Holder(bob_), "TEE-1", 1).ok());
}

TEST_P(CartServiceTest, ACartPastItsExpiryReadsAsExpiredBeforeTheSweep) {
  std::string own = NewCustomerCart(ann_);
  Add(own, Holder(ann_), "MUG-1", 1);
  clock_->Advance(std::chrono::hours(24 * 15));
  auto got = carts_.Get(own, Holder(ann_));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "expired");
  auto add = carts_.AddItem(own, Holder(ann_), "MUG-1", 1);
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.error().reason, "cart_closed");
}

TEST_P(CartServiceTest, ChangesKeepTheCartAlive) {
  std::string own = NewCustomerCart(ann_);
  Add(own, Holder(ann_), "MUG-1", 1);
  clock_->Advance(std::chrono::hours(24 * 10));
  Add(own, Holder(ann_), "MUG-1", 1);
  clock_->Advance(std::chrono::hours(24 * 10));
  EXPECT_EQ(carts_.ExpireIdle(), 0);
  EXPECT_EQ(carts_.Get(own, Holder(ann_))->status, "open");
}

// A change answers the cart it leaves without reading it again; whatever it
// answers must be what a read gives, line order (by when added, then by
// variant) included.
TEST_P(CartServiceTest, EveryChangeAnswersTheCartAsAReadGives) {
  MakeProduct("CAP-1", 900, 10);
  MakeProduct("SOCK-1", 500, 0, ProductOptions{.tracked = false});
  std::string cart = NewCustomerCart(ann_);
  auto same = [&](const Result<Cart>& changed, const std::string& step) {
    ASSERT_TRUE(changed.ok()) << step << ": " << Describe(changed);
    auto read = carts_.Get(cart, Holder(ann_));
    ASSERT_TRUE(read.ok()) << Describe(read);
    EXPECT_EQ(ToJson(*changed).dump(), ToJson(*read).dump()) << step;
  };
  // Added within one clock tick: the read orders them by variant id.
  same(carts_.AddItem(cart, Holder(ann_), "TEE-1", 1), "first line");
  same(carts_.AddItem(cart, Holder(ann_), "MUG-1", 2), "second line, same tick");
  same(carts_.AddItem(cart, Holder(ann_), "SOCK-1", 3), "untracked line");
  clock_->Advance(std::chrono::seconds(5));
  same(carts_.AddItem(cart, Holder(ann_), "CAP-1", 1), "a later line");
  same(carts_.AddItem(cart, Holder(ann_), "MUG-1", 1), "more of a line");
  SetPrice("TEE-1", 2700);  // the line keeps its price and shows the change
  same(carts_.SetQuantity(cart, Holder(ann_), "CAP-1", 4), "beside a changed price");
  same(carts_.SetQuantity(cart, Holder(ann_), "TEE-1", 2), "a changed price taken");
  same(carts_.RemoveItem(cart, Holder(ann_), "MUG-1"), "a line removed");
  same(carts_.SetQuantity(cart, Holder(ann_), "SOCK-1", 0), "a line set to zero");
}

// Changes to one cart from many requests at once are applied one after
// another: each reads the lines the one before it left, so none is lost.
TEST_P(CartServiceTest, ConcurrentAddsToOneLineKeepEveryUnit) {
  MakeProduct("PEN-1", 100, 1000);
  std::string cart = NewCustomerCart(ann_);
  constexpr int kThreads = 6, kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        if (!carts_.AddItem(cart, Holder(ann_), "PEN-1", 1).ok()) ++failed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  auto got = carts_.Get(cart, Holder(ann_));
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->lines.size(), 1u);
  EXPECT_EQ(got->lines[0].quantity, kThreads * kEach);
  EXPECT_EQ(got->version, 1 + kThreads * kEach);  // a new cart is at version 1
}

ECOM_ORDERS_INSTANTIATE(CartServiceTest);

}  // namespace
}  // namespace ecom::orders
