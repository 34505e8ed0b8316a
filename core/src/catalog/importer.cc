// Catalog import: validate the whole file without the write lock, then apply
// it in one transaction.
#include <filesystem>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include "catalog/product_source.h"
#include "catalog/product_writer.h"
#include "ecom/catalog/import.h"
#include "ecom/common/money.h"
#include "store/bulk_insert.h"

namespace ecom::catalog {
namespace {

std::unique_ptr<ProductSource> MakeSource(ImportFormat format, std::istream& in, const std::string& file,
                                          const std::string& currency) {
  return format == ImportFormat::kShopify ? MakeShopifySource(in, file, currency)
                                          : MakeJsonlSource(in, file, currency);
}

std::uint64_t Hash(std::string_view s) { return std::hash<std::string_view>{}(s); }

}  // namespace

std::optional<ImportFormat> ParseImportFormat(std::string_view s) {
  if (s == "shopify" || s == "csv") return ImportFormat::kShopify;
  if (s == "jsonl") return ImportFormat::kJsonl;
  return std::nullopt;
}

std::string ImportProblem::ToString() const {
  std::string out = file + ":" + std::to_string(line) + ": ";
  if (!column.empty()) out += "column '" + column + "': ";
  return out + message;
}

Result<ImportReport> ImportCatalog(store::Database& db, std::shared_ptr<Clock> clock,
                                   std::shared_ptr<IdGenerator> ids, const std::string& currency,
                                   const std::string& path, const ImportOptions& options) {
  if (!CurrencyExponent(currency)) return Error::Invalid("unknown shop currency '" + currency + "'");
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(path, ec);
  if (ec) return Error::NotFound("file_not_found", "cannot read " + path + ": " + ec.message());

  ImportReport report;
  // Pass 1: parse and validate everything, holding no lock. Memory stays flat:
  // only 64-bit hashes of handles and SKUs are kept to catch duplicates.
  std::unordered_set<std::uint64_t> rejected;  // handles of rejected products (kSkip)
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::NotFound("file_not_found", "cannot open " + path);
    auto source = MakeSource(options.format, in, path, currency);
    std::unordered_map<std::uint64_t, std::uint64_t> sku_lines;  // sku hash -> line
    std::unordered_set<std::uint64_t> handles;
    ParsedProduct product;
    std::uint64_t count = 0;
    for (;;) {
      auto more = source->Next(product);
      if (!more.ok()) {
        // Damage that stops the file (bad header, broken quoting): nothing can
        // be trusted after it.
        const Error& e = more.error();
        std::string message = e.message;
        report.problems.push_back({path, 0, "", message});
        report.applied = false;
        return report;
      }
      if (!*more) break;
      auto problems = product.problems;
      if (problems.empty()) {
        for (auto& e : ValidateProductInput(product.input)) problems.push_back(source->Locate(path, product, e));
      }
      std::string handle = product.input.handle;
      if (!handle.empty() && !handles.insert(Hash(handle)).second && options.format == ImportFormat::kJsonl)
        problems.push_back({path, product.line, "handle", "product '" + handle + "' appears twice in the file"});
      for (const auto& v : product.input.variants) {
        if (!v.sku) continue;
        auto [it, fresh] = sku_lines.emplace(Hash(*v.sku), product.line);
        if (!fresh && it->second != product.line)
          problems.push_back(source->Locate(
              path, product,
              {"variants[" + std::to_string(&v - product.input.variants.data()) + "].sku",
               "SKU '" + *v.sku + "' is also used by the product on line " + std::to_string(it->second)}));
      }
      if (!problems.empty()) {
        ++report.products_rejected;
        rejected.insert(Hash(handle));
        for (auto& p : problems) report.problems.push_back(std::move(p));
      }
      if (options.progress && (++count % 256) == 0) options.progress(source->bytes_read() / 2, total);
    }
    report.ignored_columns = source->ignored_columns();
  }
  if (!report.problems.empty() && options.on_error == OnError::kAbort) {
    report.applied = false;
    return report;
  }

