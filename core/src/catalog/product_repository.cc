// The catalog's SQL, written once for both dialects.
#include "catalog/product_repository.h"

#include "catalog/search.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <unordered_map>

#include "ecom/common/text.h"

namespace ecom::catalog::repo {
namespace {

using store::Transaction;
using store::Value;

// "$1, $2, ..., $n" starting at `first`.
std::string Placeholders(std::size_t n, std::size_t first = 1) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ", ";
    out += "$" + std::to_string(first + i);
  }
  return out;
}

std::vector<Value> Views(const std::vector<std::string>& ids) {
  std::vector<Value> params;
  params.reserve(ids.size());
  for (const auto& id : ids) params.emplace_back(std::string_view(id));
  return params;
}

constexpr const char* kProductColumns =
    "id, handle, title, description, vendor, product_type, tags, status, seo_title, seo_description, "
    "option1_name, option2_name, option3_name, gift_card, published, category_id, version, created_at, "
    "updated_at";

Product ReadProduct(const store::Rows& r) {
  Product p;
  p.id = r.Text(0);
  p.handle = r.Text(1);
  p.title = r.Text(2);
  p.description = r.Text(3);
  p.vendor = r.Text(4);
  p.product_type = r.Text(5);
  p.tags = nlohmann::json::parse(r.View(6)).get<std::vector<std::string>>();
  p.status = ParseProductStatus(r.View(7)).value_or(ProductStatus::kDraft);
  p.seo_title = r.Text(8);
  p.seo_description = r.Text(9);
  for (int i = 10; i <= 12; ++i)
    if (!r.IsNull(i)) p.option_names.push_back(r.Text(i));
  p.gift_card = r.Bool(13);
  p.published = r.Bool(14);
  p.category_id = r.OptText(15);
  p.version = r.Int(16);
  p.created_at = r.Text(17);
  p.updated_at = r.Text(18);
  return p;
}

constexpr const char* kVariantColumns =
    "v.id, v.product_id, v.position, v.sku, v.option1, v.option2, v.option3, v.price, "
    "v.compare_at_price, v.cost, v.currency, v.barcode, v.weight_grams, v.weight_unit, "
    "v.requires_shipping, v.taxable, v.tax_code, v.inventory_tracked, v.inventory_policy, "
    "v.fulfillment_service, v.image_url, v.created_at, v.updated_at, l.on_hand, l.reserved";

Variant ReadVariant(const store::Rows& r) {
  Variant v;
  v.id = r.Text(0);
  v.product_id = r.Text(1);
  v.position = static_cast<int>(r.Int(2));
  v.sku = r.OptText(3);
  for (int i = 0; i < 3; ++i) v.options[i] = r.OptText(4 + i);
  v.price = {r.Int(7), r.Text(10)};
  v.compare_at_price = r.OptInt(8);
  v.cost = r.OptInt(9);
  v.barcode = r.Text(11);
  v.weight_grams = r.Double(12);
  v.weight_unit = r.Text(13);
  v.requires_shipping = r.Bool(14);
  v.taxable = r.Bool(15);
  v.tax_code = r.Text(16);
  v.inventory_tracked = r.Bool(17);
  v.inventory_policy = ParseInventoryPolicy(r.View(18)).value_or(InventoryPolicy::kDeny);
  v.fulfillment_service = r.Text(19);
  v.image_url = r.Text(20);
  v.created_at = r.Text(21);
  v.updated_at = r.Text(22);
  std::int64_t available = r.Int(23) - r.Int(24);
  v.availability.available = available;
  v.availability.in_stock =
      !v.inventory_tracked || v.inventory_policy == InventoryPolicy::kContinue || available > 0;
  return v;
}

}  // namespace

