// Shopify's product CSV: reading both the classic and the 2025 headers, and
// writing the classic layout.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <set>
#include <cmath>
#include <map>
#include <optional>

#include "catalog/product_source.h"
#include "ecom/common/csv.h"
#include "ecom/common/money.h"
#include "ecom/common/text.h"

namespace ecom::catalog {
namespace {

enum Column {
  kHandle, kTitle, kBody, kVendor, kCategory, kType, kTags, kPublished,
  kOpt1Name, kOpt1Value, kOpt2Name, kOpt2Value, kOpt3Name, kOpt3Value,
  kSku, kGrams, kTracker, kQty, kPolicy, kFulfillment, kPrice, kCompareAt,
  kRequiresShipping, kTaxable, kBarcode, kImageSrc, kImagePosition, kImageAlt,
  kGiftCard, kSeoTitle, kSeoDescription, kVariantImage, kWeightUnit, kTaxCode, kCost, kStatus,
  kColumnCount
};

struct ColumnName {
  Column column;
  const char* classic;  // the header Shopify exported until 2025
  const char* renamed;  // the 2025 header
};

constexpr ColumnName kColumns[] = {
    {kHandle, "Handle", "URL handle"},
    {kTitle, "Title", "Title"},
    {kBody, "Body (HTML)", "Description"},
    {kVendor, "Vendor", "Vendor"},
    {kCategory, "Product Category", "Product category"},
    {kType, "Type", "Type"},
    {kTags, "Tags", "Tags"},
    {kPublished, "Published", "Published on online store"},
    {kOpt1Name, "Option1 Name", "Option1 name"},
    {kOpt1Value, "Option1 Value", "Option1 value"},
    {kOpt2Name, "Option2 Name", "Option2 name"},
    {kOpt2Value, "Option2 Value", "Option2 value"},
    {kOpt3Name, "Option3 Name", "Option3 name"},
    {kOpt3Value, "Option3 Value", "Option3 value"},
    {kSku, "Variant SKU", "SKU"},
    {kGrams, "Variant Grams", "Weight value (grams)"},
    {kTracker, "Variant Inventory Tracker", "Inventory tracker"},
    {kQty, "Variant Inventory Qty", "Inventory quantity"},
    {kPolicy, "Variant Inventory Policy", "Continue selling when out of stock"},
    {kFulfillment, "Variant Fulfillment Service", "Fulfillment service"},
    {kPrice, "Variant Price", "Price"},
    {kCompareAt, "Variant Compare At Price", "Compare-at price"},
    {kRequiresShipping, "Variant Requires Shipping", "Requires shipping"},
    {kTaxable, "Variant Taxable", "Charge tax"},
    {kBarcode, "Variant Barcode", "Barcode"},
    {kImageSrc, "Image Src", "Product image URL"},
    {kImagePosition, "Image Position", "Image position"},
    {kImageAlt, "Image Alt Text", "Image alt text"},
    {kGiftCard, "Gift Card", "Gift card"},
    {kSeoTitle, "SEO Title", "SEO title"},
    {kSeoDescription, "SEO Description", "SEO description"},
    {kVariantImage, "Variant Image", "Variant image URL"},
    {kWeightUnit, "Variant Weight Unit", "Weight unit for display"},
    {kTaxCode, "Variant Tax Code", "Tax code"},
    {kCost, "Cost per item", "Cost per item"},
    {kStatus, "Status", "Status"},
};

// Columns Shopify documents that ecom does not keep: accepted and named once.
bool IsIgnoredColumn(const std::string& header) {
  std::string h = AsciiLower(header);
  auto starts = [&](std::string_view p) { return h.rfind(p, 0) == 0; };
  static constexpr std::string_view kExact[] = {
      "unit price total measure", "unit price total measure unit", "unit price base measure",
      "unit price base measure unit", "option1 linked to", "option2 linked to", "option3 linked to",
      "variant inventory adjust", "product id", "variant id"};
  for (auto e : kExact)
    if (h == e) return true;
  return starts("google shopping / ") || starts("included / ") || starts("price / ") ||
         starts("compare at price / ") || starts("compare-at price / ") ||
         h.find("metafields.") != std::string::npos;  // "Name (product.metafields.ns.key)", "Variant Metafield: ..."
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string v = AsciiLower(Trim(s));
  if (v == "true" || v == "yes" || v == "1") return true;
  if (v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

std::vector<std::string> SplitTags(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string tag(Trim(std::string_view(s).substr(start, comma - start)));
    if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> SplitCategory(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto sep = s.find(" > ", start);
    if (sep == std::string::npos) sep = s.size();
    std::string part(Trim(std::string_view(s).substr(start, sep - start)));
    if (!part.empty()) out.push_back(part);
    start = sep + 3;
  }
  return out;
}

std::string FormatGrams(double g) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, g);
  return std::string(buf, end);
}

class ShopifySource final : public ProductSource {
 public:
  ShopifySource(std::istream& in, std::string file, std::string currency)
      : reader_(in, file), file_(std::move(file)), currency_(std::move(currency)),
        exponent_(CurrencyExponent(currency_).value_or(2)) {
    index_.fill(-1);
  }

