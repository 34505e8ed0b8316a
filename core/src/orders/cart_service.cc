// Carts: ownership, lines, prices and totals.
#include "ecom/orders/cart_service.h"

#include <algorithm>

#include "auth/tokens.h"
#include "orders/cart_lines.h"

namespace ecom::orders {
namespace {

using store::Transaction;

constexpr std::string_view kCartTokenPrefix = "ct_";

Error CartNotFound() { return Error::NotFound("cart_not_found", "no such cart"); }

Error CartClosed(std::string_view status) {
  return Error::Precondition("cart_closed", "the cart is " + std::string(status) + " and can no longer change");
}

// Sets each line's tax and the cart's totals.
void PriceLines(Cart& cart, const ShippingMethod* method, const TaxRate* rate) {
  std::vector<PriceLine> priced;
  priced.reserve(cart.lines.size());
  for (const auto& line : cart.lines) priced.push_back({line.subtotal, line.taxable, line.requires_shipping});
  PricedCart p = Price(priced, method, rate);
  for (std::size_t i = 0; i < cart.lines.size(); ++i) cart.lines[i].tax = p.line_tax[i];
  cart.totals = p.totals;
}

Status CheckQuantity(std::int64_t quantity, std::int64_t max, bool allow_zero) {
  if (quantity < (allow_zero ? 0 : 1) || quantity > max)
    return Error::Invalid("quantity must be between " + std::string(allow_zero ? "0" : "1") + " and " +
                              std::to_string(max),
                          {{"quantity", "must be between " + std::string(allow_zero ? "0" : "1") + " and " +
                                            std::to_string(max)}});
  return Ok();
}

// Whether a guest's token is the one a cart was issued with (`digest`, none
// for a customer's cart).
bool TokenMatches(std::string_view token, const std::optional<std::string>& digest) {
  return digest && auth::HasTokenShape(token, kCartTokenPrefix) && auth::TokenDigest(token) == *digest;
}

}  // namespace

std::string CartTokenDigest(std::string_view token) { return auth::TokenDigest(token); }

CartService::CartService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
                         const PricingSettings& pricing, CartOptions options)
    : db_(db), clock_(std::move(clock)), ids_(std::move(ids)), pricing_(pricing), options_(std::move(options)) {}

Result<NewCart> CartService::Create(std::string_view customer_id, std::string_view currency) {
  std::string cur = currency.empty() ? options_.default_currency : std::string(currency);
  if (!CurrencyExponent(cur))
    return Error::Invalid("'" + cur + "' is not an ISO 4217 currency", {{"currency", "unknown currency"}});
  if (cur != options_.default_currency)
    return Error::Invalid("the shop sells in " + options_.default_currency,
                          {{"currency", "must be " + options_.default_currency}});
  NewCart out;
  TimePoint now = clock_->Now();
  Cart& cart = out.cart;
  cart.id = ids_->Next("cart");
  cart.currency = cur;
  cart.status = "open";
  cart.created_at = cart.updated_at = FormatTime(now);
  cart.expires_at = FormatTime(now + options_.ttl);
  if (!customer_id.empty()) cart.customer_id = std::string(customer_id);
  else out.token = auth::NewToken(kCartTokenPrefix);
  std::optional<std::string> digest;
  if (out.token) digest = auth::TokenDigest(*out.token);
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<NewCart> {
    tx.Send("INSERT INTO carts (id, token_hash, customer_id, currency, status, created_at, updated_at, expires_at) "
            "VALUES ($1, $2, $3, $4, 'open', $5, $5, $6)",
            {std::string_view(cart.id), store::Nullable(digest), store::Nullable(cart.customer_id),
             std::string_view(cart.currency), std::string_view(cart.created_at), std::string_view(cart.expires_at)});
    return out;
  });
}

Result<Cart> CartService::LoadInTx(Transaction& tx, std::string_view cart_id, const CartHolder& holder,
                                   const CartPreview& preview, CartContext* context) const {
  return TakeCart(tx, PrefetchCart(tx, cart_id, preview), holder, context);
}

CartService::CartRead CartService::PrefetchCart(Transaction& tx, std::string_view cart_id,
                                                const CartPreview& preview) const {
  static const std::string kSql =
      "SELECT c.id, c.customer_id, c.currency, c.status, c.order_id, c.version, c.created_at, c.updated_at, "
      "c.expires_at, c.token_hash, " +
      std::string(kCartLineColumns) + " FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id " +
      std::string(kCartLineJoins) + " WHERE c.id = $1 ORDER BY " + std::string(kCartLineOrder);
  CartRead read{std::string(cart_id), preview, tx.Prefetch(kSql, {cart_id}), std::nullopt, std::nullopt};
  if (!preview.country.empty()) {
    read.methods = pricing_.PrefetchShippingMethods(tx);
    read.rates = pricing_.PrefetchTaxRates(tx);
  }
  return read;
}

