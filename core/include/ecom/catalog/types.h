// The catalog's value types: products, their options, variants and images,
// categories and collections.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ecom/common/money.h"

namespace ecom::catalog {

enum class ProductStatus { kDraft, kActive, kArchived };
const char* ToString(ProductStatus s);
std::optional<ProductStatus> ParseProductStatus(std::string_view s);

enum class InventoryPolicy { kDeny, kContinue };  // continue: may sell below zero
const char* ToString(InventoryPolicy p);
std::optional<InventoryPolicy> ParseInventoryPolicy(std::string_view s);

// What a shopper can buy of a variant right now.
struct Availability {
  bool in_stock = false;           // sellable: untracked, backorder allowed, or available > 0
  std::int64_t available = 0;      // on_hand - reserved (meaningless when untracked)
};

struct Variant {
  std::string id;                                   // var_...
  std::string product_id;
  int position = 1;                                 // 1-based order within the product
  std::optional<std::string> sku;                   // unique across the shop when present
  std::array<std::optional<std::string>, 3> options;  // values for the product's option names
  Money price;
  std::optional<std::int64_t> compare_at_price;     // minor units, same currency
  std::optional<std::int64_t> cost;                 // unit cost, minor units
  std::string barcode;
  double weight_grams = 0;
  std::string weight_unit = "g";                    // display unit: g, kg, lb, oz
  bool requires_shipping = true;
  bool taxable = true;
  std::string tax_code;
  bool inventory_tracked = true;                    // false: always sellable, never reserved
  InventoryPolicy inventory_policy = InventoryPolicy::kDeny;
  std::string fulfillment_service = "manual";
  std::string image_url;
  std::string created_at;
  std::string updated_at;
  Availability availability;

  // "Green / S", or "Default Title" for a product without options.
  std::string Title() const;
};

struct Image {
  std::string id;  // img_...
  int position = 1;
  std::string url;
  std::string alt;
};

struct Product {
  std::string id;  // prod_...
  std::string handle;
  std::string title;
  std::string description;  // HTML
  std::string vendor;
  std::string product_type;
  std::vector<std::string> tags;
  ProductStatus status = ProductStatus::kDraft;
  std::string seo_title;
  std::string seo_description;
  std::vector<std::string> option_names;  // at most 3: Size, Color, ...
  bool gift_card = false;
  bool published = true;
  std::optional<std::string> category_id;
  std::vector<Variant> variants;
  std::vector<Image> images;
  std::vector<std::string> collection_ids;
  std::int64_t version = 1;  // bumped on every change; the ETag
  std::string created_at;
  std::string updated_at;
};

struct Category {
  std::string id;  // cat_...
  std::string handle;
  std::string name;
  std::optional<std::string> parent_id;
  std::string created_at;
};

struct Collection {
  std::string id;  // col_...
  std::string handle;
  std::string title;
  std::string description;
  std::vector<std::string> product_ids;  // in position order
  std::string created_at;
  std::string updated_at;
};

}  // namespace ecom::catalog
