// The JSON shape of carts, orders, payments and refunds: shared by the HTTP
// API, `--json` CLI output and event payloads, so all agree.
#pragma once

#include <nlohmann/json.hpp>

#include "ecom/orders/pricing.h"
#include "ecom/orders/types.h"

namespace ecom::orders {

// {"name","line1","line2","city","region","postal_code","country","phone"}
nlohmann::json ToJson(const Address& a);
// Reads an address object; every problem is a field error under `prefix`
// (`shipping_address.country`). Unknown members are errors too.
Result<Address> AddressFromJson(const nlohmann::json& j, const std::string& prefix);

// {"id","status","currency","lines":[{"variant_id","sku","product_id","title",
//  "variant_title","quantity","unit_price":{money},"catalog_price":{money},
//  "price_changed","subtotal":{money},"tax":{money},"requires_shipping",
//  "available"}],"totals":{"subtotal","shipping","tax","grand_total":{money},
//  "taxes_included"},"shipping_method","customer_id","order_id","version",
//  "created_at","updated_at","expires_at"}
nlohmann::json ToJson(const Cart& c);

// {"id","number","status","payment_status","email","customer_id","currency",
//  "totals":{...},"amount_captured":{money},"amount_refunded":{money},
//  "shipping_method":{"code","name"},"shipping_address","billing_address",
//  "shipment":{"carrier","tracking_number","tracking_url"}|null,
//  "payment_failure","cancel_reason","payment_due_at","lines":[{"line_no",
//  "variant_id","product_id","sku","title","variant_title","quantity",
//  "unit_price","subtotal","tax","tax_rate","requires_shipping",
//  "restocked_quantity"}],"version","created_at","updated_at"}
nlohmann::json ToJson(const Order& o);
nlohmann::json ToJson(const OrderLine& l);
nlohmann::json ToJson(const TimelineEntry& t);
// {"id","order_id","gateway","status","amount":{money},"amount_refunded",
//  "card":{"brand","last4"}|null,"reference","failure_code",
//  "failure_message","created_at","updated_at","captured_at"}
nlohmann::json ToJson(const Payment& p);
nlohmann::json ToJson(const Refund& r);

// Append exactly the bytes of ToJson(x).dump() to `out`, without building the
// tree: for answers and events on the checkout path.
void AppendJson(std::string& out, const Cart& c);
void AppendJson(std::string& out, const Order& o);
void AppendJson(std::string& out, const Payment& p);
nlohmann::json ToJson(const ShippingMethod& m);
nlohmann::json ToJson(const TaxRate& r);

}  // namespace ecom::orders