  std::uint64_t bytes_read() const override { return reader_.bytes_read(); }
  std::vector<std::string> ignored_columns() const override { return ignored_; }

  ImportProblem Locate(const std::string& file, const ParsedProduct& p, const FieldError& e) const override {
    static const std::pair<std::string_view, Column> kProductFields[] = {
        {"handle", kHandle}, {"title", kTitle}, {"description", kBody}, {"vendor", kVendor},
        {"product_type", kType}, {"seo_title", kSeoTitle}, {"seo_description", kSeoDescription},
        {"options", kOpt1Name}, {"tags", kTags}};
    static const std::pair<std::string_view, Column> kVariantFields[] = {
        {"sku", kSku}, {"price", kPrice}, {"compare_at_price", kCompareAt}, {"cost", kCost},
        {"barcode", kBarcode}, {"weight_grams", kGrams}, {"weight_unit", kWeightUnit},
        {"inventory_quantity", kQty}, {"image_url", kVariantImage}, {"options[0]", kOpt1Value},
        {"options[1]", kOpt2Value}, {"options[2]", kOpt3Value}, {"options", kOpt1Value}};
    std::string_view field = e.field;
    if (field.rfind("variants[", 0) == 0) {
      auto close = field.find(']');
      std::size_t index = std::strtoul(std::string(field.substr(9, close - 9)).c_str(), nullptr, 10);
      std::uint64_t line = index < p.variant_lines.size() ? p.variant_lines[index] : p.line;
      std::string_view rest = close + 2 <= field.size() ? field.substr(close + 2) : std::string_view();
      for (auto [name, column] : kVariantFields)
        if (rest == name) return {file, line, Header(column), e.message};
      return {file, line, std::string(field), e.message};
    }
    if (field.rfind("images[", 0) == 0) return {file, p.line, Header(kImageSrc), e.message};
    for (auto [name, column] : kProductFields)
      if (field.rfind(name, 0) == 0) return {file, p.line, Header(column), e.message};
    return {file, p.line, std::string(field), e.message};
  }

  Result<bool> Next(ParsedProduct& out) override {
    if (!header_read_) ECOM_TRY(ReadHeader());
    if (!pending_) {
      ECOM_ASSIGN_OR_RETURN(bool more, ReadRow());
      if (!more) return false;
    }
    out = ParsedProduct{};
    std::string handle = Field(kHandle);
    out.line = record_.line;
    StartProduct(out);
    for (;;) {
      ECOM_ASSIGN_OR_RETURN(bool more, ReadRow());
      if (!more) break;
      if (Field(kHandle) != handle) break;  // the next product starts: keep the row
      AddRow(out, /*first=*/false);
    }
    if (!seen_handles_.insert(std::hash<std::string>{}(handle)).second && !handle.empty())
      Problem(out, out.line, "Handle", "the rows of product '" + handle + "' must be together");
    return true;
  }

 private:
  Status ReadHeader() {
    header_read_ = true;
    csv::Record header;
    ECOM_ASSIGN_OR_RETURN(bool any, reader_.Next(header));
    if (!any) return Error::Invalid(file_ + ": the file is empty; expected a Shopify header row");
    width_ = header.fields.size();
    std::vector<std::string> errors;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
      const std::string name(Trim(header.fields[i]));
      std::optional<Column> col;
      for (const auto& c : kColumns)
        if (AsciiLower(name) == AsciiLower(c.classic) || AsciiLower(name) == AsciiLower(c.renamed)) col = c.column;
      if (col) {
        if (index_[*col] >= 0)
          errors.push_back(file_ + ":1: column " + std::to_string(i + 1) + " '" + name + "' duplicates column " +
                           std::to_string(index_[*col] + 1));
        else index_[*col] = static_cast<int>(i);
        headers_[*col] = name;
      } else if (IsIgnoredColumn(name)) {
        if (std::find(ignored_.begin(), ignored_.end(), name) != ignored_.end())
          errors.push_back(file_ + ":1: column " + std::to_string(i + 1) + " '" + name + "' appears twice");
        else ignored_.push_back(name);
      } else {
        errors.push_back(file_ + ":1: column " + std::to_string(i + 1) + " '" + name +
                         "' is not a Shopify product column");
      }
    }
    if (index_[kHandle] < 0) errors.push_back(file_ + ":1: the header has no Handle column");
    if (index_[kTitle] < 0) errors.push_back(file_ + ":1: the header has no Title column");
    if (!errors.empty()) {
      std::string message;
      for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
      return Error{ErrorCode::kInvalidArgument, "bad_header", message, {}};
    }
    return Ok();
  }

