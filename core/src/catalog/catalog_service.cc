// Catalog use cases: each one transaction with its outbox event.
#include "ecom/catalog/catalog_service.h"

#include <nlohmann/json.hpp>

#include "catalog/product_repository.h"
#include "catalog/product_writer.h"
#include "catalog/search.h"
#include "ecom/common/text.h"
#include "ecom/events/outbox.h"
#include "ecom/inventory/inventory_service.h"

namespace ecom::catalog {
namespace {

using store::Transaction;
using store::TxMode;

Error ProductNotFound(std::string_view ref) {
  return Error::NotFound("product_not_found", "no product '" + std::string(ref) + "'");
}

Error VariantNotFound(std::string_view ref) {
  return Error::NotFound("unknown_sku", "no variant with SKU or id '" + std::string(ref) + "'");
}

// Turns a unique violation that slipped past the checks (a concurrent writer)
// into the caller's error instead of a 500.
template <typename F>
auto Guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const store::DbError& e) {
    if (e.kind() == store::DbError::Kind::kUniqueViolation)
      return Error::Exists("already_exists", "a handle or SKU is already taken");
    throw;
  }
}

// Cursor: base64url of "<sort key>\x1f<id>", opaque to clients.
std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buf >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buf << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> FromBase64Url(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    buf = (buf << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

struct Cursor {
  char sort;         // t, p, n, r
  std::string key;   // title key, price, or rank
  std::string id;
};

std::string EncodeCursor(const Cursor& c) { return Base64Url(std::string(1, c.sort) + c.key + '\x1f' + c.id); }

std::optional<Cursor> DecodeCursor(std::string_view text) {
  auto raw = FromBase64Url(text);
  if (!raw || raw->size() < 2) return std::nullopt;
  auto sep = raw->rfind('\x1f');
  if (sep == std::string::npos || sep == 0) return std::nullopt;
  Cursor c{(*raw)[0], raw->substr(1, sep - 1), raw->substr(sep + 1)};
  if (c.id.rfind("prod_", 0) != 0) return std::nullopt;
  return c;
}

bool IsInteger(const std::string& s) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<SortOrder> ParseSortOrder(std::string_view s) {
  if (s == "title") return SortOrder::kTitle;
  if (s == "price") return SortOrder::kPrice;
  if (s == "newest") return SortOrder::kNewest;
  if (s == "relevance") return SortOrder::kRelevance;
  return std::nullopt;
}

CatalogService::CatalogService(store::Database& db, std::shared_ptr<Clock> clock,
                               std::shared_ptr<IdGenerator> ids, std::string shop_currency)
    : db_(db), clock_(std::move(clock)), ids_(std::move(ids)), currency_(std::move(shop_currency)) {}

Result<Product> CatalogService::CreateProduct(const ProductInput& input, const Actor& actor) {
  auto errors = ValidateProductInput(input);
  if (!errors.empty()) return Error::Invalid("the product is not valid", std::move(errors));
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Product> {
      WriteContext ctx{tx, *ids_, *clock_, currency_, actor};
      ECOM_ASSIGN_OR_RETURN(UpsertOutcome outcome, WriteProduct(ctx, input, /*upsert=*/false));
      auto product = repo::LoadProduct(tx, outcome.product_id);
      if (!product) return Error::Internal("created product vanished");
      return std::move(*product);
    });
  });
}

Result<Product> CatalogService::GetProduct(std::string_view id_or_handle) {
  auto tx = db_.Begin(TxMode::kRead);
  auto product = repo::LoadProduct(*tx, id_or_handle);
  if (!product) return ProductNotFound(id_or_handle);
  return std::move(*product);
}

