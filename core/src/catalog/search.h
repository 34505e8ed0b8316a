// The portable search index: folded terms per product with field weights,
// queried the same way on both stores.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/catalog/types.h"
#include "ecom/store/database.h"
#include "store/bulk_insert.h"

namespace ecom::catalog::search {

constexpr int kTitleWeight = 8;
constexpr int kAttributeWeight = 4;  // vendor, product type, tags
constexpr int kDescriptionWeight = 1;

// Every folded term of a product with the weight of the best field it is in.
using WeightedTerms = std::map<std::string, int>;
WeightedTerms TermsOf(const Product& p);
// The terms as products.indexed_terms records them: space-separated.
std::string JoinTerms(const WeightedTerms& terms);

// Rewrites the product's postings and its indexed_terms.
void IndexProduct(store::Transaction& tx, const Product& p);
// Adds a new product's postings to a bulk writer (its row carries
// JoinTerms(terms) in indexed_terms).
void AddPostings(store::BulkInserter& out, const std::string& product_id, const WeightedTerms& terms);
// Removes the postings of a product about to be deleted.
void RemoveProduct(store::Transaction& tx, std::string_view product_id);

// The folded words of a query, in order; empty when it has none.
std::vector<std::string> QueryTerms(std::string_view text);

// A SQL subquery yielding (product_id, rank) for products matching every
// term, the last as a prefix. Appends its parameters to `params` (numbered
// from params.size() + 1).
std::string MatchSubquery(const std::vector<std::string>& terms, std::vector<std::string>& params);

}  // namespace ecom::catalog::search
