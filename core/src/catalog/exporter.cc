// Catalog export: every product, streamed in id order, as Shopify CSV or JSON Lines.
#include <nlohmann/json.hpp>

#include "catalog/product_repository.h"
#include "catalog/product_source.h"
#include "ecom/catalog/import.h"
#include "ecom/catalog/json.h"

namespace ecom::catalog {
namespace {

std::vector<std::string> CategoryNames(store::Transaction& tx, const std::optional<std::string>& id) {
  std::vector<std::string> names;
  if (!id) return names;
  auto path = repo::CategoryPath(tx, *id);
  if (!path) return names;
  std::size_t start = 1;
  while (start < path->size()) {
    auto slash = path->find('/', start);
    if (slash == std::string::npos) break;
    auto category = repo::LoadCategory(tx, path->substr(start, slash - start));
    if (category) names.push_back(category->name);
    start = slash + 1;
  }
  return names;
}

std::vector<std::int64_t> OnHand(store::Transaction& tx, const Product& p) {
  std::vector<std::int64_t> out;
  for (const auto& v : p.variants) {
    auto rows = tx.Query("SELECT on_hand FROM inventory_levels WHERE variant_id = $1", {std::string_view(v.id)});
    out.push_back(rows->Next() ? rows->Int(0) : 0);
  }
  return out;
}

}  // namespace

Status ExportCatalog(store::Database& db, const std::string& /*shop_currency*/, ImportFormat format,
                     std::ostream& out) {
  // One read transaction: a consistent snapshot, paged by id so memory stays flat.
  auto tx = db.Begin(store::TxMode::kRead);
  if (format == ImportFormat::kShopify) out << ShopifyHeader();
  std::string after;
  std::string buffer;
  for (;;) {
    std::vector<std::string> ids;
    {
      auto rows = tx->Query("SELECT id FROM products WHERE id > $1 ORDER BY id LIMIT 500", {std::string_view(after)});
      while (rows->Next()) ids.push_back(rows->Text(0));
    }
    if (ids.empty()) break;
    after = ids.back();
    for (const auto& p : repo::LoadProducts(*tx, ids)) {
      auto on_hand = OnHand(*tx, p);
      auto categories = CategoryNames(*tx, p.category_id);
      buffer.clear();
      if (format == ImportFormat::kShopify) {
        AppendShopifyRows(buffer, p, on_hand, categories);
      } else {
        auto j = ExportJson(p, on_hand);
        if (!categories.empty()) j["category_path"] = categories;
        buffer = j.dump();
        buffer.push_back('\n');
      }
      out << buffer;
    }
    if (!out) return Error{ErrorCode::kUnavailable, "write_failed", "writing the export failed", {}};
  }
  out.flush();
  if (!out) return Error{ErrorCode::kUnavailable, "write_failed", "writing the export failed", {}};
  return Ok();
}

}  // namespace ecom::catalog