std::vector<Product> LoadProducts(Transaction& tx, const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  auto params = Views(ids);
  std::string in = "(" + Placeholders(ids.size()) + ")";
  std::unordered_map<std::string, Product> by_id;
  {
    auto rows = tx.Query(std::string("SELECT ") + kProductColumns + " FROM products WHERE id IN " + in, params);
    while (rows->Next()) {
      Product p = ReadProduct(*rows);
      by_id.emplace(p.id, std::move(p));
    }
  }
  {
    auto rows = tx.Query(std::string("SELECT ") + kVariantColumns +
                             " FROM variants v JOIN inventory_levels l ON l.variant_id = v.id "
                             "WHERE v.product_id IN " + in + " ORDER BY v.product_id, v.position",
                         params);
    while (rows->Next()) {
      Variant v = ReadVariant(*rows);
      by_id[v.product_id].variants.push_back(std::move(v));
    }
  }
  {
    auto rows = tx.Query("SELECT product_id, id, position, url, alt FROM product_images WHERE product_id IN " +
                             in + " ORDER BY product_id, position",
                         params);
    while (rows->Next())
      by_id[rows->Text(0)].images.push_back(
          {rows->Text(1), static_cast<int>(rows->Int(2)), rows->Text(3), rows->Text(4)});
  }
  {
    auto rows = tx.Query("SELECT product_id, collection_id FROM collection_products WHERE product_id IN " +
                             in + " ORDER BY product_id, collection_id",
                         params);
    while (rows->Next()) by_id[rows->Text(0)].collection_ids.push_back(rows->Text(1));
  }
  std::vector<Product> out;
  out.reserve(ids.size());
  for (const auto& id : ids) {
    auto it = by_id.find(id);
    if (it != by_id.end() && !it->second.id.empty()) out.push_back(std::move(it->second));
  }
  return out;
}

std::optional<Product> LoadProduct(Transaction& tx, std::string_view id_or_handle) {
  std::string id;
  {
    auto rows = tx.Query("SELECT id FROM products WHERE id = $1 OR handle = $1", {id_or_handle});
    if (!rows->Next()) return std::nullopt;
    id = rows->Text(0);
  }
  auto products = LoadProducts(tx, {id});
  if (products.empty()) return std::nullopt;
  return std::move(products.front());
}

std::optional<std::string> ProductIdOfSku(Transaction& tx, std::string_view sku) {
  auto rows = tx.Query("SELECT product_id FROM variants WHERE sku = $1", {sku});
  if (!rows->Next()) return std::nullopt;
  return rows->Text(0);
}

std::vector<std::pair<std::string, std::string>> OwnersOfSkus(Transaction& tx, const std::vector<std::string>& skus) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t start = 0; start < skus.size(); start += 256) {
    std::vector<std::string> chunk(skus.begin() + static_cast<long>(start),
                                   skus.begin() + static_cast<long>(std::min(skus.size(), start + 256)));
    auto rows = tx.Query("SELECT sku, product_id FROM variants WHERE sku IN (" + Placeholders(chunk.size()) + ")",
                         Views(chunk));
    while (rows->Next()) out.emplace_back(rows->Text(0), rows->Text(1));
  }
  return out;
}

std::optional<std::string> ProductIdOfVariant(Transaction& tx, std::string_view sku_or_id) {
  if (sku_or_id.rfind("var_", 0) == 0) {
    auto rows = tx.Query("SELECT product_id FROM variants WHERE id = $1", {sku_or_id});
    if (rows->Next()) return rows->Text(0);
  }
  return ProductIdOfSku(tx, sku_or_id);
}

namespace {
std::vector<Value> ProductRowValues(const Product& p, const std::string& title_key, const std::string& tags) {
  auto opt = [&](std::size_t i) -> Value {
    if (i < p.option_names.size()) return std::string_view(p.option_names[i]);
    return nullptr;
  };
  return {std::string_view(p.id), std::string_view(p.handle), std::string_view(p.title),
          std::string_view(title_key), std::string_view(p.description), std::string_view(p.vendor),
          std::string_view(p.product_type), std::string_view(tags), std::string_view(ToString(p.status)),
          std::string_view(p.seo_title), std::string_view(p.seo_description), opt(0), opt(1), opt(2),
          p.gift_card, p.published, store::Nullable(p.category_id), p.version,
          std::string_view(p.created_at), std::string_view(p.updated_at)};
}

std::string TitleKey(const std::string& title) {
  // Sort key for titles: folded words joined by spaces, so "Éclair" sorts with "eclair".
  std::string key;
  for (const auto& t : FoldedTerms(title)) {
    if (!key.empty()) key.push_back(' ');
    key += t;
  }
  return key;
}
}  // namespace

