// A direct JSON writer for products: the same document as ToJson(), without
// allocating a tree per field. Keys are written in the order nlohmann uses
// (sorted), so both paths produce the same bytes.
#include <charconv>

#include "ecom/catalog/json.h"

namespace ecom::catalog {
namespace {

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void String(std::string_view s) {
    out_.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_.push_back(kHex[c >> 4]);
          out_.push_back(kHex[c & 15]);
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }
  void Int(std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void Double(double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view s(buf, static_cast<std::size_t>(end - buf));
    out_.append(s);
    if (s.find_first_of(".eEn") == std::string_view::npos) out_ += ".0";  // as nlohmann prints doubles
  }
  void Bool(bool v) { out_ += v ? "true" : "false"; }
  void Null() { out_ += "null"; }
  void Key(std::string_view k) {
    Comma();
    String(k);
    out_.push_back(':');
    after_key_ = true;  // the value follows without a comma
  }
  void Begin(char c) {
    Comma();
    out_.push_back(c);
    first_ = true;
  }
  void End(char c) {
    out_.push_back(c);
    first_ = false;
  }
  // Called before every value or key: a comma unless first in its container.
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void Value(std::string_view s) { Comma(), String(s); }
  void Value(std::int64_t v) { Comma(), Int(v); }
  void Value(bool v) { Comma(), Bool(v); }
  void ValueDouble(double v) { Comma(), Double(v); }
  void ValueNull() { Comma(), Null(); }
  void Money(std::int64_t amount, const std::string& currency) {
    Begin('{');
    Key("amount");
    Value(amount);
    Key("currency");
    Value(currency);
    End('}');
  }

 private:
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

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
