#include "ecom/orders/pricing.h"

#include <algorithm>
#include <charconv>

namespace ecom::orders {
namespace {

using store::Transaction;

bool IsCountry(std::string_view c) {
  return c.size() == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

std::string JoinCountries(const std::vector<std::string>& countries) {
  std::string out;
  for (const auto& c : countries) out += (out.empty() ? "" : " ") + c;
  return out;
}

std::vector<std::string> SplitCountries(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    if (sp == std::string_view::npos) sp = text.size();
    if (sp > pos) out.emplace_back(text.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

ShippingMethod Builtin(const std::string& currency) {
  return {std::string(kStandardShipping), "Standard shipping", {0, currency}, {}, "builtin"};
}

std::string RateCode(std::string_view country, std::string_view region) {
  return region.empty() ? std::string(country) : std::string(country) + "-" + std::string(region);
}

}  // namespace

bool ShippingMethod::ServesCountry(std::string_view country) const {
  return countries.empty() || std::find(countries.begin(), countries.end(), country) != countries.end();
}

std::int64_t TaxOn(std::int64_t amount, std::int64_t rate_ppm, bool inclusive) {
  if (amount <= 0 || rate_ppm <= 0) return 0;
  using I = __int128;
  if (!inclusive) return static_cast<std::int64_t>((I(amount) * rate_ppm + 500000) / 1000000);
  // The net price is amount / (1 + rate), rounded half up; the tax is the rest.
  I denom = 1000000 + rate_ppm;
  I net = (I(amount) * 1000000 * 2 + denom) / (2 * denom);
  return static_cast<std::int64_t>(I(amount) - net);
}

PricedCart Price(const std::vector<PriceLine>& lines, const ShippingMethod* shipping, const TaxRate* rate) {
  PricedCart out;
  bool ships = false;
  for (const auto& line : lines) {
    out.totals.subtotal += line.subtotal;
    std::int64_t tax = rate && line.taxable ? TaxOn(line.subtotal, rate->rate_ppm, rate->inclusive) : 0;
    out.line_tax.push_back(tax);
    out.totals.tax += tax;
    ships = ships || line.requires_shipping;
  }
  if (ships && shipping) {
    out.totals.shipping = shipping->amount.amount;
    if (rate && rate->on_shipping) out.totals.tax += TaxOn(out.totals.shipping, rate->rate_ppm, rate->inclusive);
  }
  out.rate_ppm = rate ? rate->rate_ppm : 0;
  out.totals.taxes_included = rate && rate->inclusive;
  out.totals.grand_total = out.totals.subtotal + out.totals.shipping + (out.totals.taxes_included ? 0 : out.totals.tax);
  return out;
}

Result<std::int64_t> ParsePercent(std::string_view text) {
  auto bad = [&] {
    return Error::Invalid("'" + std::string(text) + "' is not a percentage such as 19 or 8.875",
                          {{"rate", "must be a percentage between 0 and 100 with at most 4 decimals"}});
  };
  auto ppm = ParseDecimalAmount(text, 4);
  if (!ppm) return bad();
  // A percent with 4 fraction digits, read as a whole number, is millionths.
  if (*ppm > 1000000) return bad();
  return *ppm;
}

std::string FormatPercent(std::int64_t rate_ppm) {
  std::string s = FormatDecimalAmount(rate_ppm, 4);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

PricingSettings::PricingSettings(store::Database& db, std::shared_ptr<Clock> clock, const Config& config)
    : db_(db), clock_(std::move(clock)), currency_(config.shop_currency) {
  int exponent = CurrencyExponent(currency_).value_or(2);
  for (const auto& m : config.shipping_methods) {
    auto amount = ParseDecimalAmount(m.amount, exponent);
    config_methods_.push_back({m.code, m.name, {amount ? *amount : 0, currency_}, m.countries, "config"});
  }
  for (const auto& r : config.tax_rates) {
    auto ppm = ParsePercent(r.percent);
    config_rates_.push_back({RateCode(r.country, r.region), r.country, r.region, ppm ? *ppm : 0,
                             r.inclusive, r.on_shipping, "config"});
  }
}

Status PricingSettings::Validate(const Config& config) {
  int exponent = CurrencyExponent(config.shop_currency).value_or(2);
  for (const auto& m : config.shipping_methods)
    if (!ParseDecimalAmount(m.amount, exponent))
      return Error::Invalid("shipping.methods: " + m.code + ": '" + m.amount + "' has more decimals than " +
                            config.shop_currency + " allows");
  for (const auto& r : config.tax_rates)
    if (!ParsePercent(r.percent)) return Error::Invalid("tax.rates: '" + r.percent + "' is not 0..100");
  return Ok();
}

namespace {
constexpr std::string_view kMethodsSql = "SELECT code, name, amount, currency, countries FROM shipping_methods ORDER BY code";
constexpr std::string_view kRatesSql =
    "SELECT country, region, rate_ppm, inclusive, on_shipping FROM tax_rates ORDER BY country, region";
}  // namespace

std::vector<ShippingMethod> PricingSettings::ShippingMethods(Transaction& tx) const {
  return TakeShippingMethods(tx, PrefetchShippingMethods(tx));
}

std::size_t PricingSettings::PrefetchShippingMethods(Transaction& tx) const { return tx.Prefetch(kMethodsSql); }

// The config's methods, then the store's that no config method shadows.
std::vector<ShippingMethod> PricingSettings::TakeShippingMethods(Transaction& tx, std::size_t ticket) const {
  std::vector<ShippingMethod> out = config_methods_;
  auto rows = tx.Take(ticket).rows;
  while (rows->Next()) {
    std::string code = rows->Text(0);
    bool shadowed = std::any_of(out.begin(), out.end(), [&](const auto& m) { return m.code == code; });
    if (!shadowed)
      out.push_back({code, rows->Text(1), {rows->Int(2), rows->Text(3)}, SplitCountries(rows->View(4)), "api"});
  }
  if (std::none_of(out.begin(), out.end(), [](const auto& m) { return m.code == kStandardShipping; }))
    out.push_back(Builtin(currency_));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
  return out;
}

Result<ShippingMethod> PricingSettings::ShippingMethodFor(const std::vector<ShippingMethod>& methods,
                                                          std::string_view code, std::string_view country,
                                                          std::string_view currency) {
  for (const auto& m : methods) {
    if (m.code != code) continue;
    if (!m.ServesCountry(country) || m.amount.currency != currency)
      return Error{ErrorCode::kInvalidArgument, "shipping_method_unavailable",
                   "shipping method " + m.code + " does not ship to " + std::string(country),
                   {{"shipping_method", "not available for " + std::string(country)}}};
    return m;
  }
  return Error{ErrorCode::kInvalidArgument, "unknown_shipping_method",
               "there is no shipping method '" + std::string(code) + "'",
               {{"shipping_method", "unknown method"}}};
}

std::vector<TaxRate> PricingSettings::TaxRates(Transaction& tx) const { return TakeTaxRates(tx, PrefetchTaxRates(tx)); }

std::size_t PricingSettings::PrefetchTaxRates(Transaction& tx) const { return tx.Prefetch(kRatesSql); }

std::vector<TaxRate> PricingSettings::TakeTaxRates(Transaction& tx, std::size_t ticket) const {
  std::vector<TaxRate> out = config_rates_;
  auto rows = tx.Take(ticket).rows;
  while (rows->Next()) {
    std::string code = RateCode(rows->View(0), rows->View(1));
    bool shadowed = std::any_of(out.begin(), out.end(), [&](const auto& r) { return r.code == code; });
    if (!shadowed)
      out.push_back({code, rows->Text(0), rows->Text(1), rows->Int(2), rows->Bool(3), rows->Bool(4), "api"});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
  return out;
}

std::optional<TaxRate> PricingSettings::TaxRateFor(const std::vector<TaxRate>& rates, std::string_view country,
                                                   std::string_view region) {
  std::optional<TaxRate> whole_country;
  for (const auto& r : rates) {
    if (r.country != country) continue;
    if (!region.empty() && r.region == region) return r;
    if (r.region.empty()) whole_country = r;
  }
  return whole_country;
}

Result<std::vector<ShippingMethod>> PricingSettings::ListShippingMethods() const {
  auto tx = db_.Begin(store::TxMode::kRead);
  return ShippingMethods(*tx);
}

Result<std::vector<TaxRate>> PricingSettings::ListTaxRates() const {
  auto tx = db_.Begin(store::TxMode::kRead);
  return TaxRates(*tx);
}

Result<ShippingMethod> PricingSettings::PutShippingMethod(const ShippingMethod& method) {
  std::vector<FieldError> errors;
  if (method.code.empty() || method.code.size() > 64 ||
      method.code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos)
    errors.push_back({"code", "lower-case letters, digits, - and _ (at most 64)"});
  if (method.name.empty() || method.name.size() > 200) errors.push_back({"name", "1 to 200 characters"});
  if (method.amount.amount < 0) errors.push_back({"amount", "must not be negative"});
  if (method.amount.currency != currency_) errors.push_back({"amount.currency", "must be " + currency_});
  for (const auto& c : method.countries)
    if (!IsCountry(c)) errors.push_back({"countries", "'" + c + "' is not an ISO country code such as US"});
  if (!errors.empty()) return Error::Invalid("the shipping method is not valid", std::move(errors));
  for (const auto& m : config_methods_)
    if (m.code == method.code)
      return Error::Precondition("defined_in_config", "shipping method " + m.code +
                                                          " is defined in the configuration file");
  std::string now = FormatTime(clock_->Now());
  std::string countries = JoinCountries(method.countries);
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<ShippingMethod> {
    tx.Send("INSERT INTO shipping_methods (code, name, amount, currency, countries, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
            "amount = excluded.amount, currency = excluded.currency, countries = excluded.countries, "
            "updated_at = excluded.updated_at",
            {std::string_view(method.code), std::string_view(method.name), method.amount.amount,
             std::string_view(method.amount.currency), std::string_view(countries), std::string_view(now)});
    ShippingMethod saved = method;
    saved.source = "api";
    return saved;
  });
}

Status PricingSettings::DeleteShippingMethod(std::string_view code) {
  for (const auto& m : config_methods_)
    if (m.code == code)
      return Error::Precondition("defined_in_config", "shipping method " + m.code +
                                                          " is defined in the configuration file");
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    if (tx.Exec("DELETE FROM shipping_methods WHERE code = $1", {code}) == 0)
      return Error::NotFound("shipping_method_not_found", "no shipping method '" + std::string(code) + "'");
    return Ok();
  });
}

Result<TaxRate> PricingSettings::PutTaxRate(const TaxRate& rate) {
  std::vector<FieldError> errors;
  if (!IsCountry(rate.country)) errors.push_back({"country", "an ISO country code such as DE"});
  if (rate.region.size() > 3 ||
      rate.region.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != std::string::npos)
    errors.push_back({"region", "an ISO 3166-2 subdivision code such as NY (1 to 3 characters)"});
  if (rate.rate_ppm < 0 || rate.rate_ppm > 1000000) errors.push_back({"rate", "between 0 and 100"});
  if (!errors.empty()) return Error::Invalid("the tax rate is not valid", std::move(errors));
  std::string code = RateCode(rate.country, rate.region);
  for (const auto& r : config_rates_)
    if (r.code == code)
      return Error::Precondition("defined_in_config", "the tax rate " + code + " is defined in the configuration file");
  std::string now = FormatTime(clock_->Now());
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<TaxRate> {
    tx.Send("INSERT INTO tax_rates (id, country, region, rate_ppm, inclusive, on_shipping, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (country, region) DO UPDATE SET "
            "rate_ppm = excluded.rate_ppm, inclusive = excluded.inclusive, on_shipping = excluded.on_shipping, "
            "updated_at = excluded.updated_at",
            {std::string_view(code), std::string_view(rate.country), std::string_view(rate.region), rate.rate_ppm,
             std::int64_t{rate.inclusive}, std::int64_t{rate.on_shipping}, std::string_view(now)});
    TaxRate saved = rate;
    saved.code = code;
    saved.source = "api";
    return saved;
  });
}

Status PricingSettings::DeleteTaxRate(std::string_view code) {
  for (const auto& r : config_rates_)
    if (r.code == code)
      return Error::Precondition("defined_in_config", "the tax rate " + r.code + " is defined in the configuration file");
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    if (tx.Exec("DELETE FROM tax_rates WHERE id = $1", {code}) == 0)
      return Error::NotFound("tax_rate_not_found", "no tax rate '" + std::string(code) + "'");
    return Ok();
  });
}

}  // namespace ecom::orders