Result<Product> CatalogService::UpdateProduct(std::string_view id, const ProductPatch& patch,
                                              std::optional<std::int64_t> expected_version,
                                              const Actor& actor) {
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Product> {
      auto current = repo::LoadProduct(tx, id);
      if (!current) return ProductNotFound(id);
      if (expected_version && *expected_version != current->version)
        return Error::Precondition("version_mismatch", "the product changed since version " +
                                                           std::to_string(*expected_version) + "; it is now version " +
                                                           std::to_string(current->version));
      // Re-validate the whole product as it would be after the patch.
      ProductInput next;
      next.handle = patch.handle.value_or(current->handle);
      next.title = patch.title.value_or(current->title);
      next.description = patch.description.value_or(current->description);
      next.vendor = patch.vendor.value_or(current->vendor);
      next.product_type = patch.product_type.value_or(current->product_type);
      next.tags = patch.tags.value_or(current->tags);
      next.status = patch.status.value_or(current->status);
      next.seo_title = patch.seo_title.value_or(current->seo_title);
      next.seo_description = patch.seo_description.value_or(current->seo_description);
      next.option_names = current->option_names;
      next.gift_card = current->gift_card;
      next.published = patch.published.value_or(current->published);
      next.category_id = patch.category_id ? *patch.category_id : current->category_id;
      if (patch.images) {
        next.images = *patch.images;
      } else {
        for (const auto& img : current->images) next.images.push_back({img.url, img.alt});
      }
      for (const auto& v : current->variants) next.variants.push_back(InputFromVariant(v));
      auto errors = ValidateProductInput(next);
      if (!errors.empty()) return Error::Invalid("the product is not valid", std::move(errors));
      if (next.handle != current->handle) {
        auto other = repo::LoadProduct(tx, next.handle);
        if (other) return Error::Exists("handle_taken", "a product with handle '" + next.handle + "' exists");
      }
      // Apply the patch in place (the handle may change, so no upsert by handle).
      Product p = *current;
      p.handle = next.handle;
      p.title = next.title;
      p.description = next.description;
      p.vendor = next.vendor;
      p.product_type = next.product_type;
      p.tags = next.tags;
      p.status = next.status;
      p.seo_title = next.seo_title;
      p.seo_description = next.seo_description;
      p.published = next.published;
      p.category_id = next.category_id;
      if (p.category_id && !repo::CategoryPath(tx, *p.category_id))
        return Error::Invalid("unknown category", {{"category_id", "no category '" + *p.category_id + "'"}});
      p.version = current->version + 1;
      p.updated_at = FormatTime(clock_->Now());
      repo::UpdateProductRow(tx, p);
      repo::ReplaceTags(tx, p);
      if (patch.images) {
        p.images.clear();
        int position = 1;
        for (const auto& img : *patch.images) p.images.push_back({ids_->Next("img"), position++, img.url, img.alt});
        repo::ReplaceImages(tx, p);
      }
      search::IndexProduct(tx, p);
      events::Append(tx, *ids_, *clock_, "product.updated", "product", p.id,
                     {{"id", p.id}, {"handle", p.handle}, {"title", p.title}, {"status", ToString(p.status)},
                      {"version", p.version}, {"actor", actor.id}});
      auto updated = repo::LoadProduct(tx, p.id);
      return std::move(*updated);
    });
  });
}

Result<DeleteOutcome> CatalogService::DeleteProduct(std::string_view id, const Actor& actor) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<DeleteOutcome> {
    auto current = repo::LoadProduct(tx, id);
    if (!current) return ProductNotFound(id);
    if (repo::HasLedgerRows(tx, current->id)) {
      // Stock history must survive: archive instead.
      if (current->status != ProductStatus::kArchived) {
        Product p = *current;
        p.status = ProductStatus::kArchived;
        p.version = current->version + 1;
        p.updated_at = FormatTime(clock_->Now());
        repo::UpdateProductRow(tx, p);
        events::Append(tx, *ids_, *clock_, "product.archived", "product", p.id,
                       {{"id", p.id}, {"handle", p.handle}, {"version", p.version}, {"actor", actor.id}});
      }
      return DeleteOutcome::kArchived;
    }
    repo::DeleteProductRows(tx, current->id);
    events::Append(tx, *ids_, *clock_, "product.deleted", "product", current->id,
                   {{"id", current->id}, {"handle", current->handle}, {"actor", actor.id}});
    return DeleteOutcome::kDeleted;
  });
}