void InsertProduct(store::BulkInserter& out, const Product& p, std::string_view indexed_terms) {
  std::int64_t price_min = 0, price_max = 0;
  for (std::size_t i = 0; i < p.variants.size(); ++i) {
    std::int64_t price = p.variants[i].price.amount;
    price_min = i ? std::min(price_min, price) : price;
    price_max = i ? std::max(price_max, price) : price;
  }
  auto opt = [&](std::size_t i) -> store::OwnedValue {
    if (i < p.option_names.size()) return p.option_names[i];
    return nullptr;
  };
  out.Add("products",
          "id, handle, title, title_key, description, vendor, product_type, tags, status, seo_title, "
          "seo_description, option1_name, option2_name, option3_name, gift_card, published, category_id, "
          "price_min, price_max, version, created_at, updated_at, indexed_terms",
          {p.id, p.handle, p.title, TitleKey(p.title), p.description, p.vendor, p.product_type,
           nlohmann::json(p.tags).dump(), std::string(ToString(p.status)), p.seo_title, p.seo_description, opt(0),
           opt(1), opt(2), std::int64_t{p.gift_card}, std::int64_t{p.published},
           p.category_id ? store::OwnedValue(*p.category_id) : store::OwnedValue(nullptr), price_min, price_max,
           p.version, p.created_at, p.updated_at, std::string(indexed_terms)});
  for (const auto& tag : p.tags) out.Add("product_tags", "product_id, tag", {p.id, tag});
  for (const auto& img : p.images)
    out.Add("product_images", "id, product_id, position, url, alt",
            {img.id, p.id, std::int64_t{img.position}, img.url, img.alt});
}

void UpdateProductRow(Transaction& tx, const Product& p) {
  const std::string title_key = TitleKey(p.title), tags = nlohmann::json(p.tags).dump();
  auto values = ProductRowValues(p, title_key, tags);
  tx.Exec(
      "UPDATE products SET handle = $2, title = $3, title_key = $4, description = $5, vendor = $6, "
      "product_type = $7, tags = $8, status = $9, seo_title = $10, seo_description = $11, "
      "option1_name = $12, option2_name = $13, option3_name = $14, gift_card = $15, published = $16, "
      "category_id = $17, version = $18, updated_at = $20 WHERE id = $1 AND created_at = $19",
      values);
}

namespace {
std::vector<Value> VariantRowValues(const Variant& v) {
  return {std::string_view(v.id), std::string_view(v.product_id), std::int64_t{v.position},
          store::Nullable(v.sku), store::Nullable(v.options[0]), store::Nullable(v.options[1]),
          store::Nullable(v.options[2]), v.price.amount, store::Nullable(v.compare_at_price),
          store::Nullable(v.cost), std::string_view(v.price.currency), std::string_view(v.barcode),
          v.weight_grams, std::string_view(v.weight_unit), v.requires_shipping, v.taxable,
          std::string_view(v.tax_code), v.inventory_tracked,
          std::string_view(ToString(v.inventory_policy)), std::string_view(v.fulfillment_service),
          std::string_view(v.image_url), std::string_view(v.created_at), std::string_view(v.updated_at)};
}
}  // namespace

