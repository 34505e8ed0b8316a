// The services the daemon serves and one instance of each resource handler.
#pragma once

#include <tuple>

#include "daemon/account_handler.h"
#include "daemon/auth_handler.h"
#include "daemon/cart_handler.h"
#include "daemon/category_handler.h"
#include "daemon/collection_handler.h"
#include "daemon/customer_handler.h"
#include "daemon/health_handler.h"
#include "daemon/inventory_handler.h"
#include "daemon/metrics.h"
#include "daemon/order_handler.h"
#include "daemon/pricing_handler.h"
#include "daemon/product_handler.h"
#include "ecom/catalog/catalog_service.h"
#include "ecom/inventory/inventory_service.h"
#include "ecom/store/database.h"

namespace ecom::daemon {

// Borrowed; every one must outlive the Handlers built from it.
struct Services {
  store::Database& db;
  catalog::CatalogService& catalog;
  inventory::InventoryService& inventory;
  Metrics& metrics;
  auth::SessionService& sessions;
  auth::CustomerService& customers;
  auth::PasswordResetService& resets;
  orders::PricingSettings& pricing;
  orders::CartService& carts;
  orders::OrderService& orders;
  std::shared_ptr<Clock> clock;
};

class Handlers {
 public:
  explicit Handlers(const Services& s)
      : handlers_(ProductHandler(s.catalog), CategoryHandler(s.catalog),
                  CollectionHandler(s.catalog),
                  InventoryHandler(s.inventory, s.db, s.clock),
                  HealthHandler(s.db, s.metrics), AuthHandler(s.sessions, s.customers, s.resets, &s.carts),
                  AccountHandler(s.customers), CustomerHandler(s.customers),
                  CartHandler(s.carts, s.orders, s.customers, s.db, s.clock),
                  OrderHandler(s.orders, s.db, s.clock), PricingHandler(s.pricing)) {}

  template <typename H>
  H& Get() {
    return std::get<H>(handlers_);
  }

 private:
  std::tuple<ProductHandler, CategoryHandler, CollectionHandler, InventoryHandler, HealthHandler,
             AuthHandler, AccountHandler, CustomerHandler, CartHandler, OrderHandler, PricingHandler>
      handlers_;
};

}  // namespace ecom::daemon
