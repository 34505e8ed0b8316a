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
