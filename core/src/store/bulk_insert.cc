// Buffered bulk inserts.
#include "store/bulk_insert.h"

#include <algorithm>
#include <cstring>

namespace ecom::store {
namespace {

std::size_t CountColumns(const char* columns) {
  return static_cast<std::size_t>(std::count(columns, columns + std::strlen(columns), ',')) + 1;
}

}  // namespace

BulkInserter::BulkInserter(Transaction& tx, std::size_t rows_per_batch)
    : tx_(tx), rows_per_batch_(std::max<std::size_t>(rows_per_batch, 1)) {}

void BulkInserter::Add(const char* table, const char* columns, std::vector<OwnedValue> row) {
  Table* t = nullptr;
  for (auto& existing : tables_)
    if (existing.name == table) t = &existing;
  if (!t) {
    tables_.push_back({table, columns, CountColumns(columns), {}, 0});
    t = &tables_.back();
  }
  for (auto& v : row) t->values.push_back(std::move(v));
  ++t->rows;
  ++buffered_;
  if (buffered_ >= rows_per_batch_) Flush();
}

void BulkInserter::Flush() {
  for (auto& t : tables_) FlushTable(t);
  buffered_ = 0;
}

void BulkInserter::FlushTable(Table& t) {
  if (t.rows == 0) return;
  std::vector<Value> params;
  params.reserve(t.values.size());
  for (const auto& v : t.values) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) params.emplace_back(std::string_view(x));
          else params.emplace_back(x);
        },
        v);
  }
  tx_.InsertRows(t.name, t.columns, params);
  t.values.clear();
  t.rows = 0;
}

}  // namespace ecom::store