  // Reads the next record into record_; false at the end.
  Result<bool> ReadRow() {
    ECOM_ASSIGN_OR_RETURN(bool more, reader_.Next(record_));
    pending_ = more;
    if (more && record_.fields.size() != width_) {
      return Error{ErrorCode::kInvalidArgument, "csv_syntax",
                   file_ + ":" + std::to_string(record_.line) + ": the row has " +
                       std::to_string(record_.fields.size()) + " columns; the header has " + std::to_string(width_),
                   {}};
    }
    return more;
  }

  std::string Field(Column c) const {
    if (index_[c] < 0) return {};
    return std::string(Trim(record_.fields[index_[c]]));
  }
  const std::string& RawField(Column c) const {
    static const std::string kEmpty;
    return index_[c] < 0 ? kEmpty : record_.fields[index_[c]];
  }
  std::string Header(Column c) const { return headers_[c].empty() ? kColumns[c].classic : headers_[c]; }

  void Problem(ParsedProduct& out, std::uint64_t line, std::string column, std::string message) {
    out.problems.push_back({file_, line, std::move(column), std::move(message)});
  }

  void StartProduct(ParsedProduct& out) {
    ProductInput& p = out.input;
    std::uint64_t line = record_.line;
    image_positions_.clear();
    p.handle = Field(kHandle);
    if (p.handle.empty()) Problem(out, line, Header(kHandle), "is required");
    else if (!IsValidHandle(p.handle))
      Problem(out, line, Header(kHandle), "'" + p.handle + "' must be lower-case letters, digits and dashes");
    p.title = Field(kTitle);
    if (p.title.empty()) Problem(out, line, Header(kTitle), "is required on a product's first row");
    p.description = RawField(kBody);
    p.vendor = Field(kVendor);
    p.product_type = Field(kType);
    p.tags = SplitTags(Field(kTags));
    p.category_path = SplitCategory(Field(kCategory));
    p.seo_title = Field(kSeoTitle);
    p.seo_description = Field(kSeoDescription);
    if (auto v = Field(kPublished); !v.empty()) {
      if (auto b = ParseBool(v)) p.published = *b;
      else Problem(out, line, Header(kPublished), "'" + v + "' is not TRUE or FALSE");
    }
    if (auto v = Field(kGiftCard); !v.empty()) {
      if (auto b = ParseBool(v)) p.gift_card = *b;
      else Problem(out, line, Header(kGiftCard), "'" + v + "' is not TRUE or FALSE");
    }
    std::string status = AsciiLower(Field(kStatus));
    if (status.empty()) p.status = ProductStatus::kActive;
    else if (auto s = ParseProductStatus(status)) p.status = *s;
    else Problem(out, line, Header(kStatus), "'" + Field(kStatus) + "' is not active, draft or archived");
    const Column names[] = {kOpt1Name, kOpt2Name, kOpt3Name};
    for (Column c : names) {
      std::string name = Field(c);
      if (!name.empty()) p.option_names.push_back(name);
    }
    // Shopify's single-variant products carry the pseudo option Title/Default Title.
    default_title_ = p.option_names.size() == 1 && p.option_names[0] == "Title" && Field(kOpt1Value) == "Default Title";
    if (default_title_) p.option_names.clear();
    AddRow(out, /*first=*/true);
  }

  bool HasVariantFields() const {
    for (Column c : {kOpt1Value, kOpt2Value, kOpt3Value, kSku, kPrice, kQty, kBarcode, kGrams, kCompareAt})
      if (!Field(c).empty()) return true;
    return false;
  }

  std::optional<std::int64_t> Amount(ParsedProduct& out, Column c, bool required) {
    std::string v = Field(c);
    if (v.empty()) {
      if (required) Problem(out, record_.line, Header(c), "is required");
      return std::nullopt;
    }
    auto amount = ParseDecimalAmount(v, exponent_);
    if (!amount.ok()) {
      Problem(out, record_.line, Header(c), amount.error().message);
      return std::nullopt;
    }
    return *amount;
  }

