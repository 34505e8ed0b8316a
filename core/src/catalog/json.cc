// The catalog's one JSON mapping, for the API, the CLI and JSON Lines files.
#include "ecom/catalog/json.h"

#include <set>

#include "ecom/common/money.h"

namespace ecom::catalog {
namespace {

using nlohmann::json;

json OptString(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// Reads the fields of one JSON object, collecting every problem with its path.
class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path, std::vector<FieldError>& errors)
      : j_(j), path_(std::move(path)), errors_(errors) {
    if (!j_.is_object()) Fail("", "must be an object");
  }

  bool ok() const { return j_.is_object(); }
  std::string Path(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
  void Fail(std::string_view key, std::string message) {
    errors_.push_back({key.empty() ? (path_.empty() ? "body" : path_) : Path(key), std::move(message)});
  }
  const json* Get(std::string_view key) {
    known_.insert(std::string(key));
    if (!ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) return nullptr;
    return &*it;
  }

  bool String(std::string_view key, std::string& out, bool required = false) {
    const json* v = Get(key);
    if (!v) {
      if (required) Fail(key, "is required");
      return false;
    }
    if (!v->is_string()) return Fail(key, "must be a string"), false;
    out = v->get<std::string>();
    return true;
  }
  bool OptString(std::string_view key, std::optional<std::string>& out) {
    const json* v = Get(key);
    if (!v) return false;
    if (v->is_null()) return out.reset(), true;
    if (!v->is_string()) return Fail(key, "must be a string or null"), false;
    out = v->get<std::string>();
    return true;
  }
  bool Bool(std::string_view key, bool& out) {
    const json* v = Get(key);
    if (!v) return false;
    if (!v->is_boolean()) return Fail(key, "must be true or false"), false;
    out = v->get<bool>();
    return true;
  }
  bool Number(std::string_view key, double& out) {
    const json* v = Get(key);
    if (!v) return false;
    if (!v->is_number()) return Fail(key, "must be a number"), false;
    out = v->get<double>();
    return true;
  }
  bool Integer(std::string_view key, std::int64_t& out) {
    const json* v = Get(key);
    if (!v) return false;
    if (!v->is_number_integer()) return Fail(key, "must be a whole number"), false;
    out = v->get<std::int64_t>();
    return true;
  }
  bool StringList(std::string_view key, std::vector<std::string>& out) {
    const json* v = Get(key);
    if (!v) return false;
    if (!v->is_array()) return Fail(key, "must be an array of strings"), false;
    out.clear();
    for (const auto& e : *v) {
      if (!e.is_string()) return Fail(key, "must be an array of strings"), false;
      out.push_back(e.get<std::string>());
    }
    return true;
  }
  // Money: {"amount": int, "currency": shop currency} or a bare integer.
  bool Amount(std::string_view key, std::int64_t& out, const std::string& currency) {
    const json* v = Get(key);
    if (!v) return false;
    return ReadAmount(*v, key, out, currency);
  }
  bool OptAmount(std::string_view key, std::optional<std::int64_t>& out, const std::string& currency) {
    const json* v = Get(key);
    if (!v) return false;
    if (v->is_null()) return out.reset(), true;
    std::int64_t amount = 0;
    if (!ReadAmount(*v, key, amount, currency)) return false;
    out = amount;
    return true;
  }

  // Reports fields nobody asked for.
  void RejectUnknown() {
    if (!ok()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!known_.count(it.key())) Fail(it.key(), "is not a known field");
  }

 private:
  bool ReadAmount(const json& v, std::string_view key, std::int64_t& out, const std::string& currency) {
    if (v.is_number_integer()) {
      out = v.get<std::int64_t>();
      return true;
    }
    if (v.is_object()) {
      auto a = v.find("amount");
      auto c = v.find("currency");
      if (a == v.end() || !a->is_number_integer())
        return Fail(key, "amount must be a whole number of minor units"), false;
      if (c != v.end() && (!c->is_string() || c->get<std::string>() != currency))
        return Fail(key, "currency must be the shop currency " + currency), false;
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key() != "amount" && it.key() != "currency") return Fail(key, "unknown field '" + it.key() + "'"), false;
      out = a->get<std::int64_t>();
      return true;
    }
    return Fail(key, "must be {\"amount\": minor units, \"currency\": \"" + currency + "\"}"), false;
  }

