// Names of the catalog's enumerations.
#include "ecom/catalog/types.h"

namespace ecom::catalog {

const char* ToString(ProductStatus s) {
  switch (s) {
    case ProductStatus::kDraft: return "draft";
    case ProductStatus::kActive: return "active";
    case ProductStatus::kArchived: return "archived";
  }
  return "draft";
}

std::optional<ProductStatus> ParseProductStatus(std::string_view s) {
  if (s == "draft") return ProductStatus::kDraft;
  if (s == "active") return ProductStatus::kActive;
  if (s == "archived") return ProductStatus::kArchived;
  return std::nullopt;
}

const char* ToString(InventoryPolicy p) { return p == InventoryPolicy::kDeny ? "deny" : "continue"; }

std::optional<InventoryPolicy> ParseInventoryPolicy(std::string_view s) {
  if (s == "deny") return InventoryPolicy::kDeny;
  if (s == "continue") return InventoryPolicy::kContinue;
  return std::nullopt;
}

std::string Variant::Title() const {
  std::string out;
  for (const auto& o : options) {
    if (!o) continue;
    if (!out.empty()) out += " / ";
    out += *o;
  }
  return out.empty() ? "Default Title" : out;
}

}  // namespace ecom::catalog
