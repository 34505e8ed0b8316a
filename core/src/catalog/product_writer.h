// Creating and upserting whole products: the one write path shared by the
// API's create and the importers, so both apply the same rules.
#pragma once

#include <string>
#include <vector>

#include "ecom/catalog/catalog_service.h"
#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"
#include "store/bulk_insert.h"

namespace ecom::catalog {

// Checks a product description on its own (no store access): required
// fields, handle syntax, option/variant consistency, prices, SKUs unique
// within the product. Returns every problem, each naming its field.
std::vector<FieldError> ValidateProductInput(const ProductInput& input);

struct UpsertOutcome {
  std::string product_id;
  enum class Kind { kCreated, kUpdated, kUnchanged } kind = Kind::kUnchanged;
  std::int64_t variants_created = 0, variants_updated = 0, variants_unchanged = 0;
  std::int64_t stock_changes = 0;
};

struct WriteContext {
  store::Transaction& tx;
  IdGenerator& ids;
  const Clock& clock;
  const std::string& currency;
  const Actor& actor;
  // When set, new products' rows are buffered here and written in multi-row
  // statements (bulk import); the caller flushes before reading or committing.
  store::BulkInserter* bulk = nullptr;
};

// Creates the product, or with `upsert` updates the one with the same handle
// (variants matched by SKU, else by option values; nothing written and no
// event when nothing differs). The input must have passed validation.
Result<UpsertOutcome> WriteProduct(const WriteContext& ctx, const ProductInput& input, bool upsert);

// A variant as stored, from its description in the shop currency, and back.
Variant VariantFromInput(const VariantInput& in, const std::string& currency);
VariantInput InputFromVariant(const Variant& v);

// Finds or creates the category tree for a path of names; returns the leaf id.
std::string EnsureCategoryPath(const WriteContext& ctx, const std::vector<std::string>& names);

}  // namespace ecom::catalog