  const json& j_;
  std::string path_;
  std::vector<FieldError>& errors_;
  std::set<std::string> known_;
};

void ReadVariant(const json& j, const std::string& path, const std::string& currency, VariantInput& v,
                 std::vector<FieldError>& errors) {
  ObjectReader r(j, path, errors);
  r.Get("id");  // accepted and ignored: ids are the server's
  r.Get("title");
  r.Get("availability");
  r.Get("product_id");
  r.OptString("sku", v.sku);
  if (const json* opts = r.Get("options")) {
    if (!opts->is_array() || opts->size() > 3) {
      r.Fail("options", "must be an array of at most 3 strings");
    } else {
      for (std::size_t k = 0; k < opts->size(); ++k) {
        if ((*opts)[k].is_string()) v.options[k] = (*opts)[k].get<std::string>();
        else if (!(*opts)[k].is_null()) r.Fail("options", "must be an array of at most 3 strings");
      }
    }
  }
  if (!r.Amount("price", v.price, currency) && !r.Get("price")) r.Fail("price", "is required");
  r.OptAmount("compare_at_price", v.compare_at_price, currency);
  r.OptAmount("cost", v.cost, currency);
  r.String("barcode", v.barcode);
  r.Number("weight_grams", v.weight_grams);
  r.String("weight_unit", v.weight_unit);
  r.Bool("requires_shipping", v.requires_shipping);
  r.Bool("taxable", v.taxable);
  r.String("tax_code", v.tax_code);
  r.Bool("inventory_tracked", v.inventory_tracked);
  std::string policy;
  if (r.String("inventory_policy", policy)) {
    auto p = ParseInventoryPolicy(policy);
    if (!p) r.Fail("inventory_policy", "must be deny or continue");
    else v.inventory_policy = *p;
  }
  r.String("fulfillment_service", v.fulfillment_service);
  r.String("image_url", v.image_url);
  std::int64_t qty = 0;
  if (r.Integer("inventory_quantity", qty)) v.inventory_quantity = qty;
  r.RejectUnknown();
}

void ReadImages(ObjectReader& r, std::vector<ImageInput>& out, std::vector<FieldError>& errors) {
  const json* images = r.Get("images");
  if (!images) return;
  if (!images->is_array()) return r.Fail("images", "must be an array");
  for (std::size_t i = 0; i < images->size(); ++i) {
    ObjectReader ir((*images)[i], r.Path("images") + "[" + std::to_string(i) + "]", errors);
    ImageInput img;
    ir.Get("id");
    ir.Get("position");
    ir.String("url", img.url, true);
    ir.String("alt", img.alt);
    ir.RejectUnknown();
    out.push_back(std::move(img));
  }
}

}  // namespace

nlohmann::json MoneyJson(std::int64_t amount, const std::string& currency) {
  return {{"amount", amount}, {"currency", currency}};
}

nlohmann::json ToJson(const Variant& v, const JsonView& view) {
  json options = json::array();
  for (const auto& o : v.options)
    if (o) options.push_back(*o);
  json j = {{"id", v.id},
            {"sku", OptString(v.sku)},
            {"title", v.Title()},
            {"options", std::move(options)},
            {"price", MoneyJson(v.price.amount, v.price.currency)},
            {"product_id", v.product_id},
            {"compare_at_price", v.compare_at_price ? MoneyJson(*v.compare_at_price, v.price.currency) : json(nullptr)},
            {"barcode", v.barcode},
            {"weight_grams", v.weight_grams},
            {"weight_unit", v.weight_unit},
            {"requires_shipping", v.requires_shipping},
            {"taxable", v.taxable},
            {"inventory_tracked", v.inventory_tracked},
            {"inventory_policy", ToString(v.inventory_policy)},
            {"image_url", v.image_url}};
  json availability = {{"in_stock", v.availability.in_stock}};
  if (v.inventory_tracked) availability["available"] = std::max<std::int64_t>(v.availability.available, 0);
  else availability["available"] = nullptr;
  j["availability"] = std::move(availability);
  if (view.staff) {
    j["cost"] = v.cost ? MoneyJson(*v.cost, v.price.currency) : json(nullptr);
    j["tax_code"] = v.tax_code;
    j["fulfillment_service"] = v.fulfillment_service;
    j["position"] = v.position;
    j["created_at"] = v.created_at;
    j["updated_at"] = v.updated_at;
  }
  return j;
}

