// Catalog import (Shopify product CSV, ecom JSON Lines) and export.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::catalog {

enum class ImportFormat { kShopify, kJsonl };
std::optional<ImportFormat> ParseImportFormat(std::string_view s);  // shopify, jsonl

enum class OnError {
  kAbort,  // any bad row: nothing is applied (the default)
  kSkip,   // bad products are reported and left out; the rest is applied
};

struct ImportOptions {
  ImportFormat format = ImportFormat::kShopify;
  bool dry_run = false;  // report what would change; change nothing
  OnError on_error = OnError::kAbort;
  Actor actor{"import"};
  // Called now and then with bytes read so far and the file size.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// One rejected row: where, which column, why.
struct ImportProblem {
  std::string file;
  std::uint64_t line = 0;
  std::string column;  // header name (CSV) or JSON path; empty if the whole row
  std::string message;
  std::string ToString() const;  // "file:line: column 'Variant Price': not a number"
};

struct ImportReport {
  std::int64_t products_created = 0, products_updated = 0, products_unchanged = 0;
  std::int64_t variants_created = 0, variants_updated = 0, variants_unchanged = 0;
  std::int64_t stock_changes = 0;     // count ledger rows written
  std::int64_t products_rejected = 0;
  std::vector<ImportProblem> problems;
  std::vector<std::string> ignored_columns;  // recognised Shopify columns ecom does not keep
  bool applied = false;  // false for a dry run or an aborted import
};

// Imports a file. Parses and validates it first without holding the store's
// write lock, then applies everything in one transaction (all or nothing;
// with kSkip, the products that passed). Memory stays flat in the file size.
// Returns an error only for failures outside the data (unreadable file,
// store down); bad data is reported in ImportReport::problems.
Result<ImportReport> ImportCatalog(store::Database& db, std::shared_ptr<Clock> clock,
                                   std::shared_ptr<IdGenerator> ids, const std::string& shop_currency,
                                   const std::string& path, const ImportOptions& options);

// Writes the whole catalog (every status) as a Shopify CSV or JSON Lines;
// importing the output into an empty store gives the same catalog.
Status ExportCatalog(store::Database& db, const std::string& shop_currency, ImportFormat format,
                     std::ostream& out);

}  // namespace ecom::catalog
