// The shared write path for whole products: validate, create, upsert.
#include "catalog/product_writer.h"

#include <nlohmann/json.hpp>
#include <set>

#include "catalog/product_repository.h"
#include "catalog/search.h"
#include "ecom/common/text.h"
#include "ecom/events/outbox.h"
#include "ecom/inventory/inventory_service.h"
#include "events/outbox_bulk.h"
#include "inventory/initial_stock.h"

namespace ecom::catalog {
namespace {

constexpr std::size_t kMaxTitle = 255;
constexpr std::size_t kMaxText = 65535;

std::string VariantPath(std::size_t i) { return "variants[" + std::to_string(i) + "]"; }

std::string OptionKey(const std::array<std::optional<std::string>, 3>& options) {
  std::string key;
  for (const auto& o : options) {
    key += o ? *o : std::string();
    key.push_back('\x1f');
  }
  return key;
}

nlohmann::json EventPayload(const Product& p) {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : p.variants)
    variants.push_back({{"id", v.id},
                        {"sku", v.sku ? nlohmann::json(*v.sku) : nlohmann::json(nullptr)},
                        {"price", {{"amount", v.price.amount}, {"currency", v.price.currency}}}});
  return {{"id", p.id},           {"handle", p.handle},   {"title", p.title},
          {"status", ToString(p.status)}, {"version", p.version}, {"variants", std::move(variants)}};
}

bool SameVariantFields(const Variant& a, const Variant& b) {
  return a.position == b.position && a.sku == b.sku && a.options == b.options && a.price == b.price &&
         a.compare_at_price == b.compare_at_price && a.cost == b.cost && a.barcode == b.barcode &&
         a.weight_grams == b.weight_grams && a.weight_unit == b.weight_unit &&
         a.requires_shipping == b.requires_shipping && a.taxable == b.taxable && a.tax_code == b.tax_code &&
         a.inventory_tracked == b.inventory_tracked && a.inventory_policy == b.inventory_policy &&
         a.fulfillment_service == b.fulfillment_service && a.image_url == b.image_url;
}

bool SameProductFields(const Product& a, const Product& b) {
  return a.handle == b.handle && a.title == b.title && a.description == b.description &&
         a.vendor == b.vendor && a.product_type == b.product_type && a.tags == b.tags &&
         a.status == b.status && a.seo_title == b.seo_title && a.seo_description == b.seo_description &&
         a.option_names == b.option_names && a.gift_card == b.gift_card && a.published == b.published &&
         a.category_id == b.category_id;
}

bool SameImages(const std::vector<Image>& a, const std::vector<ImageInput>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].url != b[i].url || a[i].alt != b[i].alt) return false;
  return true;
}

std::vector<Image> MakeImages(IdGenerator& ids, const std::vector<ImageInput>& in) {
  std::vector<Image> out;
  int position = 1;
  for (const auto& img : in) out.push_back({ids.Next("img"), position++, img.url, img.alt});
  return out;
}

}  // namespace

Variant VariantFromInput(const VariantInput& in, const std::string& currency) {
  Variant v;
  v.sku = in.sku;
  v.options = in.options;
  v.price = {in.price, currency};
  v.compare_at_price = in.compare_at_price;
  v.cost = in.cost;
  v.barcode = in.barcode;
  v.weight_grams = in.weight_grams;
  v.weight_unit = in.weight_unit;
  v.requires_shipping = in.requires_shipping;
  v.taxable = in.taxable;
  v.tax_code = in.tax_code;
  v.inventory_tracked = in.inventory_tracked;
  v.inventory_policy = in.inventory_policy;
  v.fulfillment_service = in.fulfillment_service;
  v.image_url = in.image_url;
  return v;
}

