#include "orders/cart_lines.h"

#include <algorithm>

namespace ecom::orders {

std::string VariantTitle(const std::optional<std::string>& o1, const std::optional<std::string>& o2,
                         const std::optional<std::string>& o3) {
  std::string out;
  for (const auto* o : {&o1, &o2, &o3})
    if (*o && !(*o)->empty()) out += (out.empty() ? "" : " / ") + **o;
  return out == "Default Title" ? "" : out;
}

namespace {

// How many a storefront may still buy: unbounded for untracked or
// backorderable stock.
std::int64_t Available(bool tracked, bool backorder, std::int64_t on_hand_less_reserved) {
  return tracked && !backorder ? std::max<std::int64_t>(on_hand_less_reserved, 0) : std::int64_t{1} << 40;
}

}  // namespace

CartLine ReadCartLine(const store::Rows& row, int at) {
  CartLine l;
  l.variant_id = row.Text(at);
  l.sku = row.OptText(at + 1);
  l.product_id = row.Text(at + 2);
  l.title = row.Text(at + 3);
  l.variant_title = VariantTitle(row.OptText(at + 4), row.OptText(at + 5), row.OptText(at + 6));
  l.quantity = row.Int(at + 7);
  l.unit_price = row.Int(at + 8);
  l.catalog_price = row.Int(at + 9);
  l.price_changed = l.unit_price != l.catalog_price;
  l.subtotal = l.unit_price * l.quantity;
  l.requires_shipping = row.Bool(at + 10);
  l.taxable = row.Bool(at + 11);
  l.purchasable = row.View(at + 12) == "active";
  l.tracked = row.IsNull(at + 14) || row.Bool(at + 14);
  bool backorder = !row.IsNull(at + 15) && row.Bool(at + 15);
  l.available = Available(l.tracked, backorder, row.IsNull(at + 13) ? 0 : row.Int(at + 13));
  l.added_at = row.Text(at + 16);
  return l;
}

CartLine LineFor(const VariantForSale& v, std::int64_t quantity, std::string added_at) {
  CartLine l;
  l.variant_id = v.variant_id;
  l.sku = v.sku;
  l.product_id = v.product_id;
  l.title = v.title;
  l.variant_title = v.variant_title;
  l.quantity = quantity;
  l.unit_price = l.catalog_price = v.price;
  l.subtotal = v.price * quantity;
  l.requires_shipping = v.requires_shipping;
  l.taxable = v.taxable;
  l.purchasable = v.product_status == "active";
  l.tracked = v.tracked;
  l.available = Available(v.tracked, v.allow_backorder, v.available);
  l.added_at = std::move(added_at);
  return l;
}

VariantRead PrefetchVariantForSale(store::Transaction& tx, std::string_view sku_or_id) {
  constexpr std::string_view kSelect =
      "SELECT v.id, v.sku, v.product_id, p.status, v.price, v.currency, COALESCE(il.on_hand - il.reserved, 0), "
      "COALESCE(il.tracked, 1), COALESCE(il.allow_backorder, 0), p.title, v.option1, v.option2, v.option3, "
      "v.requires_shipping, v.taxable "
      "FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN inventory_levels il ON il.variant_id = v.id ";
  static const std::string kById = std::string(kSelect) + "WHERE v.id = $1";
  static const std::string kBySku = std::string(kSelect) + "WHERE v.sku = $1";
  VariantRead read{std::string(sku_or_id), std::nullopt, 0};
  if (sku_or_id.rfind("var_", 0) == 0) read.by_id = tx.Prefetch(kById, {sku_or_id});
  read.by_sku = tx.Prefetch(kBySku, {sku_or_id});
  return read;
}

Result<VariantForSale> TakeVariantForSale(store::Transaction& tx, const VariantRead& read) {
  auto take = [&](std::size_t ticket) -> std::optional<VariantForSale> {
    auto rows = tx.Take(ticket).rows;
    if (!rows->Next()) return std::nullopt;
    return VariantForSale{rows->Text(0),
                          rows->OptText(1),
                          rows->Text(2),
                          rows->Text(3),
                          rows->Int(4),
                          rows->Text(5),
                          rows->Int(6),
                          rows->Bool(7),
                          rows->Bool(8),
                          rows->Text(9),
                          VariantTitle(rows->OptText(10), rows->OptText(11), rows->OptText(12)),
                          rows->Bool(13),
                          rows->Bool(14)};
  };
  std::optional<VariantForSale> v;
  if (read.by_id) v = take(*read.by_id);
  std::optional<VariantForSale> by_sku = take(read.by_sku);  // taken either way: each answer is read once
  if (!v) v = std::move(by_sku);
  if (!v) {
    Error e = Error::NotFound("unknown_sku", "no variant with SKU or id '" + read.key + "'");
    e.fields.push_back({"sku", "unknown"});
    return e;
  }
  return *v;
}

Status CheckPurchasable(const VariantForSale& v, std::string_view cart_currency, std::int64_t quantity) {
  std::string name = v.sku ? *v.sku : v.variant_id;
  if (v.product_status != "active")
    return Error::Precondition("not_purchasable", name + " is not for sale (its product is " + v.product_status + ")");
  if (v.currency != cart_currency)
    return Error::Precondition("currency_mismatch", name + " is priced in " + v.currency + ", the cart in " +
                                                        std::string(cart_currency));
  if (v.tracked && !v.allow_backorder && quantity > v.available) {
    Error e = Error::Precondition("insufficient_stock",
                                  "only " + std::to_string(std::max<std::int64_t>(v.available, 0)) + " of " + name +
                                      " available");
    e.fields.push_back({name, "only " + std::to_string(std::max<std::int64_t>(v.available, 0)) + " available"});
    return e;
  }
  return Ok();
}

}  // namespace ecom::orders