Result<ProductPage> CatalogService::ListProducts(const ProductQuery& q) {
  if (q.limit < 1 || q.limit > 250)
    return Error::Invalid("limit must be between 1 and 250", {{"limit", "must be between 1 and 250"}});
  if (q.statuses.empty()) return Error::Invalid("no status to list", {{"status", "must name at least one status"}});
  if (q.text.size() > 512) return Error::Invalid("query too long", {{"q", "at most 512 bytes"}});
  if (!IsValidUtf8(q.text)) return Error::Invalid("query is not valid UTF-8", {{"q", "is not valid UTF-8"}});
  if (q.price_min && q.price_max && *q.price_min > *q.price_max)
    return Error::Invalid("price_min exceeds price_max", {{"price_min", "must not exceed price_max"}});

  auto terms = search::QueryTerms(q.text);
  bool text_query = !terms.empty();
  if (!text_query && !q.text.empty() && Trim(q.text).size() > 0) {
    // A query with no searchable word (only punctuation) matches nothing.
    return ProductPage{};
  }
  SortOrder sort = q.sort.value_or(text_query ? SortOrder::kRelevance : SortOrder::kTitle);
  if (sort == SortOrder::kRelevance && !text_query)
    return Error::Invalid("relevance needs a query", {{"sort", "relevance needs q"}});

  std::optional<Cursor> cursor;
  char sort_char = sort == SortOrder::kTitle ? 't' : sort == SortOrder::kPrice ? 'p' : sort == SortOrder::kNewest ? 'n' : 'r';
  if (!q.cursor.empty()) {
    cursor = DecodeCursor(q.cursor);
    if (!cursor || cursor->sort != sort_char ||
        ((sort == SortOrder::kPrice || sort == SortOrder::kRelevance) && !IsInteger(cursor->key)))
      return Error::Invalid("the cursor is not valid for this query", {{"cursor", "is not valid for this query"}});
  }

  std::vector<std::string> params;
  auto param = [&](std::string v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  std::string sql;
  std::string match;
  if (text_query) match = search::MatchSubquery(terms, params);

  std::string key_expr = sort == SortOrder::kTitle ? "p.title_key"
                         : sort == SortOrder::kPrice ? "p.price_min"
                         : sort == SortOrder::kRelevance ? "m.rank" : "p.id";
  std::string status_list;
  for (auto s : q.statuses) {
    if (!status_list.empty()) status_list += ", ";
    status_list += param(ToString(s));
  }
  std::string conds = "p.status IN (" + status_list + ")";
  if (q.vendor) conds += " AND p.vendor = " + param(*q.vendor);
  if (q.product_type) conds += " AND p.product_type = " + param(*q.product_type);
  if (q.tag) conds += " AND EXISTS (SELECT 1 FROM product_tags t WHERE t.product_id = p.id AND t.tag = " + param(*q.tag) + ")";
  if (q.collection_id) {
    std::string c = param(*q.collection_id);
    conds += " AND EXISTS (SELECT 1 FROM collection_products cp JOIN collections c ON c.id = cp.collection_id "
           "WHERE cp.product_id = p.id AND (c.id = " + c + " OR c.handle = " + c + "))";
  }
  if (q.category_id) {
    std::string path;
    {
      auto tx = db_.Begin(TxMode::kRead);
      auto category = repo::LoadCategory(*tx, *q.category_id);
      if (!category) return ProductPage{};
      path = *repo::CategoryPath(*tx, category->id);
    }
    std::string lo = param(path);
    std::string hi = param(path + "\xF4\x8F\xBF\xBF");
    conds += " AND p.category_id IN (SELECT id FROM categories WHERE path >= " + lo + " AND path < " + hi + ")";
  }
  if (q.price_min || q.price_max) {
    conds += " AND EXISTS (SELECT 1 FROM variants pv WHERE pv.product_id = p.id";
    if (q.price_min) conds += " AND pv.price >= CAST(" + param(std::to_string(*q.price_min)) + " AS BIGINT)";
    if (q.price_max) conds += " AND pv.price <= CAST(" + param(std::to_string(*q.price_max)) + " AS BIGINT)";
    conds += ")";
  }
  if (q.in_stock)
    conds += " AND EXISTS (SELECT 1 FROM variants sv JOIN inventory_levels sl ON sl.variant_id = sv.id "
           "WHERE sv.product_id = p.id AND (sl.tracked = 0 OR sl.allow_backorder = 1 OR sl.on_hand > sl.reserved))";
  // Relevance is driven from the matches, each checked against the filters by
  // primary key; the other orders walk products in index order.
  std::string cursor_cond;
  if (cursor) {
    switch (sort) {
      case SortOrder::kTitle: {
        std::string k = param(cursor->key);
        std::string i = param(cursor->id);
        cursor_cond = " AND (p.title_key > " + k + " OR (p.title_key = " + k + " AND p.id > " + i + "))";
        break;
      }
      case SortOrder::kPrice: {
        std::string k = "CAST(" + param(cursor->key) + " AS BIGINT)";
        std::string i = param(cursor->id);
        cursor_cond = " AND (p.price_min > " + k + " OR (p.price_min = " + k + " AND p.id > " + i + "))";
        break;
      }
      case SortOrder::kNewest:
        cursor_cond = " AND p.id < " + param(cursor->id);
        break;
      case SortOrder::kRelevance: {
        std::string k = "CAST(" + param(cursor->key) + " AS BIGINT)";
        std::string i = param(cursor->id);
        cursor_cond = " AND (m.rank < " + k + " OR (m.rank = " + k + " AND m.product_id > " + i + "))";
        break;
      }
    }
  }
  if (sort == SortOrder::kRelevance) {
    sql = "SELECT m.product_id, m.rank FROM (" + match + ") m WHERE EXISTS (SELECT 1 FROM products p WHERE "
          "p.id = m.product_id AND " + conds + ")" + cursor_cond;
  } else {
    sql = "SELECT p.id, " + key_expr + " FROM products p";
    if (text_query) sql += " JOIN (" + match + ") m ON m.product_id = p.id";
    sql += " WHERE " + conds + cursor_cond;
  }
  switch (sort) {
    case SortOrder::kTitle: sql += " ORDER BY p.title_key, p.id"; break;
    case SortOrder::kPrice: sql += " ORDER BY p.price_min, p.id"; break;
    case SortOrder::kNewest: sql += " ORDER BY p.id DESC"; break;
    case SortOrder::kRelevance: sql += " ORDER BY m.rank DESC, m.product_id"; break;
  }
  sql += " LIMIT " + std::to_string(q.limit + 1);

  std::vector<store::Value> values;
  values.reserve(params.size());
  for (const auto& p : params) values.emplace_back(std::string_view(p));

  auto tx = db_.Begin(TxMode::kRead);
  std::vector<std::string> ids;
  std::vector<std::string> keys;
  {
    auto rows = tx->Query(sql, values);
    while (rows->Next()) {
      ids.push_back(rows->Text(0));
      keys.push_back(rows->Text(1));
    }
  }
  ProductPage page;
  bool more = static_cast<int>(ids.size()) > q.limit;
  if (more) {
    ids.pop_back();
    keys.pop_back();
    page.next_cursor = EncodeCursor({sort_char, keys.back(), ids.back()});
  }
  page.items = repo::LoadProducts(*tx, ids);
  return page;
}

Result<Variant> CatalogService::GetVariant(std::string_view sku_or_id) {
  auto tx = db_.Begin(TxMode::kRead);
  auto product_id = repo::ProductIdOfVariant(*tx, sku_or_id);
  if (!product_id) return VariantNotFound(sku_or_id);
  auto product = repo::LoadProduct(*tx, *product_id);
  for (auto& v : product->variants)
    if (v.id == sku_or_id || v.sku == sku_or_id) return std::move(v);
  return VariantNotFound(sku_or_id);
}

Result<Product> CatalogService::AddVariant(std::string_view product_id, const VariantInput& input,
                                           const Actor& actor) {
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Product> {
      auto current = repo::LoadProduct(tx, product_id);
      if (!current) return ProductNotFound(product_id);
      ProductInput next;
      next.handle = current->handle;
      next.title = current->title;
      next.option_names = current->option_names;
      std::size_t index = current->variants.size();
      for (const auto& v : current->variants) {
        VariantInput vi;
        vi.sku = v.sku;
        vi.options = v.options;
        next.variants.push_back(vi);
      }
      next.variants.push_back(input);
      std::vector<FieldError> errors;
      for (auto& e : ValidateProductInput(next)) {
        std::string prefix = "variants[" + std::to_string(index) + "]";
        if (e.field.rfind(prefix, 0) == 0) errors.push_back({e.field.substr(prefix.size() + 1), e.message});
        else if (e.field.rfind("variants", 0) == 0) errors.push_back(e);
      }
      if (!errors.empty()) return Error::Invalid("the variant is not valid", std::move(errors));
      if (input.sku && repo::ProductIdOfSku(tx, *input.sku))
        return Error{ErrorCode::kAlreadyExists, "sku_taken", "SKU '" + *input.sku + "' is taken",
                     {{"sku", "'" + *input.sku + "' is taken"}}};
      std::string now = FormatTime(clock_->Now());
      Variant v = VariantFromInput(input, currency_);
      v.id = ids_->Next("var");
      v.product_id = current->id;
      v.position = static_cast<int>(index + 1);
      v.created_at = v.updated_at = now;
      store::BulkInserter out(tx, 1);
      repo::InsertVariant(out, v, 0, now);
      if (input.inventory_quantity && v.inventory_tracked)
        ECOM_TRY(inventory::InventoryService::SetOnHandInTx(tx, *ids_, *clock_, v.id, *input.inventory_quantity,
                                                             inventory::StockReason::kCount, "", "", actor));
      repo::RefreshPriceRange(tx, current->id);
      tx.Exec("UPDATE products SET version = version + 1, updated_at = $2 WHERE id = $1",
              {std::string_view(current->id), std::string_view(now)});
      events::Append(tx, *ids_, *clock_, "variant.created", "product", current->id,
                     {{"product_id", current->id}, {"variant_id", v.id},
                      {"sku", v.sku ? nlohmann::json(*v.sku) : nlohmann::json(nullptr)}, {"actor", actor.id}});
      return std::move(*repo::LoadProduct(tx, current->id));
    });
  });
}