VariantInput InputFromVariant(const Variant& v) {
  VariantInput in;
  in.sku = v.sku;
  in.options = v.options;
  in.price = v.price.amount;
  in.compare_at_price = v.compare_at_price;
  in.cost = v.cost;
  in.barcode = v.barcode;
  in.weight_grams = v.weight_grams;
  in.weight_unit = v.weight_unit;
  in.requires_shipping = v.requires_shipping;
  in.taxable = v.taxable;
  in.tax_code = v.tax_code;
  in.inventory_tracked = v.inventory_tracked;
  in.inventory_policy = v.inventory_policy;
  in.fulfillment_service = v.fulfillment_service;
  in.image_url = v.image_url;
  return in;
}

std::vector<FieldError> ValidateProductInput(const ProductInput& in) {
  std::vector<FieldError> errors;
  auto text = [&](const std::string& field, const std::string& value, std::size_t max) {
    if (value.size() > max) errors.push_back({field, "longer than " + std::to_string(max) + " bytes"});
    else if (!IsValidUtf8(value)) errors.push_back({field, "is not valid UTF-8"});
  };
  if (Trim(in.title).empty()) errors.push_back({"title", "is required"});
  text("title", in.title, kMaxTitle);
  if (!in.handle.empty() && !IsValidHandle(in.handle))
    errors.push_back({"handle", "must be lower-case letters, digits and single dashes"});
  if (in.handle.empty() && HandleFromTitle(in.title).empty() && !Trim(in.title).empty())
    errors.push_back({"handle", "cannot be made from the title; give one"});
  text("description", in.description, 512 * 1024);
  text("vendor", in.vendor, kMaxTitle);
  text("product_type", in.product_type, kMaxTitle);
  text("seo_title", in.seo_title, kMaxTitle);
  text("seo_description", in.seo_description, kMaxText);
  for (std::size_t i = 0; i < in.tags.size(); ++i) {
    if (Trim(in.tags[i]).empty()) errors.push_back({"tags[" + std::to_string(i) + "]", "is empty"});
    text("tags[" + std::to_string(i) + "]", in.tags[i], kMaxTitle);
  }
  if (in.option_names.size() > 3) errors.push_back({"options", "at most 3 options"});
  std::set<std::string> option_names;
  for (std::size_t i = 0; i < in.option_names.size(); ++i) {
    if (Trim(in.option_names[i]).empty()) errors.push_back({"options[" + std::to_string(i) + "]", "is empty"});
    else if (!option_names.insert(in.option_names[i]).second)
      errors.push_back({"options[" + std::to_string(i) + "]", "is named twice"});
  }
  if (in.variants.empty()) errors.push_back({"variants", "a product needs at least one variant"});
  if (in.variants.size() > 2048) errors.push_back({"variants", "at most 2048 variants"});
  std::set<std::string> skus, combos;
  for (std::size_t i = 0; i < in.variants.size(); ++i) {
    const auto& v = in.variants[i];
    std::string path = VariantPath(i);
    for (std::size_t k = 0; k < 3; ++k) {
      bool named = k < in.option_names.size() && in.option_names.size() <= 3;
      if (named && (!v.options[k] || v.options[k]->empty()))
        errors.push_back({path + ".options[" + std::to_string(k) + "]",
                          "a value for '" + in.option_names[k] + "' is required"});
      if (!named && v.options[k] && !v.options[k]->empty())
        errors.push_back({path + ".options[" + std::to_string(k) + "]", "the product has no such option"});
      if (v.options[k]) text(path + ".options[" + std::to_string(k) + "]", *v.options[k], kMaxTitle);
    }
    if (in.variants.size() > 1 && !combos.insert(OptionKey(v.options)).second)
      errors.push_back({path + ".options", "another variant has the same option values"});
    if (v.sku) {
      if (v.sku->empty() || Trim(*v.sku).size() != v.sku->size())
        errors.push_back({path + ".sku", "must not be empty or padded with spaces"});
      else if (!skus.insert(*v.sku).second)
        errors.push_back({path + ".sku", "'" + *v.sku + "' is used by another variant of this product"});
      text(path + ".sku", *v.sku, kMaxTitle);
    }
    if (v.price < 0) errors.push_back({path + ".price", "must not be negative"});
    if (v.compare_at_price && *v.compare_at_price < 0)
      errors.push_back({path + ".compare_at_price", "must not be negative"});
    if (v.cost && *v.cost < 0) errors.push_back({path + ".cost", "must not be negative"});
    if (!(v.weight_grams >= 0) || v.weight_grams > 1e9) errors.push_back({path + ".weight_grams", "must be 0 or more"});
    if (v.weight_unit != "g" && v.weight_unit != "kg" && v.weight_unit != "lb" && v.weight_unit != "oz")
      errors.push_back({path + ".weight_unit", "must be g, kg, lb or oz"});
    if (v.inventory_quantity && !v.inventory_tracked && *v.inventory_quantity != 0)
      errors.push_back({path + ".inventory_quantity", "an untracked variant keeps no stock"});
    if (v.inventory_quantity && *v.inventory_quantity < 0 && v.inventory_policy == InventoryPolicy::kDeny)
      errors.push_back({path + ".inventory_quantity", "must not be negative unless the policy is continue"});
    text(path + ".barcode", v.barcode, kMaxTitle);
    text(path + ".image_url", v.image_url, 2048);
  }
  for (std::size_t i = 0; i < in.images.size(); ++i) {
    if (in.images[i].url.empty()) errors.push_back({"images[" + std::to_string(i) + "].url", "is required"});
    text("images[" + std::to_string(i) + "].url", in.images[i].url, 2048);
    text("images[" + std::to_string(i) + "].alt", in.images[i].alt, 512);
  }
  return errors;
}

