// HTTP handlers for stock levels, adjustments and the ledger (/v1/inventory).
#pragma once

#include <memory>

#include "daemon/call.h"
#include "ecom/inventory/inventory_service.h"

namespace ecom::daemon {

// Thread-safe.
class InventoryHandler {
 public:
  InventoryHandler(inventory::InventoryService& inventory, store::Database& db, std::shared_ptr<Clock> clock)
      : inventory_(inventory), db_(db), clock_(std::move(clock)) {}

  Reply GetLevel(const Call& call);
  // PUT: sets on-hand to a counted quantity, optionally compare-and-set
  // (`expect`), and the low-stock threshold, in one transaction.
  Reply SetLevel(const Call& call);
  // POST .../adjustments: adds a signed delta with a reason, once per
  // Idempotency-Key (required).
  Reply Adjust(const Call& call);
  Reply History(const Call& call);

 private:
  inventory::InventoryService& inventory_;
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
};

}  // namespace ecom::daemon
