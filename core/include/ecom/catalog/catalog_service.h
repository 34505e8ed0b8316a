// The catalog use cases: products, variants, categories, collections, search.
// Every change commits with its outbox event in one transaction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ecom/catalog/types.h"
#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::catalog {

// A variant as the caller describes it. Prices are minor units of the shop
// currency.
struct VariantInput {
  std::optional<std::string> sku;
  std::array<std::optional<std::string>, 3> options;
  std::int64_t price = 0;
  std::optional<std::int64_t> compare_at_price;
  std::optional<std::int64_t> cost;
  std::string barcode;
  double weight_grams = 0;
  std::string weight_unit = "g";
  bool requires_shipping = true;
  bool taxable = true;
  std::string tax_code;
  bool inventory_tracked = true;
  InventoryPolicy inventory_policy = InventoryPolicy::kDeny;
  std::string fulfillment_service = "manual";
  std::string image_url;
  // Sets on-hand stock (a `count` ledger row, only when it differs). Used by
  // create and import; stock otherwise changes through InventoryService.
  std::optional<std::int64_t> inventory_quantity;
};

struct ImageInput {
  std::string url;
  std::string alt;
};

// A whole product as the caller describes it (create, import).
struct ProductInput {
  std::string handle;  // empty: made from the title
  std::string title;
  std::string description;
  std::string vendor;
  std::string product_type;
  std::vector<std::string> tags;
  ProductStatus status = ProductStatus::kDraft;
  std::string seo_title;
  std::string seo_description;
  std::vector<std::string> option_names;
  bool gift_card = false;
  bool published = true;
  // Category by id, or by a path of names ("Apparel > Shirts"), created on demand.
  std::optional<std::string> category_id;
  std::vector<std::string> category_path;
  std::vector<VariantInput> variants;  // at least one
  std::vector<ImageInput> images;      // in position order
};

// Product-level fields to change; absent fields stay as they are.
struct ProductPatch {
  std::optional<std::string> handle, title, description, vendor, product_type, seo_title,
      seo_description;
  std::optional<std::vector<std::string>> tags;
  std::optional<ProductStatus> status;
  std::optional<bool> published;
  std::optional<std::optional<std::string>> category_id;  // {nullopt}: clear it
  std::optional<std::vector<ImageInput>> images;          // replaces all images
};

struct VariantPatch {
  std::optional<std::optional<std::string>> sku;
  std::array<std::optional<std::string>, 3> options;  // a set value replaces that option
  std::optional<std::int64_t> price;
  std::optional<std::optional<std::int64_t>> compare_at_price, cost;
  std::optional<std::string> barcode, weight_unit, tax_code, fulfillment_service, image_url;
  std::optional<double> weight_grams;
  std::optional<bool> requires_shipping, taxable, inventory_tracked;
  std::optional<InventoryPolicy> inventory_policy;
};

enum class SortOrder { kTitle, kPrice, kNewest, kRelevance };
std::optional<SortOrder> ParseSortOrder(std::string_view s);  // title, price, newest, relevance

struct ProductQuery {
  std::string text;  // full-text query; when set the default order is relevance
  std::optional<std::string> category_id;    // includes its descendants
  std::optional<std::string> collection_id;
  std::optional<std::string> vendor;
  std::optional<std::string> product_type;
  std::optional<std::string> tag;
  std::optional<std::int64_t> price_min, price_max;  // any variant's price in range
  bool in_stock = false;                             // only products with a sellable variant
  // Which statuses to show. Public callers see only active products.
  std::vector<ProductStatus> statuses = {ProductStatus::kActive};
  std::optional<SortOrder> sort;  // default: relevance with text, else title
  int limit = 20;                 // 1..250
  std::string cursor;             // from a previous page's next_cursor
};

struct ProductPage {
  std::vector<Product> items;
  std::optional<std::string> next_cursor;
};

enum class DeleteOutcome { kDeleted, kArchived };

struct CategoryInput {
  std::string handle;  // empty: made from the name
  std::string name;
  std::optional<std::string> parent_id;
};

// Which of a collection's products it lists: every product for staff, only
// active ones for the public, who must not learn of drafts or archived ones.
enum class CollectionMembers { kActiveOnly, kAll };

struct CollectionInput {
  std::string handle;
  std::string title;
  std::string description;
};

// Thread-safe: it holds no per-call state; each call runs its own transaction.
class CatalogService {
 public:
  CatalogService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
                 std::string shop_currency);

  // Creates a product. kAlreadyExists (`handle_taken`, `sku_taken`) when a key
  // is used; kInvalidArgument with per-field errors for bad input.
  Result<Product> CreateProduct(const ProductInput& input, const Actor& actor);

  // By id (`prod_...`) or handle. kNotFound if neither matches.
  Result<Product> GetProduct(std::string_view id_or_handle);

  // Changes product-level fields. With expected_version, kFailedPrecondition
  // (`version_mismatch`) if the product changed since (the HTTP 412).
  Result<Product> UpdateProduct(std::string_view id, const ProductPatch& patch,
                                std::optional<std::int64_t> expected_version, const Actor& actor);

  // Deletes a product never stocked or sold; otherwise archives it (its ledger
  // must survive).
  Result<DeleteOutcome> DeleteProduct(std::string_view id, const Actor& actor);

  Result<ProductPage> ListProducts(const ProductQuery& query);

  // Variants are addressed by SKU or by id (`var_...`).
  Result<Variant> GetVariant(std::string_view sku_or_id);
  Result<Product> AddVariant(std::string_view product_id, const VariantInput& input, const Actor& actor);
  Result<Product> UpdateVariant(std::string_view sku_or_id, const VariantPatch& patch, const Actor& actor);
  // Refused (`variant_has_stock`) once the variant has ledger rows, and for a
  // product's last variant (`last_variant`).
  Result<Product> DeleteVariant(std::string_view sku_or_id, const Actor& actor);

  Result<Category> CreateCategory(const CategoryInput& input, const Actor& actor);
  Result<Category> GetCategory(std::string_view id_or_handle);
  Result<std::vector<Category>> ListCategories();

  Result<Collection> CreateCollection(const CollectionInput& input, const Actor& actor);
  Result<Collection> GetCollection(std::string_view id_or_handle,
                                   CollectionMembers members = CollectionMembers::kActiveOnly);
  Result<std::vector<Collection>> ListCollections(
      CollectionMembers members = CollectionMembers::kActiveOnly);
  Result<Collection> AddToCollection(std::string_view collection, std::string_view product_id,
                                     const Actor& actor);
  Result<Collection> RemoveFromCollection(std::string_view collection, std::string_view product_id,
                                          const Actor& actor);

  const std::string& shop_currency() const { return currency_; }

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::string currency_;
};

}  // namespace ecom::catalog
