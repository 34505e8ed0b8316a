// Applies the schema migrations and reports where a database stands.
#include "ecom/store/migrate.h"

#include <map>
#include <stdexcept>

#include "store/schema.h"

namespace ecom::store {
namespace {

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL)";

// Splits a migration into statements at semicolons that end a line.
std::vector<std::string> Statements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  std::size_t start = 0;
  while (start < sql.size()) {
    auto end = sql.find('\n', start);
    if (end == std::string::npos) end = sql.size();
    std::string line = sql.substr(start, end - start);
    start = end + 1;
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line.compare(first, 2, "--") == 0) continue;
    current += line;
    current += '\n';
    auto last = line.find_last_not_of(" \t\r");
    if (line[last] == ';') {
      out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \t\n") != std::string::npos) out.push_back(current);
  return out;
}

}  // namespace

SchemaStatus GetSchemaStatus(Database& db) {
  SchemaStatus status;
  std::map<int, std::string> applied;
  {
    auto tx = db.Begin(TxMode::kWrite);
    tx->Exec(kCreateVersionTable);
    auto rows = tx->Query("SELECT version, applied_at FROM schema_migrations ORDER BY version");
    while (rows->Next()) applied[static_cast<int>(rows->Int(0))] = rows->Text(1);
    rows.reset();
    tx->Commit();
  }
  for (const auto& m : Migrations()) {
    MigrationState state{m.version, m.name, std::nullopt};
    if (auto it = applied.find(m.version); it != applied.end()) state.applied_at = it->second;
    status.migrations.push_back(std::move(state));
    status.latest = std::max(status.latest, m.version);
  }
  if (!applied.empty()) status.current = applied.rbegin()->first;
  return status;
}

std::vector<int> Migrate(Database& db, const Clock& clock) {
  auto lock = db.LockForMigration();
  std::vector<int> done;
  SchemaStatus status = GetSchemaStatus(db);
  if (status.current > status.latest)
    throw std::runtime_error("database schema version " + std::to_string(status.current) +
                             " is newer than this build knows (" + std::to_string(status.latest) +
                             ")");
  for (const auto& m : Migrations()) {
    if (m.version <= status.current) continue;
    auto tx = db.Begin(TxMode::kWrite);
    for (const auto& statement : Statements(RenderForDialect(m.sql, db.dialect()))) tx->Exec(statement);
    tx->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
             {std::int64_t{m.version}, std::string_view(m.name), FormatTime(clock.Now())});
    tx->Commit();
    done.push_back(m.version);
  }
  return done;
}

}  // namespace ecom::store
