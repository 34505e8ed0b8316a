// The SQL text of bulk inserts, shared by the store backends (private to core).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecom::store {

// "a, b,c" -> {"a", "b", "c"}.
inline std::vector<std::string> SplitColumns(std::string_view columns) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start <= columns.size();) {
    std::size_t comma = columns.find(',', start);
    if (comma == std::string_view::npos) comma = columns.size();
    std::string_view name = columns.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    out.emplace_back(name);
    start = comma + 1;
  }
  return out;
}

// INSERT INTO table (columns) VALUES ($1, ..., $width), (...) for `rows` rows.
inline std::string InsertSql(std::string_view table, std::string_view columns, std::size_t width,
                             std::size_t rows) {
  std::string sql = "INSERT INTO ";
  sql.append(table).append(" (").append(columns).append(") VALUES ");
  sql.reserve(sql.size() + rows * width * 7);
  std::size_t n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < width; ++c) {
      if (c) sql += ", ";
      sql += '$';
      sql += std::to_string(++n);
    }
    sql += ')';
  }
  return sql;
}

}  // namespace ecom::store
