// Shipping methods, tax rates and the arithmetic of cart totals.
//
// Rounding rule (documented in docs/orders.md): tax is computed per line on
// the line's subtotal and rounded half up to the currency's minor unit; the
// tax total is the sum of the rounded line taxes (and of the shipping tax).
// For an exclusive rate, tax = subtotal x rate. For an inclusive rate the
// price already holds the tax: tax = subtotal - subtotal / (1 + rate), and the
// grand total does not grow.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/config.h"
#include "ecom/common/money.h"
#include "ecom/common/result.h"
#include "ecom/orders/types.h"
#include "ecom/store/database.h"

namespace ecom::orders {

// The code of the method every install has: free, to every country, until
// the merchant defines a method of that code.
inline constexpr std::string_view kStandardShipping = "standard";

struct ShippingMethod {
  std::string code;
  std::string name;
  Money amount;
  std::vector<std::string> countries;  // empty: every country
  std::string source;                  // builtin, config or api

  bool ServesCountry(std::string_view country) const;
};

struct TaxRate {
  std::string code;          // DE, US-NY
  std::string country;
  std::string region;        // "" for the whole country
  std::int64_t rate_ppm = 0; // millionths: 19 % is 190000
  bool inclusive = false;
  bool on_shipping = false;
  std::string source;        // config or api
};

// One line as pricing sees it.
struct PriceLine {
  std::int64_t subtotal = 0;
  bool taxable = true;
  bool requires_shipping = true;
};

struct PricedCart {
  Totals totals;
  std::vector<std::int64_t> line_tax;  // per PriceLine
  std::int64_t rate_ppm = 0;
};

// Pure arithmetic: totals of `lines` with an optional shipping method and tax
// rate. Shipping is charged only if some line requires shipping.
PricedCart Price(const std::vector<PriceLine>& lines, const ShippingMethod* shipping, const TaxRate* rate);

// Tax on `amount` at `rate_ppm`, rounded half up (amount >= 0).
std::int64_t TaxOn(std::int64_t amount, std::int64_t rate_ppm, bool inclusive);

// "19" -> 190000, "8.875" -> 88750; at most 4 fraction digits, 0..100.
Result<std::int64_t> ParsePercent(std::string_view text);
// 88750 -> "8.875".
std::string FormatPercent(std::int64_t rate_ppm);

// The shop's shipping methods and tax rates: those in the config file (read
// only) and those kept in the store through the admin API. Thread-safe.
class PricingSettings {
 public:
  PricingSettings(store::Database& db, std::shared_ptr<Clock> clock, const Config& config);

  // Checks the config-defined methods and rates (amounts in shop.currency).
  static Status Validate(const Config& config);

  std::vector<ShippingMethod> ShippingMethods(store::Transaction& tx) const;
  std::vector<TaxRate> TaxRates(store::Transaction& tx) const;
  // The same reads, issued with Transaction::Prefetch so that they travel
  // with the transaction's other statements, and taken later.
  std::size_t PrefetchShippingMethods(store::Transaction& tx) const;
  std::vector<ShippingMethod> TakeShippingMethods(store::Transaction& tx, std::size_t ticket) const;
  std::size_t PrefetchTaxRates(store::Transaction& tx) const;
  std::vector<TaxRate> TakeTaxRates(store::Transaction& tx, std::size_t ticket) const;

  // Of `methods`, the method `code` if it serves `country`: kInvalidArgument
  // `unknown_shipping_method` or `shipping_method_unavailable` otherwise.
  static Result<ShippingMethod> ShippingMethodFor(const std::vector<ShippingMethod>& methods, std::string_view code,
                                                  std::string_view country, std::string_view currency);
  // Of `rates`, the rate of (country, region), else of the country, else none.
  static std::optional<TaxRate> TaxRateFor(const std::vector<TaxRate>& rates, std::string_view country,
                                           std::string_view region);

  Result<std::vector<ShippingMethod>> ListShippingMethods() const;
  Result<std::vector<TaxRate>> ListTaxRates() const;
  // Creates or replaces a method kept in the store. A method defined in the
  // config file cannot be changed here (kFailedPrecondition `defined_in_config`).
  Result<ShippingMethod> PutShippingMethod(const ShippingMethod& method);
  Status DeleteShippingMethod(std::string_view code);
  // `code` is COUNTRY or COUNTRY-REGION.
  Result<TaxRate> PutTaxRate(const TaxRate& rate);
  Status DeleteTaxRate(std::string_view code);

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::string currency_;
  std::vector<ShippingMethod> config_methods_;
  std::vector<TaxRate> config_rates_;
};

}  // namespace ecom::orders
