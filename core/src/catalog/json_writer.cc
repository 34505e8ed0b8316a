// A direct JSON writer for products: the same document as ToJson(), without
// allocating a tree per field. Keys are written in the order nlohmann uses
// (sorted), so both paths produce the same bytes.
#include "ecom/common/json_writer.h"
#include "ecom/catalog/json.h"

namespace ecom::catalog {
namespace {

using Writer = JsonWriter;

void WriteVariant(Writer& w, const Variant& v, const JsonView& view) {
  w.Begin('{');
  w.Key("availability");
  w.Begin('{');
  w.Key("available");
  if (v.inventory_tracked) w.Value(std::max<std::int64_t>(v.availability.available, 0));
  else w.ValueNull();
  w.Key("in_stock");
  w.Value(v.availability.in_stock);
  w.End('}');
  w.Key("barcode");
  w.Value(v.barcode);
  w.Key("compare_at_price");
  if (v.compare_at_price) w.Money(*v.compare_at_price, v.price.currency);
  else w.ValueNull();
  if (view.staff) {
    w.Key("cost");
    if (v.cost) w.Money(*v.cost, v.price.currency);
    else w.ValueNull();
    w.Key("created_at");
    w.Value(v.created_at);
    w.Key("fulfillment_service");
    w.Value(v.fulfillment_service);
  }
  w.Key("id");
  w.Value(v.id);
  w.Key("image_url");
  w.Value(v.image_url);
  w.Key("inventory_policy");
  w.Value(std::string_view(ToString(v.inventory_policy)));
  w.Key("inventory_tracked");
  w.Value(v.inventory_tracked);
  w.Key("options");
  w.Begin('[');
  for (const auto& o : v.options)
    if (o) w.Value(*o);
  w.End(']');
  if (view.staff) {
    w.Key("position");
    w.Value(std::int64_t{v.position});
  }
  w.Key("price");
  w.Money(v.price.amount, v.price.currency);
  w.Key("product_id");
  w.Value(v.product_id);
  w.Key("requires_shipping");
  w.Value(v.requires_shipping);
  w.Key("sku");
  if (v.sku) w.Value(*v.sku);
  else w.ValueNull();
  if (view.staff) {
    w.Key("tax_code");
    w.Value(v.tax_code);
  }
  w.Key("taxable");
  w.Value(v.taxable);
  w.Key("title");
  w.Value(v.Title());
  if (view.staff) {
    w.Key("updated_at");
    w.Value(v.updated_at);
  }
  w.Key("weight_grams");
  w.ValueDouble(v.weight_grams);
  w.Key("weight_unit");
  w.Value(v.weight_unit);
  w.End('}');
}

}  // namespace

void AppendJson(std::string& out, const Product& p, const JsonView& view) {
  Writer w(out);
  w.Begin('{');
  w.Key("category_id");
  if (p.category_id) w.Value(*p.category_id);
  else w.ValueNull();
  w.Key("collection_ids");
  w.Begin('[');
  for (const auto& c : p.collection_ids) w.Value(c);
  w.End(']');
  w.Key("created_at");
  w.Value(p.created_at);
  w.Key("description");
  w.Value(p.description);
  w.Key("gift_card");
  w.Value(p.gift_card);
  w.Key("handle");
  w.Value(p.handle);
  w.Key("id");
  w.Value(p.id);
  w.Key("images");
  w.Begin('[');
  for (const auto& img : p.images) {
    w.Begin('{');
    w.Key("alt");
    w.Value(img.alt);
    w.Key("id");
    w.Value(img.id);
    w.Key("position");
    w.Value(std::int64_t{img.position});
    w.Key("url");
    w.Value(img.url);
    w.End('}');
  }
  w.End(']');
  w.Key("options");
  w.Begin('[');
  for (const auto& o : p.option_names) w.Value(o);
  w.End(']');
  w.Key("product_type");
  w.Value(p.product_type);
  w.Key("published");
  w.Value(p.published);
  w.Key("seo");
  w.Begin('{');
  w.Key("description");
  w.Value(p.seo_description);
  w.Key("title");
  w.Value(p.seo_title);
  w.End('}');
  w.Key("status");
  w.Value(std::string_view(ToString(p.status)));
  w.Key("tags");
  w.Begin('[');
  for (const auto& t : p.tags) w.Value(t);
  w.End(']');
  w.Key("title");
  w.Value(p.title);
  w.Key("updated_at");
  w.Value(p.updated_at);
  w.Key("variants");
  w.Begin('[');
  for (const auto& v : p.variants) WriteVariant(w, v, view);
  w.End(']');
  w.Key("vendor");
  w.Value(p.vendor);
  w.Key("version");
  w.Value(p.version);
  w.End('}');
}

}  // namespace ecom::catalog
