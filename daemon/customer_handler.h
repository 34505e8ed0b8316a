// HTTP handlers for staff looking at customers (/v1/customers).
#pragma once

#include "daemon/call.h"
#include "ecom/auth/customer_service.h"

namespace ecom::daemon {

// Thread-safe.
class CustomerHandler {
 public:
  explicit CustomerHandler(auth::CustomerService& customers) : customers_(customers) {}

  // ?status=&limit=&cursor= -> {items, next_cursor}, newest first.
  Reply List(const Call& call);
  // By id (cus_...).
  Reply Get(const Call& call);

 private:
  auth::CustomerService& customers_;
};

}  // namespace ecom::daemon
