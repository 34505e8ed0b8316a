// The catalog's SQL: loading and writing products, variants, images, tags,
// categories and collections inside a caller's transaction. No rules here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ecom/catalog/catalog_service.h"
#include "ecom/catalog/types.h"
#include "ecom/store/database.h"

namespace ecom::catalog::repo {

// Loads full products (variants with availability, images, collections) in
// the order of `ids`; missing ids are skipped.
std::vector<Product> LoadProducts(store::Transaction& tx, const std::vector<std::string>& ids);
std::optional<Product> LoadProduct(store::Transaction& tx, std::string_view id_or_handle);
std::optional<std::string> ProductIdOfSku(store::Transaction& tx, std::string_view sku);
std::optional<std::string> ProductIdOfVariant(store::Transaction& tx, std::string_view sku_or_id);

// Writes the product row (insert or full update of product-level fields).
void InsertProduct(store::Transaction& tx, const Product& p);
void UpdateProductRow(store::Transaction& tx, const Product& p);
void InsertVariant(store::Transaction& tx, const Variant& v, std::string_view now);
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

std::optional<Collection> LoadCollection(store::Transaction& tx, std::string_view id_or_handle);
std::vector<Collection> LoadCollections(store::Transaction& tx);

}  // namespace ecom::catalog::repo
