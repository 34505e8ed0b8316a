// Schema migrations: numbered, forward-only, recorded in schema_migrations.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ecom/common/clock.h"
#include "ecom/store/database.h"

namespace ecom::store {

struct MigrationState {
  int version;
  std::string name;
  std::optional<std::string> applied_at;  // RFC 3339, or nullopt when pending
};

struct SchemaStatus {
  int current = 0;  // highest applied version (0: empty database)
  int latest = 0;   // highest version this build knows
  std::vector<MigrationState> migrations;
  bool up_to_date() const { return current == latest; }
};

// Reads where the database stands. A database newer than this build (current >
// latest) is reported as such; callers refuse to run against it.
SchemaStatus GetSchemaStatus(Database& db);

// Applies every pending migration, each in its own transaction, under the
// store's migration lock (so replicas starting together migrate once).
// Returns the versions applied now (empty if already current).
std::vector<int> Migrate(Database& db, const Clock& clock);

}  // namespace ecom::store
