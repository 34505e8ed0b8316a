#include "ecom/orders/json.h"

namespace ecom::orders {
namespace {

using nlohmann::json;

json Money(std::int64_t amount, const std::string& currency) {
  return {{"amount", amount}, {"currency", currency}};
}

json Opt(const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); }

json TotalsJson(const Totals& t, const std::string& currency) {
  return {{"subtotal", Money(t.subtotal, currency)},
          {"shipping", Money(t.shipping, currency)},
          {"tax", Money(t.tax, currency)},
          {"grand_total", Money(t.grand_total, currency)},
          {"taxes_included", t.taxes_included}};
}

}  // namespace

json ToJson(const Address& a) {
  return {{"name", a.name},   {"line1", a.line1},         {"line2", a.line2},     {"city", a.city},
          {"region", a.region}, {"postal_code", a.postal_code}, {"country", a.country}, {"phone", a.phone}};
}

Result<Address> AddressFromJson(const json& j, const std::string& prefix) {
  std::vector<FieldError> errors;
  if (!j.is_object()) return Error::Invalid(prefix + " must be an object", {{prefix, "must be an object"}});
  Address a;
  struct Field {
    const char* name;
    std::string Address::*member;
    bool required;
    std::size_t max;
  };
  static const Field kFields[] = {
      {"name", &Address::name, true, 200},       {"line1", &Address::line1, true, 200},
      {"line2", &Address::line2, false, 200},    {"city", &Address::city, true, 100},
      {"region", &Address::region, false, 3},    {"postal_code", &Address::postal_code, false, 20},
      {"country", &Address::country, true, 2},   {"phone", &Address::phone, false, 40},
  };
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (const auto& f : kFields) known = known || key == f.name;
    if (!known) errors.push_back({prefix + "." + key, "unknown field"});
  }
  for (const auto& f : kFields) {
    auto it = j.find(f.name);
    if (it == j.end() || it->is_null()) {
      if (f.required) errors.push_back({prefix + "." + f.name, "is required"});
      continue;
    }
    if (!it->is_string()) {
      errors.push_back({prefix + "." + f.name, "must be a string"});
      continue;
    }
    std::string v = it->get<std::string>();
    if (f.required && v.empty()) errors.push_back({prefix + "." + f.name, "must not be empty"});
    else if (v.size() > f.max) errors.push_back({prefix + "." + f.name, "at most " + std::to_string(f.max) + " characters"});
    a.*(f.member) = std::move(v);
  }
  if (!a.country.empty() && (a.country.size() != 2 || !std::isupper(static_cast<unsigned char>(a.country[0])) ||
                             !std::isupper(static_cast<unsigned char>(a.country[1]))))
    errors.push_back({prefix + ".country", "an ISO 3166-1 alpha-2 code in upper case, such as US"});
  if (!errors.empty()) return Error::Invalid(prefix + " is not a valid address", std::move(errors));
  return a;
}

json ToJson(const Cart& c) {
  json lines = json::array();
  for (const auto& l : c.lines)
    lines.push_back({{"variant_id", l.variant_id},
                     {"sku", Opt(l.sku)},
                     {"product_id", l.product_id},
                     {"title", l.title},
                     {"variant_title", l.variant_title},
                     {"quantity", l.quantity},
                     {"unit_price", Money(l.unit_price, c.currency)},
                     {"catalog_price", Money(l.catalog_price, c.currency)},
                     {"price_changed", l.price_changed},
                     {"subtotal", Money(l.subtotal, c.currency)},
                     {"tax", Money(l.tax, c.currency)},
                     {"requires_shipping", l.requires_shipping},
                     {"purchasable", l.purchasable},
                     {"available", l.available}});
  return {{"id", c.id},
          {"status", c.status},
          {"currency", c.currency},
          {"customer_id", Opt(c.customer_id)},
          {"lines", std::move(lines)},
          {"totals", TotalsJson(c.totals, c.currency)},
          {"shipping_method", Opt(c.shipping_method)},
          {"order_id", Opt(c.order_id)},
          {"version", c.version},
          {"created_at", c.created_at},
          {"updated_at", c.updated_at},
          {"expires_at", c.expires_at}};
}

