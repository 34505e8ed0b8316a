// Chooses the store backend from a database URL.
#include <stdexcept>

#include "ecom/store/database.h"
#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace ecom::store {

std::unique_ptr<Database> Open(std::string_view url, const DatabaseOptions& options) {
  auto starts_with = [&](std::string_view p) { return url.substr(0, p.size()) == p; };
  if (starts_with("postgresql://") || starts_with("postgres://"))
    return OpenPostgres(std::string(url), options);
  std::string path;
  if (starts_with("sqlite://")) {
    path = std::string(url.substr(9));  // sqlite:///abs -> /abs, sqlite://rel -> rel
  } else if (url.find("://") != std::string_view::npos) {
    throw std::invalid_argument("unsupported database URL '" + std::string(url) +
                                "': use sqlite:///path/file.db or postgresql://...");
  } else {
    path = std::string(url);
  }
  if (path.empty()) throw std::invalid_argument("database URL names no file");
  return OpenSqlite(path, options);
}

std::int64_t Transaction::NextInSequence(std::string_view name) {
  auto rows = dialect() == Dialect::kPostgres
                  ? Query("SELECT nextval($1)", {name})
                  : Query("UPDATE sequences SET next_value = next_value + 1 WHERE name = $1 "
                          "RETURNING next_value - 1",
                          {name});
  if (!rows->Next()) throw DbError(DbError::Kind::kOther, "no sequence " + std::string(name));
  return rows->Int(0);
}

}  // namespace ecom::store