Result<Product> CatalogService::UpdateVariant(std::string_view sku_or_id, const VariantPatch& patch,
                                              const Actor& actor) {
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Product> {
      auto product_id = repo::ProductIdOfVariant(tx, sku_or_id);
      if (!product_id) return VariantNotFound(sku_or_id);
      auto product = repo::LoadProduct(tx, *product_id);
      Variant* target = nullptr;
      for (auto& v : product->variants)
        if (v.id == sku_or_id || v.sku == sku_or_id) target = &v;
      if (!target) return VariantNotFound(sku_or_id);
      Variant v = *target;
      if (patch.sku) v.sku = *patch.sku;
      for (int k = 0; k < 3; ++k)
        if (patch.options[k]) v.options[k] = *patch.options[k];
      if (patch.price) v.price.amount = *patch.price;
      if (patch.compare_at_price) v.compare_at_price = *patch.compare_at_price;
      if (patch.cost) v.cost = *patch.cost;
      if (patch.barcode) v.barcode = *patch.barcode;
      if (patch.weight_unit) v.weight_unit = *patch.weight_unit;
      if (patch.tax_code) v.tax_code = *patch.tax_code;
      if (patch.fulfillment_service) v.fulfillment_service = *patch.fulfillment_service;
      if (patch.image_url) v.image_url = *patch.image_url;
      if (patch.weight_grams) v.weight_grams = *patch.weight_grams;
      if (patch.requires_shipping) v.requires_shipping = *patch.requires_shipping;
      if (patch.taxable) v.taxable = *patch.taxable;
      if (patch.inventory_tracked) v.inventory_tracked = *patch.inventory_tracked;
      if (patch.inventory_policy) v.inventory_policy = *patch.inventory_policy;
      // Validate the product as it would be.
      ProductInput next;
      next.handle = product->handle;
      next.title = product->title;
      next.option_names = product->option_names;
      std::size_t index = 0;
      for (std::size_t i = 0; i < product->variants.size(); ++i) {
        const Variant& src = product->variants[i].id == v.id ? v : product->variants[i];
        if (src.id == v.id) index = i;
        next.variants.push_back(InputFromVariant(src));
      }
      std::vector<FieldError> errors;
      std::string prefix = "variants[" + std::to_string(index) + "]";
      for (auto& e : ValidateProductInput(next))
        if (e.field.rfind(prefix, 0) == 0) errors.push_back({e.field.substr(prefix.size() + 1), e.message});
      if (!errors.empty()) return Error::Invalid("the variant is not valid", std::move(errors));
      if (v.sku && v.sku != target->sku) {
        auto owner = repo::ProductIdOfSku(tx, *v.sku);
        if (owner) return Error{ErrorCode::kAlreadyExists, "sku_taken", "SKU '" + *v.sku + "' is taken",
                                {{"sku", "'" + *v.sku + "' is taken"}}};
      }
      std::string now = FormatTime(clock_->Now());
      v.updated_at = now;
      repo::UpdateVariantRow(tx, v);
      repo::RefreshPriceRange(tx, product->id);
      tx.Exec("UPDATE products SET version = version + 1, updated_at = $2 WHERE id = $1",
              {std::string_view(product->id), std::string_view(now)});
      events::Append(tx, *ids_, *clock_, "variant.updated", "product", product->id,
                     {{"product_id", product->id}, {"variant_id", v.id},
                      {"sku", v.sku ? nlohmann::json(*v.sku) : nlohmann::json(nullptr)},
                      {"price", {{"amount", v.price.amount}, {"currency", v.price.currency}}},
                      {"actor", actor.id}});
      return std::move(*repo::LoadProduct(tx, product->id));
    });
  });
}

