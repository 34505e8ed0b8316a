// HTTP handlers for products and their variants (/v1/products, /v1/variants).
#pragma once

#include "daemon/call.h"
#include "ecom/catalog/catalog_service.h"

namespace ecom::daemon {

// Public callers see active products only, in the public JSON view; a key
// with catalog:read sees every status in the staff view. Thread-safe.
class ProductHandler {
 public:
  explicit ProductHandler(catalog::CatalogService& catalog) : catalog_(catalog) {}

  Reply List(const Call& call);
  Reply Get(const Call& call);
  Reply Create(const Call& call);
  // Needs If-Match with the product's ETag: 428 without it, 412 when stale.
  Reply Update(const Call& call);
  Reply Delete(const Call& call);

  Reply AddVariant(const Call& call);
  Reply GetVariant(const Call& call);
  Reply UpdateVariant(const Call& call);
  Reply DeleteVariant(const Call& call);

 private:
  catalog::CatalogService& catalog_;
};

}  // namespace ecom::daemon