std::string EnsureCategoryPath(const WriteContext& ctx, const std::vector<std::string>& names) {
  std::optional<std::string> parent;
  std::string path = "/";
  std::string handle;
  for (const auto& raw : names) {
    std::string name(Trim(raw));
    std::string part = HandleFromTitle(name);
    if (part.empty()) part = "category";
    handle = handle.empty() ? part : handle + "-" + part;
    if (handle.size() > 255) handle.resize(255);
    std::optional<std::string> id;
    {
      auto rows = ctx.tx.Query("SELECT id, path FROM categories WHERE handle = $1", {std::string_view(handle)});
      if (rows->Next()) {
        id = rows->Text(0);
        path = rows->Text(1);
      }
    }
    if (!id) {
      Category c{ctx.ids.Next("cat"), handle, name, parent, FormatTime(ctx.clock.Now())};
      path += c.id + "/";
      repo::InsertCategory(ctx.tx, c, path);
      events::Append(ctx.tx, ctx.ids, ctx.clock, "category.created", "category", c.id,
                     {{"id", c.id}, {"handle", c.handle}, {"name", c.name}});
      id = c.id;
    }
    parent = id;
  }
  return parent.value_or("");
}

namespace {

// A new product: every row it needs (product, tags, images, variants, stock
// levels and their opening ledger rows, search terms, events) goes through
// one writer, immediate or bulk.
UpsertOutcome CreateNew(const WriteContext& ctx, const ProductInput& in, Product p, std::vector<Variant> variants,
                        const std::string& now) {
  store::BulkInserter immediate(ctx.tx, 1);
  store::BulkInserter& out = ctx.bulk ? *ctx.bulk : immediate;
  UpsertOutcome outcome;
  outcome.kind = UpsertOutcome::Kind::kCreated;
  outcome.product_id = p.id;
  p.images = MakeImages(ctx.ids, in.images);
  p.variants = std::move(variants);
  search::WeightedTerms terms = search::TermsOf(p);
  repo::InsertProduct(out, p, search::JoinTerms(terms));
  // The event announces each variant with its opening stock and the ledger
  // entry that explains it.
  auto payload = EventPayload(p);
  for (std::size_t i = 0; i < p.variants.size(); ++i) {
    const Variant& v = p.variants[i];
    const auto& qty = in.variants[i].inventory_quantity;
    std::int64_t on_hand = v.inventory_tracked && qty ? *qty : 0;
    repo::InsertVariant(out, v, on_hand, now);
    ++outcome.variants_created;
    auto& announced = payload["variants"][i];
    announced["on_hand"] = on_hand;
    if (on_hand != 0) {
      announced["ledger_entry_id"] =
          inventory::AddInitialStock(out, ctx.ids, {v.id, v.sku, p.id, on_hand, "product " + p.handle, now}, ctx.actor);
      ++outcome.stock_changes;
    }
  }
  search::AddPostings(out, p.id, terms);
  payload["actor"] = ctx.actor.id;
  events::AddEvent(out, events::Make(ctx.ids, ctx.clock, "product.created", "product", p.id, std::move(payload)));
  return outcome;
}

}  // namespace

