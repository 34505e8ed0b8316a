// Products and variants over HTTP. The JSON shape is core's (catalog/json.h);
// this file only reads the request and picks the view.
#include "daemon/product_handler.h"

#include <charconv>

#include "daemon/problem.h"
#include "ecom/catalog/json.h"
#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

constexpr const char* kCatalogRead = "catalog:read";

bool IsStaff(const Call& call) { return call.HasScope(kCatalogRead); }

catalog::JsonView ViewFor(const Call& call) { return catalog::JsonView{.staff = IsStaff(call)}; }

std::string ETag(const catalog::Product& p) { return "\"" + std::to_string(p.version) + "\""; }

// What a public caller gets for a product they may not see: the same answer
// core gives for one that does not exist.
Error HiddenProduct(std::string_view key) {
  return Error::NotFound("product_not_found", "no product '" + std::string(key) + "'");
}

Error HiddenVariant(std::string_view key) {
  return Error::NotFound("unknown_sku", "no variant with SKU or id '" + std::string(key) + "'");
}

// The version an If-Match header names: `"7"` -> 7. `*` (any version) gives
// nullopt. Anything else cannot match a current ETag, so it becomes a version
// that never exists and the update fails with version_mismatch (412).
std::optional<std::int64_t> IfMatchVersion(std::string_view header) {
  header = Trim(header);
  if (header == "*") return std::nullopt;
  if (header.size() >= 3 && header.front() == '"' && header.back() == '"') {
    std::string_view digits = header.substr(1, header.size() - 2);
    std::int64_t version = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (ec == std::errc() && end == digits.data() + digits.size() && version > 0) return version;
  }
  return -1;
}

// Whether If-None-Match names this ETag (or is `*`).
bool NoneMatch(std::string_view header, const std::string& etag) {
  if (header.empty()) return false;
  if (Trim(header) == "*") return true;
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    std::string_view tag =
        Trim(header.substr(pos, comma == std::string_view::npos ? header.npos : comma - pos));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);  // weak comparison, RFC 9110 13.1.2
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

Reply Unauthenticated(std::string detail) {
  return Problem(Error{ErrorCode::kUnauthenticated, "unauthenticated", std::move(detail), {}});
}

Result<std::vector<catalog::ProductStatus>> ParseStatuses(const std::string& list) {
  std::vector<catalog::ProductStatus> statuses;
  std::size_t pos = 0;
  while (true) {
    std::size_t comma = list.find(',', pos);
    std::string_view item = Trim(
        std::string_view(list).substr(pos, comma == std::string::npos ? list.npos : comma - pos));
    auto status = catalog::ParseProductStatus(item);
    if (!status) {
      std::string message = "'" + std::string(item) + "' is not one of draft, active, archived";
      return Error::Invalid("query parameter 'status': " + message, {{"status", message}});
    }
    statuses.push_back(*status);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return statuses;
}

// The variant a product reply is about: by id, else by SKU.
const catalog::Variant* FindVariant(const catalog::Product& p, std::string_view id,
                                    const std::optional<std::string>& sku) {
  for (const auto& v : p.variants)
    if (v.id == id) return &v;
  if (sku)
    for (const auto& v : p.variants)
      if (v.sku == sku) return &v;
  return nullptr;
}

}  // namespace

Reply ProductHandler::List(const Call& call) {
  catalog::ProductQuery query;
  if (auto status = call.Query("status")) {
    if (!IsStaff(call)) {
      if (!call.authenticated())
        return Unauthenticated(
            "the status filter needs an API key or staff session with the catalog:read scope");
      return InsufficientScope({kCatalogRead});
    }
    auto statuses = ParseStatuses(*status);
    if (!statuses) return Problem(statuses.error());
    query.statuses = std::move(*statuses);
  }

  auto limit = LimitParam(call, query.limit);
  if (!limit) return Problem(limit.error());
  query.limit = *limit;
  auto price_min = IntParam(call, "price_min", 0);
  if (!price_min) return Problem(price_min.error());
  auto price_max = IntParam(call, "price_max", 0);
  if (!price_max) return Problem(price_max.error());
  query.price_min = *price_min;
  query.price_max = *price_max;
  auto in_stock = BoolParam(call, "in_stock");
  if (!in_stock) return Problem(in_stock.error());
  query.in_stock = in_stock->value_or(false);
  if (auto sort = call.Query("sort")) {
    query.sort = catalog::ParseSortOrder(*sort);
    if (!query.sort) {
      std::string message = "'" + *sort + "' is not one of title, price, newest, relevance";
      return Problem(Error::Invalid("query parameter 'sort': " + message, {{"sort", message}}));
    }
  }
  if (auto q = call.Query("q")) query.text = *q;
  if (auto vendor = call.Query("vendor")) query.vendor = *vendor;
  if (auto type = call.Query("type")) query.product_type = *type;
  if (auto tag = call.Query("tag")) query.tag = *tag;
  if (auto cursor = call.Query("cursor")) query.cursor = *cursor;

  // Category and collection filters take an id or a handle; core resolves them.
  if (auto category = call.Query("category")) query.category_id = *category;
  if (auto collection = call.Query("collection")) query.collection_id = *collection;

  auto page = catalog_.ListProducts(query);
  if (!page) return Problem(page.error());
  // The hot path: products are written straight into the body, no document.
  catalog::JsonView view = ViewFor(call);
  std::string body = "{\"items\":[";
  body.reserve(page->items.size() * 2048);
  for (std::size_t i = 0; i < page->items.size(); ++i) {
    if (i) body.push_back(',');
    catalog::AppendJson(body, page->items[i], view);
  }
  body += "],\"next_cursor\":";
  body += page->next_cursor ? nlohmann::json(*page->next_cursor).dump() : "null";
  body.push_back('}');
  return Reply::RawJson(200, std::move(body));
}