Result<Product> CatalogService::DeleteVariant(std::string_view sku_or_id, const Actor& actor) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Product> {
    auto product_id = repo::ProductIdOfVariant(tx, sku_or_id);
    if (!product_id) return VariantNotFound(sku_or_id);
    auto product = repo::LoadProduct(tx, *product_id);
    const Variant* target = nullptr;
    for (const auto& v : product->variants)
      if (v.id == sku_or_id || v.sku == sku_or_id) target = &v;
    if (!target) return VariantNotFound(sku_or_id);
    if (product->variants.size() == 1)
      return Error::Precondition("last_variant", "a product keeps at least one variant; delete the product instead");
    if (repo::VariantHasLedgerRows(tx, target->id))
      return Error::Precondition("variant_has_stock", "the variant has stock history and cannot be deleted");
    std::string now = FormatTime(clock_->Now());
    repo::DeleteVariantRow(tx, target->id);
    repo::RefreshPriceRange(tx, product->id);
    tx.Exec("UPDATE products SET version = version + 1, updated_at = $2 WHERE id = $1",
            {std::string_view(product->id), std::string_view(now)});
    events::Append(tx, *ids_, *clock_, "variant.deleted", "product", product->id,
                   {{"product_id", product->id}, {"variant_id", target->id}, {"actor", actor.id}});
    return std::move(*repo::LoadProduct(tx, product->id));
  });
}

