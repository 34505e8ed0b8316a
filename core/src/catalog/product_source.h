// Streaming readers that turn an import file into one ProductInput at a time.
#pragma once

#include <istream>
#include <memory>
#include <string>
#include <vector>

#include "ecom/catalog/catalog_service.h"
#include "ecom/catalog/import.h"
#include "ecom/common/result.h"

namespace ecom::catalog {

struct ParsedProduct {
  ProductInput input;
  std::uint64_t line = 0;              // where the product starts
  std::vector<std::uint64_t> variant_lines;  // where each variant was read, when known
  std::vector<ImportProblem> problems;  // row-level problems; the product is rejected if any
};

class ProductSource {
 public:
  virtual ~ProductSource() = default;
  // Reads the next product: true, false at the end, or an Error for damage
  // that stops the whole file (CSV syntax, a bad header).
  virtual Result<bool> Next(ParsedProduct& out) = 0;
  virtual std::uint64_t bytes_read() const = 0;
  // Recognised columns that ecom does not keep, named once (Shopify only).
  virtual std::vector<std::string> ignored_columns() const { return {}; }
  // Where in the file a validation error about `field` (a path such as
  // `variants[2].price`) points: JSON Lines keeps the path; CSV names the
  // variant's row and the column's header.
  virtual ImportProblem Locate(const std::string& file, const ParsedProduct& p, const FieldError& e) const {
    return {file, p.line, e.field, e.message};
  }
};

std::unique_ptr<ProductSource> MakeShopifySource(std::istream& in, const std::string& file_name,
                                                 const std::string& currency);
std::unique_ptr<ProductSource> MakeJsonlSource(std::istream& in, const std::string& file_name,
                                               const std::string& currency);

// Shopify CSV export: the header row, then a product's rows.
std::string ShopifyHeader();
void AppendShopifyRows(std::string& out, const Product& p, const std::vector<std::int64_t>& on_hand,
                       const std::vector<std::string>& category_names);

}  // namespace ecom::catalog
