// Money: signed 64-bit minor units of one ISO 4217 currency. Never floating point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/common/result.h"

namespace ecom {

struct Money {
  std::int64_t amount = 0;  // minor units: cents for USD, yen for JPY, fils for KWD
  std::string currency;     // ISO 4217 alphabetic code, upper case

  friend bool operator==(const Money&, const Money&) = default;
};

// The number of minor-unit digits of an ISO 4217 currency (USD 2, JPY 0,
// KWD 3), or nullopt for a code that is not an active currency.
std::optional<int> CurrencyExponent(std::string_view code);

// Parses a decimal amount such as "25", "25.5" or "1299.00": digits with an
// optional single '.' and at most `exponent` fraction digits ("19.999" in USD
// is refused rather than rounded; trailing zeros beyond it are accepted). Negative amounts are
// refused unless allow_negative. Errors are kInvalidArgument with a message
// that names the problem.
Result<std::int64_t> ParseDecimalAmount(std::string_view text, int exponent,
                                        bool allow_negative = false);

// Formats minor units as a plain decimal with the currency's exponent:
// 2500 USD -> "25.00", 1500 JPY -> "1500".
std::string FormatDecimalAmount(std::int64_t amount, int exponent);

}  // namespace ecom