  void AddRow(ParsedProduct& out, bool first) {
    std::uint64_t line = record_.line;
    ProductInput& p = out.input;
    if (!first) {
      for (Column c : {kTitle, kBody, kVendor, kType, kTags, kOpt1Name, kOpt2Name, kOpt3Name})
        if (!Field(c).empty() && c != kTitle && c != kBody) {
          // Product-level fields on later rows are Shopify's own exports' habit
          // for option names only; anything else would be silently lost.
          if (c == kOpt1Name || c == kOpt2Name || c == kOpt3Name) {
            std::size_t k = c == kOpt1Name ? 0 : c == kOpt2Name ? 1 : 2;
            if (k >= p.option_names.size() || p.option_names[k] != Field(c))
              Problem(out, line, Header(c), "option names belong on the product's first row");
          } else {
            Problem(out, line, Header(c), "product fields belong on the product's first row");
          }
        }
    }
    if (first || HasVariantFields()) {
      VariantInput v;
      const Column values[] = {kOpt1Value, kOpt2Value, kOpt3Value};
      if (!default_title_)
        for (int k = 0; k < 3; ++k)
          if (std::string val = Field(values[k]); !val.empty()) v.options[k] = val;
      if (std::string sku = Field(kSku); !sku.empty()) v.sku = sku;
      if (auto price = Amount(out, kPrice, /*required=*/true)) v.price = *price;
      v.compare_at_price = Amount(out, kCompareAt, false);
      v.cost = Amount(out, kCost, false);
      v.barcode = Field(kBarcode);
      if (v.barcode.size() > 2 && v.barcode[0] == '\'') v.barcode.erase(0, 1);  // Excel's text marker
      if (std::string g = Field(kGrams); !g.empty()) {
        double grams = 0;
        auto [end, ec] = std::from_chars(g.data(), g.data() + g.size(), grams);
        if (ec != std::errc() || end != g.data() + g.size() || !std::isfinite(grams) || grams < 0)
          Problem(out, line, Header(kGrams), "'" + g + "' is not a weight in grams");
        else v.weight_grams = grams;
      }
      if (std::string unit = Field(kWeightUnit); !unit.empty()) {
        v.weight_unit = AsciiLower(unit);
        if (v.weight_unit == "lbs") v.weight_unit = "lb";
      }
      std::string tracker = Field(kTracker);
      v.inventory_tracked = !tracker.empty();
      std::string policy = AsciiLower(Field(kPolicy));
      if (policy == "deny" || policy == "false") v.inventory_policy = InventoryPolicy::kDeny;
      else if (policy == "continue" || policy == "true") v.inventory_policy = InventoryPolicy::kContinue;
      else if (!policy.empty()) Problem(out, line, Header(kPolicy), "'" + Field(kPolicy) + "' is not deny or continue");
      if (std::string qty = Field(kQty); !qty.empty()) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(qty.data(), qty.data() + qty.size(), n);
        if (ec != std::errc() || end != qty.data() + qty.size())
          Problem(out, line, Header(kQty), "'" + qty + "' is not a whole number");
        else if (v.inventory_tracked) v.inventory_quantity = n;
      }
      if (std::string f = Field(kFulfillment); !f.empty()) v.fulfillment_service = f;
      if (std::string s = Field(kRequiresShipping); !s.empty()) {
        if (auto b = ParseBool(s)) v.requires_shipping = *b;
        else Problem(out, line, Header(kRequiresShipping), "'" + s + "' is not TRUE or FALSE");
      }
      if (std::string s = Field(kTaxable); !s.empty()) {
        if (auto b = ParseBool(s)) v.taxable = *b;
        else Problem(out, line, Header(kTaxable), "'" + s + "' is not TRUE or FALSE");
      }
      v.tax_code = Field(kTaxCode);
      v.image_url = Field(kVariantImage);
      p.variants.push_back(std::move(v));
      out.variant_lines.push_back(line);
    }
    if (std::string src = Field(kImageSrc); !src.empty()) {
      int position = static_cast<int>(p.images.size()) + 1;
      if (std::string pos = Field(kImagePosition); !pos.empty()) {
        auto [end, ec] = std::from_chars(pos.data(), pos.data() + pos.size(), position);
        if (ec != std::errc() || end != pos.data() + pos.size() || position < 1)
          Problem(out, line, Header(kImagePosition), "'" + pos + "' is not a position (1, 2, ...)");
      }
      // Keep images in position order; equal positions keep file order.
      std::size_t at = p.images.size();
      while (at > 0 && image_positions_[at - 1] > position) --at;
      image_positions_.insert(image_positions_.begin() + static_cast<long>(at), position);
      p.images.insert(p.images.begin() + static_cast<long>(at), ImageInput{src, Field(kImageAlt)});
    }
  }