json ToJson(const OrderLine& l) {
  return {{"line_no", l.line_no},
          {"variant_id", l.variant_id},
          {"product_id", l.product_id},
          {"sku", Opt(l.sku)},
          {"title", l.title},
          {"variant_title", l.variant_title},
          {"quantity", l.quantity},
          {"unit_price", Money(l.unit_price, l.currency)},
          {"subtotal", Money(l.subtotal, l.currency)},
          {"tax", Money(l.tax, l.currency)},
          {"tax_rate", FormatPercent(l.tax_rate_ppm)},
          {"requires_shipping", l.requires_shipping},
          {"restocked_quantity", l.restocked_quantity}};
}

json ToJson(const Order& o) {
  json lines = json::array();
  for (const auto& l : o.lines) lines.push_back(ToJson(l));
  json shipment = nullptr;
  if (o.carrier)
    shipment = {{"carrier", *o.carrier}, {"tracking_number", Opt(o.tracking_number)}, {"tracking_url", Opt(o.tracking_url)}};
  return {{"id", o.id},
          {"number", o.number},
          {"status", ToString(o.status)},
          {"payment_status", ToString(o.payment_status)},
          {"email", o.email},
          {"customer_id", Opt(o.customer_id)},
          {"cart_id", o.cart_id},
          {"currency", o.currency},
          {"totals", TotalsJson(o.totals, o.currency)},
          {"amount_captured", Money(o.amount_captured, o.currency)},
          {"amount_refunded", Money(o.amount_refunded, o.currency)},
          {"shipping_method", {{"code", o.shipping_method}, {"name", o.shipping_method_name}}},
          {"shipping_address", ToJson(o.shipping_address)},
          {"billing_address", ToJson(o.billing_address)},
          {"shipment", std::move(shipment)},
          {"stock", o.stock_state},
          {"payment_failure", Opt(o.payment_failure)},
          {"cancel_reason", Opt(o.cancel_reason)},
          {"payment_due_at", o.payment_due_at},
          {"lines", std::move(lines)},
          {"version", o.version},
          {"created_at", o.created_at},
          {"updated_at", o.updated_at}};
}

json ToJson(const TimelineEntry& t) {
  return {{"id", t.id}, {"kind", t.kind}, {"detail", json::parse(t.detail, nullptr, false)},
          {"actor", t.actor}, {"created_at", t.created_at}};
}

json ToJson(const Payment& p) {
  json card = nullptr;
  if (!p.brand.empty() || !p.last4.empty()) card = {{"brand", p.brand}, {"last4", p.last4}};
  return {{"id", p.id},
          {"order_id", p.order_id},
          {"gateway", p.gateway},
          {"status", p.status},
          {"amount", Money(p.amount.amount, p.amount.currency)},
          {"amount_refunded", Money(p.amount_refunded, p.amount.currency)},
          {"card", std::move(card)},
          {"reference", p.reference.empty() ? json(nullptr) : json(p.reference)},
          {"failure_code", Opt(p.failure_code)},
          {"failure_message", Opt(p.failure_message)},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at},
          {"captured_at", Opt(p.captured_at)}};
}

json ToJson(const Refund& r) {
  return {{"id", r.id},
          {"order_id", r.order_id},
          {"payment_id", r.payment_id},
          {"amount", Money(r.amount.amount, r.amount.currency)},
          {"reason", r.reason},
          {"status", r.status},
          {"reference", r.reference.empty() ? json(nullptr) : json(r.reference)},
          {"actor", r.actor},
          {"created_at", r.created_at}};
}

json ToJson(const ShippingMethod& m) {
  return {{"code", m.code}, {"name", m.name}, {"amount", Money(m.amount.amount, m.amount.currency)},
          {"countries", m.countries}, {"source", m.source}};
}

json ToJson(const TaxRate& r) {
  return {{"code", r.code},           {"country", r.country},         {"region", r.region},
          {"rate", FormatPercent(r.rate_ppm)}, {"inclusive", r.inclusive}, {"on_shipping", r.on_shipping},
          {"source", r.source}};
}

}  // namespace ecom::orders
