// HTTP handlers for stock levels, adjustments and the ledger (/v1/inventory).
#pragma once

#include <nlohmann/json.hpp>

#include "daemon/call.h"
#include "ecom/inventory/inventory_service.h"

namespace ecom::daemon {

// Thread-safe.
class InventoryHandler {
 public:
  explicit InventoryHandler(inventory::InventoryService& inventory) : inventory_(inventory) {}

  Reply GetLevel(const Call& call);
  // PUT: sets on-hand to a counted quantity, optionally compare-and-set
  // (`expect`), and the low-stock threshold.
  Reply SetLevel(const Call& call);
  // POST .../adjustments: adds a signed delta with a reason.
  Reply Adjust(const Call& call);
  Reply History(const Call& call);

 private:
  inventory::InventoryService& inventory_;
};

// {variant_id, sku, product_id, on_hand, reserved, available, tracked,
//  inventory_policy, low_stock_threshold, low_stock, updated_at}
nlohmann::json StockLevelJson(const inventory::StockLevel& level);
// {id, variant_id, sku, delta, on_hand_after, reason, reference, actor, note, created_at}
nlohmann::json LedgerEntryJson(const inventory::LedgerEntry& entry);

}  // namespace ecom::daemon
