#include "ecom/orders/json.h"

#include "ecom/common/json_writer.h"

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

// ---- The same documents, written directly --------------------------------
//
// Carts, orders and payments are in every checkout's answers and events.
// These write the bytes ToJson(...).dump() gives, keys in its sorted order,
// without building a tree of allocations first.

namespace ecom::orders {
namespace {

void Opt(JsonWriter& w, const std::optional<std::string>& v) {
  if (v) w.Value(*v);
  else w.ValueNull();
}

void WriteTotals(JsonWriter& w, const Totals& t, std::string_view currency) {
  w.Begin('{');
  w.Key("grand_total");
  w.Money(t.grand_total, currency);
  w.Key("shipping");
  w.Money(t.shipping, currency);
  w.Key("subtotal");
  w.Money(t.subtotal, currency);
  w.Key("tax");
  w.Money(t.tax, currency);
  w.Key("taxes_included");
  w.Value(t.taxes_included);
  w.End('}');
}

void WriteAddress(JsonWriter& w, const Address& a) {
  w.Begin('{');
  w.Key("city");
  w.Value(a.city);
  w.Key("country");
  w.Value(a.country);
  w.Key("line1");
  w.Value(a.line1);
  w.Key("line2");
  w.Value(a.line2);
  w.Key("name");
  w.Value(a.name);
  w.Key("phone");
  w.Value(a.phone);
  w.Key("postal_code");
  w.Value(a.postal_code);
  w.Key("region");
  w.Value(a.region);
  w.End('}');
}

void WriteCartLine(JsonWriter& w, const CartLine& l, std::string_view currency) {
  w.Begin('{');
  w.Key("available");
  w.Value(l.available);
  w.Key("catalog_price");
  w.Money(l.catalog_price, currency);
  w.Key("price_changed");
  w.Value(l.price_changed);
  w.Key("product_id");
  w.Value(l.product_id);
  w.Key("purchasable");
  w.Value(l.purchasable);
  w.Key("quantity");
  w.Value(l.quantity);
  w.Key("requires_shipping");
  w.Value(l.requires_shipping);
  w.Key("sku");
  Opt(w, l.sku);
  w.Key("subtotal");
  w.Money(l.subtotal, currency);
  w.Key("tax");
  w.Money(l.tax, currency);
  w.Key("title");
  w.Value(l.title);
  w.Key("unit_price");
  w.Money(l.unit_price, currency);
  w.Key("variant_id");
  w.Value(l.variant_id);
  w.Key("variant_title");
  w.Value(l.variant_title);
  w.End('}');
}

void WriteOrderLine(JsonWriter& w, const OrderLine& l) {
  w.Begin('{');
  w.Key("line_no");
  w.Value(std::int64_t{l.line_no});
  w.Key("product_id");
  w.Value(l.product_id);
  w.Key("quantity");
  w.Value(l.quantity);
  w.Key("requires_shipping");
  w.Value(l.requires_shipping);
  w.Key("restocked_quantity");
  w.Value(l.restocked_quantity);
  w.Key("sku");
  Opt(w, l.sku);
  w.Key("subtotal");
  w.Money(l.subtotal, l.currency);
  w.Key("tax");
  w.Money(l.tax, l.currency);
  w.Key("tax_rate");
  w.Value(FormatPercent(l.tax_rate_ppm));
  w.Key("title");
  w.Value(l.title);
  w.Key("unit_price");
  w.Money(l.unit_price, l.currency);
  w.Key("variant_id");
  w.Value(l.variant_id);
  w.Key("variant_title");
  w.Value(l.variant_title);
  w.End('}');
}

}  // namespace

void AppendJson(std::string& out, const Cart& c) {
  JsonWriter w(out);
  w.Begin('{');
  w.Key("created_at");
  w.Value(c.created_at);
  w.Key("currency");
  w.Value(c.currency);
  w.Key("customer_id");
  Opt(w, c.customer_id);
  w.Key("expires_at");
  w.Value(c.expires_at);
  w.Key("id");
  w.Value(c.id);
  w.Key("lines");
  w.Begin('[');
  for (const auto& l : c.lines) WriteCartLine(w, l, c.currency);
  w.End(']');
  w.Key("order_id");
  Opt(w, c.order_id);
  w.Key("shipping_method");
  Opt(w, c.shipping_method);
  w.Key("status");
  w.Value(c.status);
  w.Key("totals");
  WriteTotals(w, c.totals, c.currency);
  w.Key("updated_at");
  w.Value(c.updated_at);
  w.Key("version");
  w.Value(c.version);
  w.End('}');
}

void AppendJson(std::string& out, const Order& o) {
  JsonWriter w(out);
  w.Begin('{');
  w.Key("amount_captured");
  w.Money(o.amount_captured, o.currency);
  w.Key("amount_refunded");
  w.Money(o.amount_refunded, o.currency);
  w.Key("billing_address");
  WriteAddress(w, o.billing_address);
  w.Key("cancel_reason");
  Opt(w, o.cancel_reason);
  w.Key("cart_id");
  w.Value(o.cart_id);
  w.Key("created_at");
  w.Value(o.created_at);
  w.Key("currency");
  w.Value(o.currency);
  w.Key("customer_id");
  Opt(w, o.customer_id);
  w.Key("email");
  w.Value(o.email);
  w.Key("id");
  w.Value(o.id);
  w.Key("lines");
  w.Begin('[');
  for (const auto& l : o.lines) WriteOrderLine(w, l);
  w.End(']');
  w.Key("number");
  w.Value(o.number);
  w.Key("payment_due_at");
  w.Value(o.payment_due_at);
  w.Key("payment_failure");
  Opt(w, o.payment_failure);
  w.Key("payment_status");
  w.Value(std::string_view(ToString(o.payment_status)));
  w.Key("shipment");
  if (o.carrier) {
    w.Begin('{');
    w.Key("carrier");
    w.Value(*o.carrier);
    w.Key("tracking_number");
    Opt(w, o.tracking_number);
    w.Key("tracking_url");
    Opt(w, o.tracking_url);
    w.End('}');
  } else {
    w.ValueNull();
  }
  w.Key("shipping_address");
  WriteAddress(w, o.shipping_address);
  w.Key("shipping_method");
  w.Begin('{');
  w.Key("code");
  w.Value(o.shipping_method);
  w.Key("name");
  w.Value(o.shipping_method_name);
  w.End('}');
  w.Key("status");
  w.Value(std::string_view(ToString(o.status)));
  w.Key("stock");
  w.Value(o.stock_state);
  w.Key("totals");
  WriteTotals(w, o.totals, o.currency);
  w.Key("updated_at");
  w.Value(o.updated_at);
  w.Key("version");
  w.Value(o.version);
  w.End('}');
}

void AppendJson(std::string& out, const Payment& p) {
  JsonWriter w(out);
  w.Begin('{');
  w.Key("amount");
  w.Money(p.amount.amount, p.amount.currency);
  w.Key("amount_refunded");
  w.Money(p.amount_refunded, p.amount.currency);
  w.Key("captured_at");
  Opt(w, p.captured_at);
  w.Key("card");
  if (!p.brand.empty() || !p.last4.empty()) {
    w.Begin('{');
    w.Key("brand");
    w.Value(p.brand);
    w.Key("last4");
    w.Value(p.last4);
    w.End('}');
  } else {
    w.ValueNull();
  }
  w.Key("created_at");
  w.Value(p.created_at);
  w.Key("failure_code");
  Opt(w, p.failure_code);
  w.Key("failure_message");
  Opt(w, p.failure_message);
  w.Key("gateway");
  w.Value(p.gateway);
  w.Key("id");
  w.Value(p.id);
  w.Key("order_id");
  w.Value(p.order_id);
  w.Key("reference");
  if (p.reference.empty()) w.ValueNull();
  else w.Value(p.reference);
  w.Key("status");
  w.Value(p.status);
  w.Key("updated_at");
  w.Value(p.updated_at);
  w.End('}');
}

}  // namespace ecom::orders