void InsertVariant(store::BulkInserter& out, const Variant& v, std::int64_t on_hand, std::string_view now) {
  auto opt_text = [](const std::optional<std::string>& s) -> store::OwnedValue {
    if (s) return *s;
    return nullptr;
  };
  auto opt_int = [](const std::optional<std::int64_t>& n) -> store::OwnedValue {
    if (n) return *n;
    return nullptr;
  };
  out.Add("variants",
          "id, product_id, position, sku, option1, option2, option3, price, compare_at_price, cost, currency, "
          "barcode, weight_grams, weight_unit, requires_shipping, taxable, tax_code, inventory_tracked, "
          "inventory_policy, fulfillment_service, image_url, created_at, updated_at",
          {v.id, v.product_id, std::int64_t{v.position}, opt_text(v.sku), opt_text(v.options[0]),
           opt_text(v.options[1]), opt_text(v.options[2]), v.price.amount, opt_int(v.compare_at_price),
           opt_int(v.cost), v.price.currency, v.barcode, v.weight_grams, v.weight_unit,
           std::int64_t{v.requires_shipping}, std::int64_t{v.taxable}, v.tax_code, std::int64_t{v.inventory_tracked},
           std::string(ToString(v.inventory_policy)), v.fulfillment_service, v.image_url, v.created_at,
           v.updated_at});
  out.Add("inventory_levels", "variant_id, on_hand, reserved, tracked, allow_backorder, updated_at",
          {v.id, on_hand, std::int64_t{0}, std::int64_t{v.inventory_tracked},
           std::int64_t{v.inventory_policy == InventoryPolicy::kContinue}, std::string(now)});
}

void UpdateVariantRow(Transaction& tx, const Variant& v) {
  auto values = VariantRowValues(v);
  tx.Exec(
      "UPDATE variants SET position = $3, sku = $4, option1 = $5, option2 = $6, option3 = $7, price = $8, "
      "compare_at_price = $9, cost = $10, currency = $11, barcode = $12, weight_grams = $13, "
      "weight_unit = $14, requires_shipping = $15, taxable = $16, tax_code = $17, inventory_tracked = $18, "
      "inventory_policy = $19, fulfillment_service = $20, image_url = $21, updated_at = $23 "
      "WHERE id = $1 AND product_id = $2 AND created_at = $22",
      values);
  SyncLevelPolicy(tx, v);
}

void SyncLevelPolicy(Transaction& tx, const Variant& v) {
  tx.Exec("UPDATE inventory_levels SET tracked = $2, allow_backorder = $3 WHERE variant_id = $1",
          {std::string_view(v.id), v.inventory_tracked, v.inventory_policy == InventoryPolicy::kContinue});
}

void DeleteVariantRow(Transaction& tx, std::string_view variant_id) {
  tx.Exec("DELETE FROM inventory_levels WHERE variant_id = $1", {variant_id});
  tx.Exec("DELETE FROM variants WHERE id = $1", {variant_id});
}

void ReplaceImages(Transaction& tx, const Product& p) {
  tx.Exec("DELETE FROM product_images WHERE product_id = $1", {std::string_view(p.id)});
  for (const auto& img : p.images)
    tx.Exec("INSERT INTO product_images (id, product_id, position, url, alt) VALUES ($1, $2, $3, $4, $5)",
            {std::string_view(img.id), std::string_view(p.id), std::int64_t{img.position},
             std::string_view(img.url), std::string_view(img.alt)});
}