nlohmann::json ToJson(const Product& p, const JsonView& view) {
  json variants = json::array();
  for (const auto& v : p.variants) variants.push_back(ToJson(v, view));
  json images = json::array();
  for (const auto& img : p.images)
    images.push_back({{"id", img.id}, {"position", img.position}, {"url", img.url}, {"alt", img.alt}});
  return {{"id", p.id},
          {"handle", p.handle},
          {"title", p.title},
          {"description", p.description},
          {"vendor", p.vendor},
          {"product_type", p.product_type},
          {"tags", p.tags},
          {"status", ToString(p.status)},
          {"seo", {{"title", p.seo_title}, {"description", p.seo_description}}},
          {"options", p.option_names},
          {"gift_card", p.gift_card},
          {"published", p.published},
          {"category_id", OptString(p.category_id)},
          {"collection_ids", p.collection_ids},
          {"variants", std::move(variants)},
          {"images", std::move(images)},
          {"version", p.version},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

nlohmann::json ToJson(const Category& c) {
  return {{"id", c.id}, {"handle", c.handle}, {"name", c.name}, {"parent_id", OptString(c.parent_id)},
          {"created_at", c.created_at}};
}

nlohmann::json ToJson(const Collection& c) {
  return {{"id", c.id},         {"handle", c.handle},         {"title", c.title},
          {"description", c.description}, {"product_ids", c.product_ids},
          {"created_at", c.created_at},   {"updated_at", c.updated_at}};
}

Result<ProductInput> ProductInputFromJson(const nlohmann::json& j, const std::string& currency) {
  std::vector<FieldError> errors;
  ProductInput in;
  ObjectReader r(j, "", errors);
  for (const char* server_field : {"id", "version", "created_at", "updated_at", "collection_ids"}) r.Get(server_field);
  r.String("handle", in.handle);
  r.String("title", in.title, true);
  r.String("description", in.description);
  r.String("vendor", in.vendor);
  r.String("product_type", in.product_type);
  r.StringList("tags", in.tags);
  std::string status;
  if (r.String("status", status)) {
    auto s = ParseProductStatus(status);
    if (!s) r.Fail("status", "must be draft, active or archived");
    else in.status = *s;
  }
  if (const json* seo = r.Get("seo")) {
    ObjectReader sr(*seo, "seo", errors);
    sr.String("title", in.seo_title);
    sr.String("description", in.seo_description);
    sr.RejectUnknown();
  }
  r.StringList("options", in.option_names);
  r.Bool("gift_card", in.gift_card);
  r.Bool("published", in.published);
  r.OptString("category_id", in.category_id);
  r.StringList("category_path", in.category_path);
  if (const json* variants = r.Get("variants")) {
    if (!variants->is_array()) {
      r.Fail("variants", "must be an array");
    } else {
      for (std::size_t i = 0; i < variants->size(); ++i) {
        VariantInput v;
        ReadVariant((*variants)[i], "variants[" + std::to_string(i) + "]", currency, v, errors);
        in.variants.push_back(std::move(v));
      }
    }
  } else {
    r.Fail("variants", "is required");
  }
  ReadImages(r, in.images, errors);
  r.RejectUnknown();
  if (!errors.empty()) return Error::Invalid("the product is not valid", std::move(errors));
  return in;
}

Result<ProductPatch> ProductPatchFromJson(const nlohmann::json& j) {
  std::vector<FieldError> errors;
  ProductPatch patch;
  ObjectReader r(j, "", errors);
  std::string s;
  if (r.String("handle", s)) patch.handle = s;
  if (r.String("title", s)) patch.title = s;
  if (r.String("description", s)) patch.description = s;
  if (r.String("vendor", s)) patch.vendor = s;
  if (r.String("product_type", s)) patch.product_type = s;
  std::vector<std::string> tags;
  if (r.StringList("tags", tags)) patch.tags = tags;
  if (r.String("status", s)) {
    auto st = ParseProductStatus(s);
    if (!st) r.Fail("status", "must be draft, active or archived");
    else patch.status = *st;
  }
  if (const json* seo = r.Get("seo")) {
    ObjectReader sr(*seo, "seo", errors);
    if (sr.String("title", s)) patch.seo_title = s;
    if (sr.String("description", s)) patch.seo_description = s;
    sr.RejectUnknown();
  }
  bool b;
  if (r.Bool("published", b)) patch.published = b;
  std::optional<std::string> category;
  if (r.OptString("category_id", category)) patch.category_id = category;
  if (r.Get("images")) {
    std::vector<ImageInput> images;
    ReadImages(r, images, errors);
    patch.images = std::move(images);
  }
  for (const char* refused : {"id", "variants", "options", "version", "created_at", "updated_at", "gift_card"})
    if (r.Get(refused)) r.Fail(refused, "cannot be changed here");
  r.RejectUnknown();
  if (!errors.empty()) return Error::Invalid("the change is not valid", std::move(errors));
  return patch;
}

Result<VariantInput> VariantInputFromJson(const nlohmann::json& j, const std::string& currency) {
  std::vector<FieldError> errors;
  VariantInput v;
  ReadVariant(j, "", currency, v, errors);
  if (!errors.empty()) return Error::Invalid("the variant is not valid", std::move(errors));
  return v;
}

Result<VariantPatch> VariantPatchFromJson(const nlohmann::json& j, const std::string& currency) {
  std::vector<FieldError> errors;
  VariantPatch p;
  ObjectReader r(j, "", errors);
  std::optional<std::string> sku;
  if (r.OptString("sku", sku)) p.sku = sku;
  if (const json* opts = r.Get("options")) {
    if (!opts->is_array() || opts->size() > 3) r.Fail("options", "must be an array of at most 3 strings");
    else
      for (std::size_t k = 0; k < opts->size(); ++k) {
        if ((*opts)[k].is_string()) p.options[k] = (*opts)[k].get<std::string>();
        else r.Fail("options", "must be an array of at most 3 strings");
      }
  }
  std::int64_t amount;
  if (r.Amount("price", amount, currency)) p.price = amount;
  std::optional<std::int64_t> opt_amount;
  if (r.OptAmount("compare_at_price", opt_amount, currency)) p.compare_at_price = opt_amount;
  opt_amount.reset();
  if (r.OptAmount("cost", opt_amount, currency)) p.cost = opt_amount;
  std::string s;
  if (r.String("barcode", s)) p.barcode = s;
  if (r.String("weight_unit", s)) p.weight_unit = s;
  if (r.String("tax_code", s)) p.tax_code = s;
  if (r.String("fulfillment_service", s)) p.fulfillment_service = s;
  if (r.String("image_url", s)) p.image_url = s;
  double d;
  if (r.Number("weight_grams", d)) p.weight_grams = d;
  bool b;
  if (r.Bool("requires_shipping", b)) p.requires_shipping = b;
  if (r.Bool("taxable", b)) p.taxable = b;
  if (r.Bool("inventory_tracked", b)) p.inventory_tracked = b;
  if (r.String("inventory_policy", s)) {
    auto pol = ParseInventoryPolicy(s);
    if (!pol) r.Fail("inventory_policy", "must be deny or continue");
    else p.inventory_policy = *pol;
  }
  for (const char* refused : {"id", "inventory_quantity", "availability", "product_id"})
    if (r.Get(refused)) r.Fail(refused, "cannot be changed here");
  r.RejectUnknown();
  if (!errors.empty()) return Error::Invalid("the change is not valid", std::move(errors));
  return p;
}

Result<CategoryInput> CategoryInputFromJson(const nlohmann::json& j) {
  std::vector<FieldError> errors;
  CategoryInput c;
  ObjectReader r(j, "", errors);
  r.String("handle", c.handle);
  r.String("name", c.name, true);
  r.OptString("parent_id", c.parent_id);
  r.RejectUnknown();
  if (!errors.empty()) return Error::Invalid("the category is not valid", std::move(errors));
  return c;
}

Result<CollectionInput> CollectionInputFromJson(const nlohmann::json& j) {
  std::vector<FieldError> errors;
  CollectionInput c;
  ObjectReader r(j, "", errors);
  r.String("handle", c.handle);
  r.String("title", c.title, true);
  r.String("description", c.description);
  r.RejectUnknown();
  if (!errors.empty()) return Error::Invalid("the collection is not valid", std::move(errors));
  return c;
}

nlohmann::json ExportJson(const Product& p, const std::vector<std::int64_t>& on_hand) {
  json variants = json::array();
  for (std::size_t i = 0; i < p.variants.size(); ++i) {
    const auto& v = p.variants[i];
    json options = json::array();
    for (const auto& o : v.options)
      if (o) options.push_back(*o);
    json jv = {{"sku", OptString(v.sku)},
               {"options", std::move(options)},
               {"price", MoneyJson(v.price.amount, v.price.currency)},
               {"compare_at_price", v.compare_at_price ? MoneyJson(*v.compare_at_price, v.price.currency) : json(nullptr)},
               {"cost", v.cost ? MoneyJson(*v.cost, v.price.currency) : json(nullptr)},
               {"barcode", v.barcode},
               {"weight_grams", v.weight_grams},
               {"weight_unit", v.weight_unit},
               {"requires_shipping", v.requires_shipping},
               {"taxable", v.taxable},
               {"tax_code", v.tax_code},
               {"inventory_tracked", v.inventory_tracked},
               {"inventory_policy", ToString(v.inventory_policy)},
               {"fulfillment_service", v.fulfillment_service},
               {"image_url", v.image_url}};
    if (v.inventory_tracked && i < on_hand.size()) jv["inventory_quantity"] = on_hand[i];
    variants.push_back(std::move(jv));
  }
  json images = json::array();
  for (const auto& img : p.images) images.push_back({{"url", img.url}, {"alt", img.alt}});
  return {{"handle", p.handle},
          {"title", p.title},
          {"description", p.description},
          {"vendor", p.vendor},
          {"product_type", p.product_type},
          {"tags", p.tags},
          {"status", ToString(p.status)},
          {"seo", {{"title", p.seo_title}, {"description", p.seo_description}}},
          {"options", p.option_names},
          {"gift_card", p.gift_card},
          {"published", p.published},
          {"variants", std::move(variants)},
          {"images", std::move(images)}};
}

}  // namespace ecom::catalog
