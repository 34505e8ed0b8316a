// The catalog's SQL: loading and writing products, variants, images, tags,
// categories and collections inside a caller's transaction. No rules here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ecom/catalog/catalog_service.h"
#include "ecom/catalog/types.h"
#include "ecom/store/database.h"
#include "store/bulk_insert.h"

namespace ecom::catalog::repo {

// Loads full products (variants with availability, images, collections) in
// the order of `ids`; missing ids are skipped.
std::vector<Product> LoadProducts(store::Transaction& tx, const std::vector<std::string>& ids);
std::optional<Product> LoadProduct(store::Transaction& tx, std::string_view id_or_handle);
std::optional<std::string> ProductIdOfSku(store::Transaction& tx, std::string_view sku);
// (sku, product id) for those of `skus` that exist.
std::vector<std::pair<std::string, std::string>> OwnersOfSkus(store::Transaction& tx,
                                                              const std::vector<std::string>& skus);
std::optional<std::string> ProductIdOfVariant(store::Transaction& tx, std::string_view sku_or_id);

// Adds a new product's rows (product, tags, images) and a new variant's rows
// (variant and its stock level at `on_hand`); written when `out` flushes.
void InsertProduct(store::BulkInserter& out, const Product& p, std::string_view indexed_terms);
void InsertVariant(store::BulkInserter& out, const Variant& v, std::int64_t on_hand, std::string_view now);
// Rewrites product-level fields of an existing product.
void UpdateProductRow(store::Transaction& tx, const Product& p);
void UpdateVariantRow(store::Transaction& tx, const Variant& v);
void DeleteVariantRow(store::Transaction& tx, std::string_view variant_id);
void ReplaceImages(store::Transaction& tx, const Product& p);
void ReplaceTags(store::Transaction& tx, const Product& p);
// Recomputes price_min/price_max from the product's variants.
void RefreshPriceRange(store::Transaction& tx, std::string_view product_id);
// Keeps inventory_levels.tracked/allow_backorder in step with the variant.
void SyncLevelPolicy(store::Transaction& tx, const Variant& v);
bool HasLedgerRows(store::Transaction& tx, std::string_view product_id);
bool VariantHasLedgerRows(store::Transaction& tx, std::string_view variant_id);
void DeleteProductRows(store::Transaction& tx, std::string_view product_id);

std::optional<Category> LoadCategory(store::Transaction& tx, std::string_view id_or_handle);
std::vector<Category> LoadCategories(store::Transaction& tx);
void InsertCategory(store::Transaction& tx, const Category& c, std::string_view path);
std::optional<std::string> CategoryPath(store::Transaction& tx, std::string_view id);

std::optional<Collection> LoadCollection(store::Transaction& tx, std::string_view id_or_handle,
                                         CollectionMembers members = CollectionMembers::kAll);
std::vector<Collection> LoadCollections(store::Transaction& tx, CollectionMembers members);

}  // namespace ecom::catalog::repo