Result<Category> CatalogService::CreateCategory(const CategoryInput& input, const Actor& actor) {
  std::vector<FieldError> errors;
  if (Trim(input.name).empty()) errors.push_back({"name", "is required"});
  if (input.name.size() > 255 || !IsValidUtf8(input.name)) errors.push_back({"name", "at most 255 bytes of UTF-8"});
  std::string handle = input.handle.empty() ? HandleFromTitle(input.name) : input.handle;
  if (!IsValidHandle(handle)) errors.push_back({"handle", "must be lower-case letters, digits and single dashes"});
  if (!errors.empty()) return Error::Invalid("the category is not valid", std::move(errors));
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Category> {
      if (repo::LoadCategory(tx, handle)) return Error::Exists("handle_taken", "a category with handle '" + handle + "' exists");
      std::string path = "/";
      if (input.parent_id) {
        auto parent = repo::LoadCategory(tx, *input.parent_id);
        if (!parent) return Error::Invalid("unknown parent", {{"parent_id", "no category '" + *input.parent_id + "'"}});
        path = *repo::CategoryPath(tx, parent->id);
      }
      Category c{ids_->Next("cat"), handle, std::string(Trim(input.name)), std::nullopt, FormatTime(clock_->Now())};
      if (input.parent_id) c.parent_id = repo::LoadCategory(tx, *input.parent_id)->id;
      repo::InsertCategory(tx, c, path + c.id + "/");
      events::Append(tx, *ids_, *clock_, "category.created", "category", c.id,
                     {{"id", c.id}, {"handle", c.handle}, {"name", c.name}, {"actor", actor.id}});
      return c;
    });
  });
}

Result<Category> CatalogService::GetCategory(std::string_view id_or_handle) {
  auto tx = db_.Begin(TxMode::kRead);
  auto c = repo::LoadCategory(*tx, id_or_handle);
  if (!c) return Error::NotFound("category_not_found", "no category '" + std::string(id_or_handle) + "'");
  return std::move(*c);
}