  csv::Reader reader_;
  csv::Record record_;
  std::string file_;
  std::string currency_;
  int exponent_;
  bool header_read_ = false;
  bool pending_ = false;
  std::size_t width_ = 0;
  std::array<int, kColumnCount> index_;
  std::array<std::string, kColumnCount> headers_;
  std::vector<std::string> ignored_;
  std::set<std::size_t> seen_handles_;
  bool default_title_ = false;
  std::vector<int> image_positions_;
};

}  // namespace

std::unique_ptr<ProductSource> MakeShopifySource(std::istream& in, const std::string& file_name,
                                                 const std::string& currency) {
  return std::make_unique<ShopifySource>(in, file_name, currency);
}

std::string ShopifyHeader() {
  std::vector<std::string> names;
  for (const auto& c : kColumns) names.push_back(c.classic);
  std::string out;
  csv::WriteRecord(out, names);
  return out;
}

void AppendShopifyRows(std::string& out, const Product& p, const std::vector<std::int64_t>& on_hand,
                       const std::vector<std::string>& category_names) {
  int exponent = CurrencyExponent(p.variants.empty() ? "USD" : p.variants[0].price.currency).value_or(2);
  auto fmt_bool = [](bool b) { return std::string(b ? "TRUE" : "FALSE"); };
  std::string category;
  for (const auto& n : category_names) category += (category.empty() ? "" : " > ") + n;
  std::string tags;
  for (const auto& t : p.tags) tags += (tags.empty() ? "" : ", ") + t;
  std::size_t rows = std::max(p.variants.size(), p.images.size());
  for (std::size_t i = 0; i < rows; ++i) {
    std::vector<std::string> f(kColumnCount);
    f[kHandle] = p.handle;
    if (i == 0) {
      f[kTitle] = p.title;
      f[kBody] = p.description;
      f[kVendor] = p.vendor;
      f[kCategory] = category;
      f[kType] = p.product_type;
      f[kTags] = tags;
      f[kPublished] = fmt_bool(p.published);
      if (p.option_names.empty()) {
        f[kOpt1Name] = "Title";
      } else {
        const Column names[] = {kOpt1Name, kOpt2Name, kOpt3Name};
        for (std::size_t k = 0; k < p.option_names.size(); ++k) f[names[k]] = p.option_names[k];
      }
      f[kGiftCard] = fmt_bool(p.gift_card);
      f[kSeoTitle] = p.seo_title;
      f[kSeoDescription] = p.seo_description;
      f[kStatus] = ToString(p.status);
    }
    if (i < p.variants.size()) {
      const Variant& v = p.variants[i];
      if (p.option_names.empty()) {
        f[kOpt1Value] = "Default Title";
      } else {
        const Column values[] = {kOpt1Value, kOpt2Value, kOpt3Value};
        for (int k = 0; k < 3; ++k)
          if (v.options[k]) f[values[k]] = *v.options[k];
      }
      f[kSku] = v.sku.value_or("");
      f[kGrams] = FormatGrams(v.weight_grams);
      f[kTracker] = v.inventory_tracked ? "shopify" : "";
      f[kQty] = v.inventory_tracked && i < on_hand.size() ? std::to_string(on_hand[i]) : "";
      f[kPolicy] = ToString(v.inventory_policy);
      f[kFulfillment] = v.fulfillment_service;
      f[kPrice] = FormatDecimalAmount(v.price.amount, exponent);
      f[kCompareAt] = v.compare_at_price ? FormatDecimalAmount(*v.compare_at_price, exponent) : "";
      f[kRequiresShipping] = fmt_bool(v.requires_shipping);
      f[kTaxable] = fmt_bool(v.taxable);
      f[kBarcode] = v.barcode;
      f[kVariantImage] = v.image_url;
      f[kWeightUnit] = v.weight_unit;
      f[kTaxCode] = v.tax_code;
      f[kCost] = v.cost ? FormatDecimalAmount(*v.cost, exponent) : "";
    }
    if (i < p.images.size()) {
      f[kImageSrc] = p.images[i].url;
      f[kImagePosition] = std::to_string(i + 1);
      f[kImageAlt] = p.images[i].alt;
    }
    csv::WriteRecord(out, f);
  }
}

}  // namespace ecom::catalog
