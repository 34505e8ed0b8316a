// Private factory of the SQLite backend.
#pragma once

#include <memory>
#include <string>

#include "ecom/store/database.h"

namespace ecom::store {

// Opens (creating if needed) the SQLite file at `path` in WAL mode.
std::unique_ptr<Database> OpenSqlite(const std::string& path, const DatabaseOptions& options);

}  // namespace ecom::store