Result<std::vector<Category>> CatalogService::ListCategories() {
  auto tx = db_.Begin(TxMode::kRead);
  return repo::LoadCategories(*tx);
}

Result<Collection> CatalogService::CreateCollection(const CollectionInput& input, const Actor& actor) {
  std::vector<FieldError> errors;
  if (Trim(input.title).empty()) errors.push_back({"title", "is required"});
  if (input.title.size() > 255 || !IsValidUtf8(input.title)) errors.push_back({"title", "at most 255 bytes of UTF-8"});
  if (input.description.size() > 65535 || !IsValidUtf8(input.description))
    errors.push_back({"description", "at most 65535 bytes of UTF-8"});
  std::string handle = input.handle.empty() ? HandleFromTitle(input.title) : input.handle;
  if (!IsValidHandle(handle)) errors.push_back({"handle", "must be lower-case letters, digits and single dashes"});
  if (!errors.empty()) return Error::Invalid("the collection is not valid", std::move(errors));
  return Guarded([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Collection> {
      if (repo::LoadCollection(tx, handle))
        return Error::Exists("handle_taken", "a collection with handle '" + handle + "' exists");
      std::string now = FormatTime(clock_->Now());
      Collection c{ids_->Next("col"), handle, input.title, input.description, {}, now, now};
      tx.Exec("INSERT INTO collections (id, handle, title, description, created_at, updated_at) "
              "VALUES ($1, $2, $3, $4, $5, $5)",
              {std::string_view(c.id), std::string_view(c.handle), std::string_view(c.title),
               std::string_view(c.description), std::string_view(now)});
      events::Append(tx, *ids_, *clock_, "collection.created", "collection", c.id,
                     {{"id", c.id}, {"handle", c.handle}, {"title", c.title}, {"actor", actor.id}});
      return c;
    });
  });
}

Result<Collection> CatalogService::GetCollection(std::string_view id_or_handle, CollectionMembers members) {
  auto tx = db_.Begin(TxMode::kRead);
  auto c = repo::LoadCollection(*tx, id_or_handle, members);
  if (!c) return Error::NotFound("collection_not_found", "no collection '" + std::string(id_or_handle) + "'");
  return std::move(*c);
}

Result<std::vector<Collection>> CatalogService::ListCollections(CollectionMembers members) {
  auto tx = db_.Begin(TxMode::kRead);
  return repo::LoadCollections(*tx, members);
}

Result<Collection> CatalogService::AddToCollection(std::string_view collection, std::string_view product_id,
                                                   const Actor& actor) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Collection> {
    auto c = repo::LoadCollection(tx, collection);
    if (!c) return Error::NotFound("collection_not_found", "no collection '" + std::string(collection) + "'");
    auto p = repo::LoadProduct(tx, product_id);
    if (!p) return ProductNotFound(product_id);
    std::int64_t added = tx.Exec(
        "INSERT INTO collection_products (collection_id, product_id, position) "
        "VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM collection_products WHERE collection_id = $1)) "
        "ON CONFLICT DO NOTHING",
        {std::string_view(c->id), std::string_view(p->id)});
    if (added > 0)
      events::Append(tx, *ids_, *clock_, "collection.product_added", "collection", c->id,
                     {{"collection_id", c->id}, {"product_id", p->id}, {"actor", actor.id}});
    return std::move(*repo::LoadCollection(tx, c->id));
  });
}

Result<Collection> CatalogService::RemoveFromCollection(std::string_view collection, std::string_view product_id,
                                                        const Actor& actor) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Collection> {
    auto c = repo::LoadCollection(tx, collection);
    if (!c) return Error::NotFound("collection_not_found", "no collection '" + std::string(collection) + "'");
    auto p = repo::LoadProduct(tx, product_id);
    if (!p) return ProductNotFound(product_id);
    std::int64_t removed = tx.Exec("DELETE FROM collection_products WHERE collection_id = $1 AND product_id = $2",
                                   {std::string_view(c->id), std::string_view(p->id)});
    if (removed > 0)
      events::Append(tx, *ids_, *clock_, "collection.product_removed", "collection", c->id,
                     {{"collection_id", c->id}, {"product_id", p->id}, {"actor", actor.id}});
    return std::move(*repo::LoadCollection(tx, c->id));
  });
}

}  // namespace ecom::catalog
