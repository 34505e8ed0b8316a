// The portable search index: folded terms per product with field weights,
// queried the same way on both stores.
#pragma once

#include <string>
#include <vector>

#include "ecom/catalog/types.h"
#include "ecom/store/database.h"
#include "store/bulk_insert.h"

namespace ecom::catalog::search {

constexpr int kTitleWeight = 8;
constexpr int kAttributeWeight = 4;  // vendor, product type, tags
constexpr int kDescriptionWeight = 1;

// Rewrites the product's rows in search_terms.
void IndexProduct(store::Transaction& tx, const Product& p);
// Adds a new product's search_terms rows to a bulk writer.
void AddTerms(store::BulkInserter& out, const Product& p);

// The folded words of a query, in order; empty when it has none.
std::vector<std::string> QueryTerms(std::string_view text);

// A SQL subquery yielding (product_id, rank) for products matching every
// term, the last as a prefix. Appends its parameters to `params` (numbered
// from params.size() + 1).
std::string MatchSubquery(const std::vector<std::string>& terms, std::vector<std::string>& params);

}  // namespace ecom::catalog::search
