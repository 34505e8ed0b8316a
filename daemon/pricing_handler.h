// HTTP handlers for shipping methods and tax rates (/v1/shipping-methods,
// /v1/tax-rates).
#pragma once

#include "daemon/call.h"
#include "ecom/orders/pricing.h"

namespace ecom::daemon {

// Thread-safe.
class PricingHandler {
 public:
  explicit PricingHandler(orders::PricingSettings& pricing) : pricing_(pricing) {}

  // ?country= keeps the methods that ship there.
  Reply ListShippingMethods(const Call& call);
  // {"name", "amount": {money}, "countries"?: [...]} -> the method.
  Reply PutShippingMethod(const Call& call);
  Reply DeleteShippingMethod(const Call& call);
  Reply ListTaxRates(const Call& call);
  // /v1/tax-rates/{code} (DE, US-NY): {"rate": "8.875", "inclusive"?, "on_shipping"?}
  Reply PutTaxRate(const Call& call);
  Reply DeleteTaxRate(const Call& call);

 private:
  orders::PricingSettings& pricing_;
};

}  // namespace ecom::daemon