  // Pass 2: apply in one transaction. A dry run rolls it back, so its counts
  // are exactly what a real run would do.
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::NotFound("file_not_found", "cannot open " + path);
  auto source = MakeSource(options.format, in, path, currency);
  auto tx = db.Begin(store::TxMode::kWrite);
  // New products are written a few thousand rows at a time, across their
  // tables. With kSkip each product runs under its own savepoint, so its rows
  // are written at once.
  tx->PrepareForBulkWrite();
  store::BulkInserter bulk(*tx, 4000);
  WriteContext ctx{*tx, *ids, *clock, currency, options.actor,
                   options.on_error == OnError::kAbort ? &bulk : nullptr};
  ParsedProduct product;
  std::uint64_t count = 0;
  for (;;) {
    auto more = source->Next(product);
    if (!more.ok()) return std::move(more).error();  // the file changed under us
    if (!*more) break;
    if (!product.problems.empty() || rejected.count(Hash(product.input.handle))) continue;
    // With kSkip each product runs under a savepoint, so one that conflicts
    // with the store leaves nothing behind while the others apply.
    bool skip = options.on_error == OnError::kSkip;
    if (skip) tx->Exec("SAVEPOINT import_product");
    Result<UpsertOutcome> outcome = Error::Internal("not run");
    try {
      outcome = WriteProduct(ctx, product.input, /*upsert=*/true);
    } catch (const store::DbError& e) {
      if (e.kind() != store::DbError::Kind::kUniqueViolation) throw;
      outcome = Error::Exists("already_exists", "a handle or SKU is already taken");
    }
    if (!outcome.ok()) {
      // A conflict with the store, e.g. a SKU owned by a product not in the file.
      for (const auto& f : outcome.error().fields) report.problems.push_back(source->Locate(path, product, f));
      if (outcome.error().fields.empty()) report.problems.push_back({path, product.line, "", outcome.error().message});
      ++report.products_rejected;
      if (!skip) {
        report.applied = false;
        report.products_created = report.products_updated = report.products_unchanged = 0;
        report.variants_created = report.variants_updated = report.variants_unchanged = 0;
        report.stock_changes = 0;
        return report;  // the transaction rolls back
      }
      tx->Exec("ROLLBACK TO SAVEPOINT import_product");
      tx->Exec("RELEASE SAVEPOINT import_product");
      continue;
    }
    if (skip) tx->Exec("RELEASE SAVEPOINT import_product");
    switch (outcome->kind) {
      case UpsertOutcome::Kind::kCreated: ++report.products_created; break;
      case UpsertOutcome::Kind::kUpdated: ++report.products_updated; break;
      case UpsertOutcome::Kind::kUnchanged: ++report.products_unchanged; break;
    }
    report.variants_created += outcome->variants_created;
    report.variants_updated += outcome->variants_updated;
    report.variants_unchanged += outcome->variants_unchanged;
    report.stock_changes += outcome->stock_changes;
    if (options.progress && (++count % 256) == 0)
      options.progress(total / 2 + source->bytes_read() / 2, total);
  }
  try {
    bulk.Flush();
  } catch (const store::DbError& e) {
    if (e.kind() != store::DbError::Kind::kUniqueViolation) throw;
    // Another writer took a handle or SKU after it was checked.
    report.problems.push_back({path, 0, "", "a handle or SKU in the file was taken by a concurrent change; "
                                            "nothing was imported"});
    report.applied = false;
    return report;
  }
  if (!options.dry_run) {
    tx->Commit();
    report.applied = true;
    tx.reset();
    // A large import leaves a large write-ahead log behind; fold it back now
    // so the daemon's readers do not pay for it.
    if (report.products_created + report.products_updated > 0) db.CheckpointLog();
  }
  if (options.progress) options.progress(total, total);
  return report;
}

}  // namespace ecom::catalog