Result<UpsertOutcome> WriteProduct(const WriteContext& ctx, const ProductInput& in, bool upsert) {
  auto& tx = ctx.tx;
  std::string now = FormatTime(ctx.clock.Now());
  std::string handle = in.handle.empty() ? HandleFromTitle(in.title) : in.handle;

  std::optional<std::string> category_id = in.category_id;
  if (category_id) {
    if (!repo::CategoryPath(tx, *category_id))
      return Error::Invalid("unknown category", {{"category_id", "no category '" + *category_id + "'"}});
  } else if (!in.category_path.empty()) {
    category_id = EnsureCategoryPath(ctx, in.category_path);
  }

  std::optional<Product> existing = repo::LoadProduct(tx, handle);
  if (existing && existing->handle != handle) existing.reset();  // matched an id, not the handle
  if (existing && !upsert)
    return Error::Exists("handle_taken", "a product with handle '" + handle + "' exists");

  // Every SKU must be free or already this product's: one query for all.
  std::vector<std::string> skus;
  for (const auto& v : in.variants)
    if (v.sku) skus.push_back(*v.sku);
  for (const auto& [sku, owner] : repo::OwnersOfSkus(tx, skus)) {
    if (existing && owner == existing->id) continue;
    for (std::size_t i = 0; i < in.variants.size(); ++i)
      if (in.variants[i].sku == sku)
        return Error{ErrorCode::kAlreadyExists, "sku_taken", "SKU '" + sku + "' belongs to another product",
                     {{VariantPath(i) + ".sku", "'" + sku + "' belongs to another product"}}};
  }

  UpsertOutcome out;
  Product p = existing ? *existing : Product{};
  Product before = p;
  p.handle = handle;
  p.title = in.title;
  p.description = in.description;
  p.vendor = in.vendor;
  p.product_type = in.product_type;
  p.tags = in.tags;
  p.status = in.status;
  p.seo_title = in.seo_title;
  p.seo_description = in.seo_description;
  p.option_names = in.option_names;
  p.gift_card = in.gift_card;
  p.published = in.published;
  p.category_id = category_id;

  bool product_changed = !existing || !SameProductFields(before, p);
  bool images_changed = !existing || !SameImages(before.images, in.images);

  // Match incoming variants to existing ones: by SKU, else by option values.
  std::vector<Variant> variants;
  std::vector<bool> is_new;
  std::set<std::string> matched;
  for (std::size_t i = 0; i < in.variants.size(); ++i) {
    const auto& vin = in.variants[i];
    const Variant* match = nullptr;
    if (existing) {
      for (const auto& ev : existing->variants) {
        if (matched.count(ev.id)) continue;
        if (vin.sku ? ev.sku == vin.sku : (!ev.sku && ev.options == vin.options)) {
          match = &ev;
          break;
        }
      }
    }
    Variant v = VariantFromInput(vin, ctx.currency);
    v.position = static_cast<int>(i + 1);
    if (match) {
      matched.insert(match->id);
      v.id = match->id;
      v.product_id = match->product_id;
      v.created_at = match->created_at;
      v.updated_at = SameVariantFields(*match, v) ? match->updated_at : now;
      v.availability = match->availability;
    } else {
      v.id = ctx.ids.Next("var");
      v.created_at = v.updated_at = now;
    }
    variants.push_back(std::move(v));
    is_new.push_back(match == nullptr);
  }
  // Variants the input does not mention stay, after the given ones.
  if (existing) {
    int position = static_cast<int>(variants.size());
    for (const auto& ev : existing->variants) {
      if (matched.count(ev.id)) continue;
      Variant keep = ev;
      keep.position = ++position;
      // A kept variant must still fit the product's options.
      for (std::size_t k = 0; k < 3; ++k) {
        bool named = k < p.option_names.size();
        if (named != (keep.options[k].has_value() && !keep.options[k]->empty()))
          return Error::Invalid("variant '" + keep.Title() + "' (" + keep.sku.value_or(keep.id) +
                                    ") does not fit the new options; include it in the input",
                                {{"options", "changed while other variants remain"}});
      }
      variants.push_back(std::move(keep));
      is_new.push_back(false);
    }
  }

  if (!existing) {
    p.id = ctx.ids.Next("prod");
    p.version = 1;
    p.created_at = p.updated_at = now;
  }
  for (auto& v : variants) v.product_id = p.id;

  bool variants_changed = false;
  if (existing) {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      if (is_new[i]) {
        variants_changed = true;
        continue;
      }
      for (const auto& ev : existing->variants)
        if (ev.id == variants[i].id && !SameVariantFields(ev, variants[i])) variants_changed = true;
    }
  }
  bool changed = product_changed || images_changed || variants_changed;
  if (existing && changed) {
    p.version = existing->version + 1;
    p.updated_at = now;
  }

  if (!existing) return CreateNew(ctx, in, std::move(p), std::move(variants), now);

  // Write. Updates free SKUs first so that two variants may swap SKUs.
  if (changed) repo::UpdateProductRow(tx, p);
  if (variants_changed) {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      if (is_new[i]) continue;
      for (const auto& ev : existing->variants)
        if (ev.id == variants[i].id && ev.sku != variants[i].sku)
          tx.Exec("UPDATE variants SET sku = NULL WHERE id = $1", {std::string_view(ev.id)});
    }
  }
  store::BulkInserter immediate(tx, 1);
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const Variant& v = variants[i];
    if (is_new[i]) {
      repo::InsertVariant(immediate, v, 0, now);
      ++out.variants_created;
    } else {
      bool same = true;
      for (const auto& ev : existing->variants)
        if (ev.id == v.id) same = SameVariantFields(ev, v);
      if (same) {
        ++out.variants_unchanged;
      } else {
        repo::UpdateVariantRow(tx, v);
        ++out.variants_updated;
      }
    }
  }
  if (product_changed) repo::ReplaceTags(tx, p);
  if (images_changed) {
    p.images = MakeImages(ctx.ids, in.images);
    repo::ReplaceImages(tx, p);
  }
  if (variants_changed) repo::RefreshPriceRange(tx, p.id);
  if (product_changed) search::IndexProduct(tx, p);

  // Stock counts given with the product: a `count` ledger row only when the
  // on-hand quantity differs.
  for (std::size_t i = 0; i < in.variants.size(); ++i) {
    const auto& qty = in.variants[i].inventory_quantity;
    if (!qty || !variants[i].inventory_tracked) continue;
    ECOM_ASSIGN_OR_RETURN(bool stock_changed,
                          inventory::InventoryService::SetOnHandInTx(
                              tx, ctx.ids, ctx.clock, variants[i].id, *qty, inventory::StockReason::kCount,
                              "product " + p.handle, "", ctx.actor));
    if (stock_changed) ++out.stock_changes;
  }

  p.variants = std::move(variants);
  out.product_id = p.id;
  if (changed) {
    out.kind = UpsertOutcome::Kind::kUpdated;
    auto payload = EventPayload(p);
    payload["actor"] = ctx.actor.id;
    events::Append(tx, ctx.ids, ctx.clock, "product.updated", "product", p.id, std::move(payload));
  }
  return out;
}

}  // namespace ecom::catalog
