// Private factory of the PostgreSQL backend.
#pragma once

#include <memory>
#include <string>

#include "ecom/store/database.h"

namespace ecom::store {

// Connects to PostgreSQL at a libpq URL (`postgresql://user:pw@host:port/db`).
std::unique_ptr<Database> OpenPostgres(const std::string& url, const DatabaseOptions& options);

}  // namespace ecom::store
