// The catalog's JSON shape, shared by the HTTP API, `--json` CLI output and
// the JSON Lines import/export format, so all three always agree.
#pragma once

#include <nlohmann/json.hpp>

#include "ecom/catalog/catalog_service.h"
#include "ecom/catalog/types.h"
#include "ecom/common/result.h"

namespace ecom::catalog {

struct JsonView {
  // Staff views include cost, inventory policy details and on-hand levels;
  // the public view shows availability only.
  bool staff = false;
};

// {"amount": 1299, "currency": "EUR"}
nlohmann::json MoneyJson(std::int64_t amount, const std::string& currency);

// Product with its variants and images:
// {"id","handle","title","description","vendor","product_type","tags":[...],
//  "status","seo":{"title","description"},"options":["Size",...],"gift_card",
//  "published","category_id","collection_ids":[...],
//  "variants":[{"id","sku","title","options":[...],"price":{money},
//     "compare_at_price":{money}|null,"barcode","weight_grams","weight_unit",
//     "requires_shipping","taxable","inventory_tracked","inventory_policy",
//     "image_url","availability":{"in_stock","available"}, staff: "cost",
//     "tax_code","fulfillment_service"}],
//  "images":[{"id","position","url","alt"}],"version","created_at","updated_at"}
nlohmann::json ToJson(const Product& p, const JsonView& view);
nlohmann::json ToJson(const Variant& v, const JsonView& view);
// Appends exactly the JSON of ToJson(p, view), written directly without
// building a document: the hot path of product pages and lists.
void AppendJson(std::string& out, const Product& p, const JsonView& view);

nlohmann::json ToJson(const Category& c);
nlohmann::json ToJson(const Collection& c);

// Reads a product description (API create body, a JSON Lines record). Money
// fields take {"amount","currency"} in the shop currency or a plain integer
// of minor units. Unknown fields and wrong types are errors, each named in
// Error::fields with its JSON path (`variants[1].price`).
Result<ProductInput> ProductInputFromJson(const nlohmann::json& j, const std::string& shop_currency);
Result<ProductPatch> ProductPatchFromJson(const nlohmann::json& j);
Result<VariantInput> VariantInputFromJson(const nlohmann::json& j, const std::string& shop_currency);
Result<VariantPatch> VariantPatchFromJson(const nlohmann::json& j, const std::string& shop_currency);
Result<CategoryInput> CategoryInputFromJson(const nlohmann::json& j);
Result<CollectionInput> CollectionInputFromJson(const nlohmann::json& j);

// The export record of a product: like ToJson(staff) plus each variant's
// "inventory_quantity" (on hand), and without server-assigned fields, so that
// ProductInputFromJson reads it back as the same product.
nlohmann::json ExportJson(const Product& p, const std::vector<std::int64_t>& on_hand);

}  // namespace ecom::catalog
