// HTTP handlers for collections and their membership (/v1/collections).
#pragma once

#include "daemon/call.h"
#include "ecom/catalog/catalog_service.h"

namespace ecom::daemon {

// Thread-safe.
class CollectionHandler {
 public:
  explicit CollectionHandler(catalog::CatalogService& catalog) : catalog_(catalog) {}

  // GET: public; `product_ids` lists only active products unless the caller
  // holds catalog:read.
  Reply List(const Call& call);
  Reply Get(const Call& call);
  Reply Create(const Call& call);
  // PUT and DELETE /v1/collections/{id}/products/{product_id}: idempotent.
  Reply AddProduct(const Call& call);
  Reply RemoveProduct(const Call& call);

 private:
  catalog::CatalogService& catalog_;
};

}  // namespace ecom::daemon
