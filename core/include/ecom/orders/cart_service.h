// Carts: guest carts opened by a token, customer carts opened by their
// session, one line per variant, totals priced from the catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/orders/pricing.h"
#include "ecom/orders/types.h"
#include "ecom/store/database.h"

namespace ecom::orders {

// Who acts on a cart, as the caller's credentials established it.
struct CartHolder {
  std::string customer_id;  // a signed-in customer; "" for a guest
  std::string token;        // a guest's cart token (X-Cart-Token); opens only its own cart
};

// What LoadInTx read beside the cart, for a checkout in the same
// transaction to use rather than read again.
struct CartContext {
  std::optional<ShippingMethod> method;   // what the preview was priced with
  std::optional<TaxRate> rate;
  std::optional<std::string> token_hash;  // a guest cart's token digest
};

// Where the totals of a cart are previewed for: with a country, shipping and
// tax are priced; without one only the subtotal is.
struct CartPreview {
  std::string country;
  std::string region;
  std::string shipping_method;  // "" : standard
};

struct NewCart {
  Cart cart;
  std::optional<std::string> token;  // a guest cart's token (shown once; only its digest is kept)
};

struct CartOptions {
  std::chrono::seconds ttl{14 * 24 * 3600};
  std::string default_currency = "USD";
  int max_lines = 250;
  std::int64_t max_quantity = 100000;
};

// Thread-safe. Every change is one transaction; changes to one cart are
// serialised by its row.
class CartService {
 public:
  CartService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
              const PricingSettings& pricing, CartOptions options);

  // A cart for a signed-in customer (customer_id) or a guest (a token is
  // returned). `currency` "" : the shop's.
  Result<NewCart> Create(std::string_view customer_id, std::string_view currency);
  Result<Cart> Get(std::string_view cart_id, const CartHolder& holder, const CartPreview& preview = {});
  // Adds `quantity` of a variant (SKU or variant id); adding one already in
  // the cart adds to its line. The price is the catalog's now.
  Result<Cart> AddItem(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id,
                       std::int64_t quantity);
  // Sets a line's quantity (0 removes it).
  Result<Cart> SetQuantity(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id,
                           std::int64_t quantity);
  Result<Cart> RemoveItem(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id);

  // True if `token` is the guest token of the cart order `order_id` was
  // placed from: guests read and pay their order with the cart token. (A
  // cart's own token is checked where the cart is read, by every call above.)
  Result<bool> TokenOpens(std::string_view order_id, std::string_view token);

  // On login: the open guest cart `token` opens moves into the customer's
  // open cart (quantities summed per variant), or becomes theirs if they
  // have none. Returns the customer's cart, or nullopt if the token opens no
  // open cart.
  Result<std::optional<Cart>> MergeGuestCart(std::string_view token, std::string_view customer_id);

  // Marks carts idle past their expiry as expired; returns how many.
  std::int64_t ExpireIdle();

  // Within a caller's transaction: reads the cart (owner checked) with its
  // lines priced for `preview`, in one statement. kNotFound
  // `cart_not_found`. `context`, if given, gets what the pricing used.
  Result<Cart> LoadInTx(store::Transaction& tx, std::string_view cart_id, const CartHolder& holder,
                        const CartPreview& preview, CartContext* context = nullptr) const;
  // LoadInTx in two steps: its reads (the cart, and the shipping methods and
  // tax rates a preview with a country needs) are issued with
  // Transaction::Prefetch, so the caller's next statements travel with
  // them, and taken by TakeCart.
  struct CartRead {
    std::string cart_id;
    CartPreview preview;
    std::size_t cart;
    std::optional<std::size_t> methods, rates;
  };
  CartRead PrefetchCart(store::Transaction& tx, std::string_view cart_id, const CartPreview& preview) const;
  Result<Cart> TakeCart(store::Transaction& tx, const CartRead& read, const CartHolder& holder,
                        CartContext* context = nullptr) const;

 private:
  Result<Cart> Change(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id,
                      std::int64_t quantity, bool add);

  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  const PricingSettings& pricing_;
  CartOptions options_;
};

// The digest a cart token is kept as (also the idempotency scope of a guest).
std::string CartTokenDigest(std::string_view token);

}  // namespace ecom::orders
