// HTTP handlers for categories (/v1/categories).
#pragma once

#include "daemon/call.h"
#include "ecom/catalog/catalog_service.h"

namespace ecom::daemon {

// Thread-safe.
class CategoryHandler {
 public:
  explicit CategoryHandler(catalog::CatalogService& catalog) : catalog_(catalog) {}

  Reply List(const Call& call);
  Reply Get(const Call& call);
  Reply Create(const Call& call);

 private:
  catalog::CatalogService& catalog_;
};

}  // namespace ecom::daemon