Reply ProductHandler::Get(const Call& call) {
  const std::string& key = call.Param("id");
  auto product = catalog_.GetProduct(key);
  if (!product) return Problem(product.error());
  bool staff = IsStaff(call);
  if (!staff && product->status != catalog::ProductStatus::kActive)
    return Problem(HiddenProduct(key));
  std::string etag = ETag(*product);
  if (NoneMatch(call.Header("If-None-Match"), etag)) return Reply::Empty(304).Header("ETag", etag);
  std::string body;
  body.reserve(4096);
  catalog::AppendJson(body, *product, catalog::JsonView{.staff = staff});
  return Reply::RawJson(200, std::move(body)).Header("ETag", etag);
}

Reply ProductHandler::Create(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto input = catalog::ProductInputFromJson(*body, catalog_.shop_currency());
  if (!input) return Problem(input.error());
  auto product = catalog_.CreateProduct(*input, call.actor());
  if (!product) return Problem(product.error());
  return Reply::Json(201, catalog::ToJson(*product, catalog::JsonView{.staff = true}))
      .Header("Location", "/v1/products/" + product->id)
      .Header("ETag", ETag(*product));
}

Reply ProductHandler::Update(const Call& call) {
  std::string if_match = call.Header("If-Match");
  if (if_match.empty()) {
    return Problem(Error::Precondition(
        "precondition_required",
        "send If-Match with the product's ETag (its version, e.g. If-Match: \"3\") so that "
        "concurrent changes are not lost"));
  }
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto patch = catalog::ProductPatchFromJson(*body);
  if (!patch) return Problem(patch.error());
  auto product =
      catalog_.UpdateProduct(call.Param("id"), *patch, IfMatchVersion(if_match), call.actor());
  if (!product) return Problem(product.error());
  return Reply::Json(200, catalog::ToJson(*product, catalog::JsonView{.staff = true}))
      .Header("ETag", ETag(*product));
}

Reply ProductHandler::Delete(const Call& call) {
  auto outcome = catalog_.DeleteProduct(call.Param("id"), call.actor());
  if (!outcome) return Problem(outcome.error());
  return Reply::Json(
      200, {{"outcome", *outcome == catalog::DeleteOutcome::kDeleted ? "deleted" : "archived"}});
}

Reply ProductHandler::AddVariant(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto input = catalog::VariantInputFromJson(*body, catalog_.shop_currency());
  if (!input) return Problem(input.error());
  auto product = catalog_.AddVariant(call.Param("id"), *input, call.actor());
  if (!product) return Problem(product.error());
  // The new variant: the one with the SKU asked for, else the last one.
  const catalog::Variant* added = nullptr;
  if (input->sku) {
    added = FindVariant(*product, "", input->sku);
  } else {
    for (const auto& v : product->variants)
      if (!added || v.position > added->position) added = &v;
  }
  if (!added) return Problem(Error::Internal("added variant missing from the product"));
  return Reply::Json(201, catalog::ToJson(*added, catalog::JsonView{.staff = true}))
      .Header("Location", "/v1/variants/" + added->id);
}

Reply ProductHandler::GetVariant(const Call& call) {
  const std::string& key = call.Param("sku");
  auto variant = catalog_.GetVariant(key);
  if (!variant) return Problem(variant.error());
  bool staff = IsStaff(call);
  if (!staff) {
    auto product = catalog_.GetProduct(variant->product_id);
    if (!product && product.error().code != ErrorCode::kNotFound) return Problem(product.error());
    if (!product || product->status != catalog::ProductStatus::kActive)
      return Problem(HiddenVariant(key));
  }
  return Reply::Json(200, catalog::ToJson(*variant, catalog::JsonView{.staff = staff}));
}

Reply ProductHandler::UpdateVariant(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto patch = catalog::VariantPatchFromJson(*body, catalog_.shop_currency());
  if (!patch) return Problem(patch.error());
  // Address it by id from here on: the patch may change its SKU.
  auto variant = catalog_.GetVariant(call.Param("sku"));
  if (!variant) return Problem(variant.error());
  auto product = catalog_.UpdateVariant(variant->id, *patch, call.actor());
  if (!product) return Problem(product.error());
  const catalog::Variant* updated = FindVariant(*product, variant->id, std::nullopt);
  if (!updated) return Problem(Error::Internal("updated variant missing from the product"));
  return Reply::Json(200, catalog::ToJson(*updated, catalog::JsonView{.staff = true}));
}

Reply ProductHandler::DeleteVariant(const Call& call) {
  auto product = catalog_.DeleteVariant(call.Param("sku"), call.actor());
  if (!product) return Problem(product.error());
  return Reply::Json(200, {{"outcome", "deleted"}});
}

}  // namespace ecom::daemon
