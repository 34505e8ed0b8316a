#include "orders/cart_lines.h"

namespace ecom::orders {

std::string VariantTitle(const std::optional<std::string>& o1, const std::optional<std::string>& o2,
                         const std::optional<std::string>& o3) {
  std::string out;
  for (const auto* o : {&o1, &o2, &o3})
    if (*o && !(*o)->empty()) out += (out.empty() ? "" : " / ") + **o;
  return out == "Default Title" ? "" : out;
}

std::vector<CartLine> ReadCartLines(store::Transaction& tx, std::string_view cart_id) {
  auto rows = tx.Query(
      "SELECT l.variant_id, v.sku, v.product_id, p.title, v.option1, v.option2, v.option3, l.quantity, "
      "l.unit_price, v.price, v.requires_shipping, v.taxable, p.status, il.on_hand - il.reserved, "
      "il.tracked, il.allow_backorder "
      "FROM cart_lines l JOIN variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id "
      "LEFT JOIN inventory_levels il ON il.variant_id = v.id "
      "WHERE l.cart_id = $1 ORDER BY l.added_at, l.variant_id",
      {cart_id});
  std::vector<CartLine> lines;
  while (rows->Next()) {
    CartLine l;
    l.variant_id = rows->Text(0);
    l.sku = rows->OptText(1);
    l.product_id = rows->Text(2);
    l.title = rows->Text(3);
    l.variant_title = VariantTitle(rows->OptText(4), rows->OptText(5), rows->OptText(6));
    l.quantity = rows->Int(7);
    l.unit_price = rows->Int(8);
    l.catalog_price = rows->Int(9);
    l.price_changed = l.unit_price != l.catalog_price;
    l.subtotal = l.unit_price * l.quantity;
    l.requires_shipping = rows->Bool(10);
    l.taxable = rows->Bool(11);
    l.purchasable = rows->View(12) == "active";
    bool tracked = rows->IsNull(14) || rows->Bool(14);
    bool backorder = !rows->IsNull(15) && rows->Bool(15);
    l.tracked = tracked;
    l.available = tracked && !backorder ? std::max<std::int64_t>(rows->IsNull(13) ? 0 : rows->Int(13), 0)
                                        : std::int64_t{1} << 40;
    lines.push_back(std::move(l));
  }
  return lines;
}

Result<VariantForSale> FindVariantForSale(store::Transaction& tx, std::string_view sku_or_id) {
  constexpr std::string_view kSelect =
      "SELECT v.id, v.sku, v.product_id, p.status, v.price, v.currency, COALESCE(il.on_hand - il.reserved, 0), "
      "COALESCE(il.tracked, 1), COALESCE(il.allow_backorder, 0) "
      "FROM variants v JOIN products p ON p.id = v.product_id LEFT JOIN inventory_levels il ON il.variant_id = v.id ";
  auto read = [&](std::string where) -> std::optional<VariantForSale> {
    auto rows = tx.Query(std::string(kSelect) + where, {sku_or_id});
    if (!rows->Next()) return std::nullopt;
    return VariantForSale{rows->Text(0), rows->OptText(1), rows->Text(2), rows->Text(3), rows->Int(4),
                          rows->Text(5), rows->Int(6), rows->Bool(7), rows->Bool(8)};
  };
  std::optional<VariantForSale> v;
  if (sku_or_id.rfind("var_", 0) == 0) v = read("WHERE v.id = $1");
  if (!v) v = read("WHERE v.sku = $1");
  if (!v) {
    Error e = Error::NotFound("unknown_sku", "no variant with SKU or id '" + std::string(sku_or_id) + "'");
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
