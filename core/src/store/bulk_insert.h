// Buffered inserts for bulk writes (catalog import): rows are kept per table
// and, once a batch has gathered across all tables, written through
// Transaction::InsertRows table by table, in the order the tables were first
// used, so foreign keys always point at rows already written.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ecom/store/database.h"

namespace ecom::store {

// A value that owns its data, for rows that outlive the caller's variables.
using OwnedValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

// Not thread-safe; bound to one transaction. Flush() before reading back
// what was added, and before Commit().
class BulkInserter {
 public:
  // rows_per_batch = 1 writes each row at once (no buffering).
  BulkInserter(Transaction& tx, std::size_t rows_per_batch);
  ~BulkInserter() = default;

  // Adds a row; `columns` must be the same for every row of a table.
  void Add(const char* table, const char* columns, std::vector<OwnedValue> row);
  // Writes everything buffered.
  void Flush();

 private:
  struct Table {
    std::string name;
    std::string columns;
    std::size_t width = 0;
    std::vector<OwnedValue> values;  // row-major
    std::size_t rows = 0;
  };
  void FlushTable(Table& t);

  Transaction& tx_;
  std::size_t rows_per_batch_;  // rows buffered across all tables before a flush
  std::vector<Table> tables_;
  std::size_t buffered_ = 0;
};

}  // namespace ecom::store
