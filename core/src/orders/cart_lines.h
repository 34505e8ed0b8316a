// Reading cart lines with the catalog's view of each variant (private to
// the orders domain: carts and checkout share it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/result.h"
#include "ecom/orders/types.h"
#include "ecom/store/database.h"

namespace ecom::orders {

// A variant as a cart needs it.
struct VariantForSale {
  std::string variant_id;
  std::optional<std::string> sku;
  std::string product_id;
  std::string product_status;
  std::int64_t price = 0;
  std::string currency;
  std::int64_t available = 0;
  bool tracked = true;
  bool allow_backorder = false;
  std::string title;          // the product's
  std::string variant_title;  // "Red / M"
  bool requires_shipping = true;
  bool taxable = true;
};

// The columns and joins that read a cart line with the catalog's price and
// availability now, for a query over `cart_lines l` (LEFT JOINs, so a cart
// without lines still gives its row, with these columns null).
inline constexpr std::string_view kCartLineColumns =
    "l.variant_id, v.sku, v.product_id, p.title, v.option1, v.option2, v.option3, l.quantity, l.unit_price, "
    "v.price, v.requires_shipping, v.taxable, p.status, il.on_hand - il.reserved, il.tracked, il.allow_backorder, "
    "l.added_at";
inline constexpr std::string_view kCartLineJoins =
    "LEFT JOIN variants v ON v.id = l.variant_id LEFT JOIN products p ON p.id = v.product_id "
    "LEFT JOIN inventory_levels il ON il.variant_id = v.id";
// The order of a cart's lines, oldest first.
inline constexpr std::string_view kCartLineOrder = "l.added_at, l.variant_id";

// Reads kCartLineColumns from column `at` on.
CartLine ReadCartLine(const store::Rows& row, int at);

// The line `v` makes at `quantity`, priced now, as ReadCartLine would read it
// back once written.
CartLine LineFor(const VariantForSale& v, std::int64_t quantity, std::string added_at);

// A variant read by SKU or variant id, issued with Transaction::Prefetch so
// that it travels with the transaction's other reads.
struct VariantRead {
  std::string key;                  // the SKU or id asked for
  std::optional<std::size_t> by_id; // for a key shaped as an id
  std::size_t by_sku;
};
VariantRead PrefetchVariantForSale(store::Transaction& tx, std::string_view sku_or_id);
// The variant, by id first; kNotFound `unknown_sku`.
Result<VariantForSale> TakeVariantForSale(store::Transaction& tx, const VariantRead& read);

// kFailedPrecondition `not_purchasable` (product not active),
// `currency_mismatch`, or `insufficient_stock` (more than can be sold now).
Status CheckPurchasable(const VariantForSale& v, std::string_view cart_currency, std::int64_t quantity);

// "Red / M" from a variant's option values ("Default Title" reads as "").
std::string VariantTitle(const std::optional<std::string>& o1, const std::optional<std::string>& o2,
                         const std::optional<std::string>& o3);

}  // namespace ecom::orders
