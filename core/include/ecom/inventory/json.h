// The inventory's JSON shapes, shared by the HTTP API and `--json` CLI output
// so both always agree.
#pragma once

#include <nlohmann/json.hpp>

#include "ecom/common/result.h"
#include "ecom/inventory/inventory_service.h"

namespace ecom::inventory {

// {"variant_id","sku","product_id","on_hand","reserved","available","tracked",
//  "inventory_policy":"deny"|"continue","low_stock_threshold","low_stock",
//  "updated_at"}; "sku" and "low_stock_threshold" may be null.
nlohmann::json ToJson(const StockLevel& level);
// {"id","variant_id","sku","delta","on_hand_after","reason","reference",
//  "actor","note","created_at"}
nlohmann::json ToJson(const LedgerEntry& entry);
// {"items":[ledger entry, newest first],"next_cursor": string or null}
nlohmann::json ToJson(const LedgerPage& page);

// The readers below take a request body. Wrong types, missing required
// members and unknown members are kInvalidArgument, every problem named in
// Error::fields by its member ("body" when it is not an object).

// An adjustment: {"delta": whole number, "reason": a StockReason, optional
// "reference" and "note"}. `sku_or_id` is left for the caller to fill in.
Result<StockChange> StockChangeFromJson(const nlohmann::json& j);
// A count: {"on_hand": whole number, optional "expect": whole number,
// "reason": "count" (the default) or "correction", "note", and
// "low_stock_threshold": whole number or null to clear it}.
Result<StockCount> StockCountFromJson(const nlohmann::json& j);

}  // namespace ecom::inventory