Result<Cart> CartService::TakeCart(Transaction& tx, const CartRead& read, const CartHolder& holder,
                                   CartContext* context) const {
  constexpr int kFirstLineColumn = 10;
  auto row = tx.Take(read.cart).rows;
  if (!row->Next()) return CartNotFound();
  Cart cart;
  cart.id = row->Text(0);
  cart.customer_id = row->OptText(1);
  cart.currency = row->Text(2);
  cart.status = row->Text(3);
  cart.order_id = row->OptText(4);
  cart.version = row->Int(5);
  cart.created_at = row->Text(6);
  cart.updated_at = row->Text(7);
  cart.expires_at = row->Text(8);
  std::optional<std::string> token_hash = row->OptText(9);
  do {
    if (!row->IsNull(kFirstLineColumn)) cart.lines.push_back(ReadCartLine(*row, kFirstLineColumn));
  } while (row->Next());
  row.reset();
  // Another customer's cart, or a guest cart without its token, does not exist
  // for this caller. The token is checked here, on the row read anyway, and
  // not by the router beforehand: that cost every cart change a read.
  if (cart.customer_id ? *cart.customer_id != holder.customer_id : !TokenMatches(holder.token, token_hash))
    return CartNotFound();
  if (cart.status == "open" && cart.expires_at < FormatTime(clock_->Now())) cart.status = "expired";

  std::optional<ShippingMethod> method;
  std::optional<TaxRate> rate;
  if (read.methods && read.rates) {
    const CartPreview& preview = read.preview;
    std::string code = preview.shipping_method.empty() ? std::string(kStandardShipping) : preview.shipping_method;
    ECOM_ASSIGN_OR_RETURN(method, PricingSettings::ShippingMethodFor(pricing_.TakeShippingMethods(tx, *read.methods),
                                                                     code, preview.country, cart.currency));
    rate = PricingSettings::TaxRateFor(pricing_.TakeTaxRates(tx, *read.rates), preview.country, preview.region);
    cart.shipping_method = method->code;
  }
  PriceLines(cart, method ? &*method : nullptr, rate ? &*rate : nullptr);
  if (context) *context = CartContext{std::move(method), std::move(rate), std::move(token_hash)};
  return cart;
}

Result<Cart> CartService::Get(std::string_view cart_id, const CartHolder& holder, const CartPreview& preview) {
  auto tx = db_.Begin(store::TxMode::kRead);
  return LoadInTx(*tx, cart_id, holder, preview);
}

Result<Cart> CartService::Change(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id,
                                 std::int64_t quantity, bool add) {
  TimePoint now_t = clock_->Now();
  std::string now = FormatTime(now_t), expires = FormatTime(now_t + options_.ttl);
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Cart> {
    // Bumping an open cart before reading it serialises changes to it: on
    // PostgreSQL a second change waits for the row lock, then reads the
    // lines the first committed, so no added quantity is lost. The bump
    // travels with the read, which shows whether it applied: a cart it
    // skipped reads as closed or expired (the read's clock is later).
    // The variant is read in the same round trip.
    tx.Send("UPDATE carts SET version = version + 1, updated_at = $2, expires_at = $3 "
            "WHERE id = $1 AND status = 'open' AND expires_at >= $2",
            {cart_id, std::string_view(now), std::string_view(expires)});
    CartRead read = PrefetchCart(tx, cart_id, {});
    VariantRead variant = PrefetchVariantForSale(tx, sku_or_id);
    ECOM_ASSIGN_OR_RETURN(Cart cart, TakeCart(tx, read, holder));
    if (cart.status != "open") return CartClosed(cart.status);
    ECOM_ASSIGN_OR_RETURN(VariantForSale v, TakeVariantForSale(tx, variant));
    auto existing = std::find_if(cart.lines.begin(), cart.lines.end(),
                                 [&](const CartLine& l) { return l.variant_id == v.variant_id; });
    std::int64_t target = add ? quantity + (existing != cart.lines.end() ? existing->quantity : 0) : quantity;
    if (target == 0) {
      if (existing == cart.lines.end())
        return Error::NotFound("line_not_found", "the cart has no line for " + std::string(sku_or_id));
      tx.Send("DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2",
              {std::string_view(cart.id), std::string_view(v.variant_id)});
      cart.lines.erase(existing);
    } else {
      if (!add && existing == cart.lines.end())
        return Error::NotFound("line_not_found", "the cart has no line for " + std::string(sku_or_id));
      ECOM_TRY(CheckQuantity(target, options_.max_quantity, false));
      if (existing == cart.lines.end() && static_cast<int>(cart.lines.size()) >= options_.max_lines)
        return Error::Precondition("too_many_lines",
                                   "a cart holds at most " + std::to_string(options_.max_lines) + " lines");
      ECOM_TRY(CheckPurchasable(v, cart.currency, target));
      tx.Send("INSERT INTO cart_lines (cart_id, variant_id, quantity, unit_price, added_at) VALUES ($1, $2, $3, $4, $5) "
              "ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity, "
              "unit_price = excluded.unit_price",
              {std::string_view(cart.id), std::string_view(v.variant_id), target, v.price, std::string_view(now)});
      if (existing != cart.lines.end()) {
        *existing = LineFor(v, target, std::move(existing->added_at));
      } else {
        // In the order a read gives: by when added, then by variant.
        auto key = std::pair(std::string_view(now), std::string_view(v.variant_id));
        auto at = std::upper_bound(cart.lines.begin(), cart.lines.end(), key, [](const auto& k, const CartLine& l) {
          return k < std::pair(std::string_view(l.added_at), std::string_view(l.variant_id));
        });
        cart.lines.insert(at, LineFor(v, target, now));
      }
    }
    // The cart as a read would now give it, without reading it again.
    PriceLines(cart, nullptr, nullptr);
    return cart;
  });
}

