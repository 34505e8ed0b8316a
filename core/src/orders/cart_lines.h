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
};

// The cart's lines, oldest first, each with the catalog's price and
// availability now.
std::vector<CartLine> ReadCartLines(store::Transaction& tx, std::string_view cart_id);

// By SKU or variant id; kNotFound `unknown_sku`.
Result<VariantForSale> FindVariantForSale(store::Transaction& tx, std::string_view sku_or_id);

// kFailedPrecondition `not_purchasable` (product not active),
// `currency_mismatch`, or `insufficient_stock` (more than can be sold now).
Status CheckPurchasable(const VariantForSale& v, std::string_view cart_currency, std::int64_t quantity);

// "Red / M" from a variant's option values ("Default Title" reads as "").
std::string VariantTitle(const std::optional<std::string>& o1, const std::optional<std::string>& o2,
                         const std::optional<std::string>& o3);

}  // namespace ecom::orders
