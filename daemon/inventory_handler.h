// HTTP handlers for stock levels, adjustments and the ledger (/v1/inventory).
#pragma once

#include "daemon/call.h"
#include "ecom/inventory/inventory_service.h"

namespace ecom::daemon {

// Thread-safe.
class InventoryHandler {
 public:
  explicit InventoryHandler(inventory::InventoryService& inventory) : inventory_(inventory) {}

  Reply GetLevel(const Call& call);
  // PUT: sets on-hand to a counted quantity, optionally compare-and-set
  // (`expect`), and the low-stock threshold, in one transaction.
  Reply SetLevel(const Call& call);
  // POST .../adjustments: adds a signed delta with a reason.
  Reply Adjust(const Call& call);
  Reply History(const Call& call);

 private:
  inventory::InventoryService& inventory_;
};

}  // namespace ecom::daemon