void ReplaceTags(Transaction& tx, const Product& p) {
  tx.Exec("DELETE FROM product_tags WHERE product_id = $1", {std::string_view(p.id)});
  for (const auto& tag : p.tags)
    tx.Exec("INSERT INTO product_tags (product_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            {std::string_view(p.id), std::string_view(tag)});
}

void RefreshPriceRange(Transaction& tx, std::string_view product_id) {
  tx.Exec(
      "UPDATE products SET price_min = (SELECT COALESCE(MIN(price), 0) FROM variants WHERE product_id = $1), "
      "price_max = (SELECT COALESCE(MAX(price), 0) FROM variants WHERE product_id = $1) WHERE id = $1",
      {product_id});
}

bool HasLedgerRows(Transaction& tx, std::string_view product_id) {
  auto rows = tx.Query(
      "SELECT 1 FROM stock_ledger s JOIN variants v ON v.id = s.variant_id WHERE v.product_id = $1 LIMIT 1",
      {product_id});
  return rows->Next();
}

bool VariantHasLedgerRows(Transaction& tx, std::string_view variant_id) {
  auto rows = tx.Query("SELECT 1 FROM stock_ledger WHERE variant_id = $1 LIMIT 1", {variant_id});
  return rows->Next();
}

void DeleteProductRows(Transaction& tx, std::string_view product_id) {
  // Children first, so the delete does not depend on cascade support.
  search::RemoveProduct(tx, product_id);
  tx.Exec("DELETE FROM product_tags WHERE product_id = $1", {product_id});
  tx.Exec("DELETE FROM product_images WHERE product_id = $1", {product_id});
  tx.Exec("DELETE FROM collection_products WHERE product_id = $1", {product_id});
  tx.Exec("DELETE FROM inventory_levels WHERE variant_id IN (SELECT id FROM variants WHERE product_id = $1)",
          {product_id});
  tx.Exec("DELETE FROM variants WHERE product_id = $1", {product_id});
  tx.Exec("DELETE FROM products WHERE id = $1", {product_id});
}

std::optional<Category> LoadCategory(Transaction& tx, std::string_view id_or_handle) {
  auto rows = tx.Query("SELECT id, handle, name, parent_id, created_at FROM categories WHERE id = $1 OR handle = $1",
                       {id_or_handle});
  if (!rows->Next()) return std::nullopt;
  return Category{rows->Text(0), rows->Text(1), rows->Text(2), rows->OptText(3), rows->Text(4)};
}

std::vector<Category> LoadCategories(Transaction& tx) {
  std::vector<Category> out;
  auto rows = tx.Query("SELECT id, handle, name, parent_id, created_at FROM categories ORDER BY path");
  while (rows->Next())
    out.push_back({rows->Text(0), rows->Text(1), rows->Text(2), rows->OptText(3), rows->Text(4)});
  return out;
}

void InsertCategory(Transaction& tx, const Category& c, std::string_view path) {
  tx.Exec("INSERT INTO categories (id, handle, name, parent_id, path, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
          {std::string_view(c.id), std::string_view(c.handle), std::string_view(c.name),
           store::Nullable(c.parent_id), path, std::string_view(c.created_at)});
}

std::optional<std::string> CategoryPath(Transaction& tx, std::string_view id) {
  auto rows = tx.Query("SELECT path FROM categories WHERE id = $1", {id});
  if (!rows->Next()) return std::nullopt;
  return rows->Text(0);
}

namespace {
void LoadCollectionProducts(Transaction& tx, Collection& c, CollectionMembers members) {
  auto rows = tx.Query(members == CollectionMembers::kAll
                           ? "SELECT product_id FROM collection_products WHERE collection_id = $1 "
                             "ORDER BY position, product_id"
                           : "SELECT cp.product_id FROM collection_products cp JOIN products p ON p.id = cp.product_id "
                             "WHERE cp.collection_id = $1 AND p.status = 'active' ORDER BY cp.position, cp.product_id",
                       {std::string_view(c.id)});
  while (rows->Next()) c.product_ids.push_back(rows->Text(0));
}
}  // namespace

std::optional<Collection> LoadCollection(Transaction& tx, std::string_view id_or_handle,
                                         CollectionMembers members) {
  Collection c;
  {
    auto rows = tx.Query(
        "SELECT id, handle, title, description, created_at, updated_at FROM collections WHERE id = $1 OR handle = $1",
        {id_or_handle});
    if (!rows->Next()) return std::nullopt;
    c = {rows->Text(0), rows->Text(1), rows->Text(2), rows->Text(3), {}, rows->Text(4), rows->Text(5)};
  }
  LoadCollectionProducts(tx, c, members);
  return c;
}

std::vector<Collection> LoadCollections(Transaction& tx, CollectionMembers members) {
  std::vector<Collection> out;
  {
    auto rows = tx.Query("SELECT id, handle, title, description, created_at, updated_at FROM collections ORDER BY handle");
    while (rows->Next())
      out.push_back({rows->Text(0), rows->Text(1), rows->Text(2), rows->Text(3), {}, rows->Text(4), rows->Text(5)});
  }
  for (auto& c : out) LoadCollectionProducts(tx, c, members);
  return out;
}

}  // namespace ecom::catalog::repo
