// The schema migrations (private to core/store).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ecom/store/database.h"

namespace ecom::store {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // statements separated by ';' at line ends, with {placeholders}
};

const std::vector<Migration>& Migrations();

// Replaces the dialect placeholders of a migration.
std::string RenderForDialect(std::string_view sql, Dialect dialect);

}  // namespace ecom::store