Result<Cart> CartService::AddItem(std::string_view cart_id, const CartHolder& holder, std::string_view sku_or_id,
                                  std::int64_t quantity) {
  ECOM_TRY(CheckQuantity(quantity, options_.max_quantity, false));
  return Change(cart_id, holder, sku_or_id, quantity, true);
}

Result<Cart> CartService::SetQuantity(std::string_view cart_id, const CartHolder& holder,
                                      std::string_view sku_or_id, std::int64_t quantity) {
  ECOM_TRY(CheckQuantity(quantity, options_.max_quantity, true));
  return Change(cart_id, holder, sku_or_id, quantity, false);
}

Result<Cart> CartService::RemoveItem(std::string_view cart_id, const CartHolder& holder,
                                     std::string_view sku_or_id) {
  return Change(cart_id, holder, sku_or_id, 0, false);
}

Result<bool> CartService::TokenOpens(std::string_view order_id, std::string_view token) {
  if (!auth::HasTokenShape(token, kCartTokenPrefix)) return false;
  std::string digest = auth::TokenDigest(token);
  auto tx = db_.Begin(store::TxMode::kRead);
  return tx->Query("SELECT 1 FROM orders WHERE id = $1 AND guest_token_hash = $2", {order_id, std::string_view(digest)})
      ->Next();
}

Result<std::optional<Cart>> CartService::MergeGuestCart(std::string_view token, std::string_view customer_id) {
  if (!auth::HasTokenShape(token, kCartTokenPrefix)) return std::optional<Cart>();
  std::string digest = auth::TokenDigest(token);
  std::string now = FormatTime(clock_->Now());
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<std::optional<Cart>> {
    auto guest = tx.Query("SELECT id FROM carts WHERE token_hash = $1 AND status = 'open' AND customer_id IS NULL "
                          "AND expires_at > $2",
                          {std::string_view(digest), std::string_view(now)});
    if (!guest->Next()) return std::optional<Cart>();
    std::string guest_id = guest->Text(0);
    guest.reset();
    auto own = tx.Query("SELECT id FROM carts WHERE customer_id = $1 AND status = 'open' AND expires_at > $2 "
                        "ORDER BY updated_at DESC, id DESC LIMIT 1",
                        {customer_id, std::string_view(now)});
    std::optional<std::string> target;
    if (own->Next()) target = own->Text(0);
    own.reset();
    if (!target) {
      // The guest cart becomes the customer's; its token no longer opens it.
      tx.Send("UPDATE carts SET customer_id = $2, token_hash = NULL, version = version + 1, updated_at = $3 "
              "WHERE id = $1",
              {std::string_view(guest_id), customer_id, std::string_view(now)});
      target = guest_id;
    } else {
      tx.Send("UPDATE carts SET version = version + 1, updated_at = $2 WHERE id = $1",
              {std::string_view(*target), std::string_view(now)});
      tx.Send("INSERT INTO cart_lines (cart_id, variant_id, quantity, unit_price, added_at) "
              "SELECT $1, variant_id, quantity, unit_price, added_at FROM cart_lines WHERE cart_id = $2 "
              "ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity",
              {std::string_view(*target), std::string_view(guest_id)});
      tx.Send("DELETE FROM cart_lines WHERE cart_id = $1", {std::string_view(guest_id)});
      tx.Send("UPDATE carts SET status = 'merged', token_hash = NULL, updated_at = $2 WHERE id = $1",
              {std::string_view(guest_id), std::string_view(now)});
    }
    ECOM_ASSIGN_OR_RETURN(Cart cart, LoadInTx(tx, *target, CartHolder{std::string(customer_id), ""}, {}));
    return std::optional<Cart>(std::move(cart));
  });
}

std::int64_t CartService::ExpireIdle() {
  std::string now = FormatTime(clock_->Now());
  std::int64_t n = 0;
  (void)store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    tx.Send("DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE status = 'open' AND expires_at < $1)",
            {std::string_view(now)});
    n = tx.Exec("UPDATE carts SET status = 'expired', token_hash = NULL, updated_at = $1 "
                "WHERE status = 'open' AND expires_at < $1",
                {std::string_view(now)});
    return Ok();
  });
  return n;
}

}  // namespace ecom::orders
