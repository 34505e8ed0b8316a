// The opening stock of a variant created in bulk (private to core).
#pragma once

#include <optional>
#include <string>

#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "store/bulk_insert.h"

namespace ecom::inventory {

struct InitialStock {
  std::string variant_id;
  std::optional<std::string> sku;
  std::string product_id;
  std::int64_t on_hand = 0;  // the level row is written with this on-hand already
  std::string reference;
  std::string now;
};

// Adds the `count` ledger row that explains a new variant's opening on-hand,
// so the ledger's sum equals the level, and returns its id. No stock.adjusted
// event: the product.created event that announces the variant carries its
// opening on-hand and this ledger entry.
std::string AddInitialStock(store::BulkInserter& out, IdGenerator& ids, const InitialStock& stock,
                            const Actor& actor);

}  // namespace ecom::inventory
