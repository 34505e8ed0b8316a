// Tax arithmetic (pure) and the shop's shipping methods and tax rates (on
// both stores).
#include "ecom/orders/pricing.h"

#include <gtest/gtest.h>

#include "core/orders/orders_fixture.h"

namespace ecom::orders {
namespace {

TaxRate Rate(std::int64_t ppm, bool inclusive, bool on_shipping = false) {
  TaxRate r;
  r.code = "XX";
  r.country = "XX";
  r.rate_ppm = ppm;
  r.inclusive = inclusive;
  r.on_shipping = on_shipping;
  return r;
}

ShippingMethod Flat(std::int64_t amount) { return {"flat", "Flat", {amount, "USD"}, {}, "api"}; }

// ---- TaxOn -------------------------------------------------------------------

TEST(TaxOnTest, InclusiveNineteenPercentOnThousandIsOneHundredSixty) {
  // 1000 / 1.19 = 840.34 -> net 840, tax 160.
  EXPECT_EQ(TaxOn(1000, 190000, true), 160);
}

TEST(TaxOnTest, ExclusiveNYRateOnNineNinetyNineRoundsToEightyNine) {
  // 999 * 0.08875 = 88.66 -> 89.
  EXPECT_EQ(TaxOn(999, 88750, false), 89);
}

TEST(TaxOnTest, ExclusiveRoundsHalfUp) {
  EXPECT_EQ(TaxOn(5, 100000, false), 1);     // 0.5 -> 1
  EXPECT_EQ(TaxOn(15, 100000, false), 2);    // 1.5 -> 2
  EXPECT_EQ(TaxOn(14, 100000, false), 1);    // 1.4 -> 1
  EXPECT_EQ(TaxOn(25, 100000, false), 3);    // 2.5 -> 3 (not banker's 2)
  EXPECT_EQ(TaxOn(1000, 190000, false), 190);
}

TEST(TaxOnTest, InclusiveRoundsTheNetHalfUp) {
  // 21 at 5 % inclusive: net 20.0 -> tax 1.
  EXPECT_EQ(TaxOn(21, 50000, true), 1);
  // 105 at 10 % inclusive: net 95.45 -> 95, tax 10.
  EXPECT_EQ(TaxOn(105, 100000, true), 10);
  // 11 at 10 % inclusive: net 10.0 -> tax 1.
  EXPECT_EQ(TaxOn(11, 100000, true), 1);
  // 1 at 100 % inclusive: net 0.5 rounds up to 1 -> tax 0.
  EXPECT_EQ(TaxOn(1, 1000000, true), 0);
}

TEST(TaxOnTest, ZeroAmountOrRateIsNoTax) {
  EXPECT_EQ(TaxOn(0, 190000, false), 0);
  EXPECT_EQ(TaxOn(1000, 0, true), 0);
}

// ---- Price -------------------------------------------------------------------

TEST(PriceTest, ExclusiveTaxIsPerLineAndAddsToTheTotal) {
  // Per line: 999 -> 88.66 -> 89, 333 -> 29.55 -> 30; on the sum it would be 118.
  auto rate = Rate(88750, false);
  auto p = Price({{999, true, true}, {333, true, true}}, nullptr, &rate);
  ASSERT_EQ(p.line_tax.size(), 2u);
  EXPECT_EQ(p.line_tax[0], 89);
  EXPECT_EQ(p.line_tax[1], 30);
  EXPECT_EQ(p.totals.subtotal, 1332);
  EXPECT_EQ(p.totals.tax, 119);
  EXPECT_EQ(p.totals.shipping, 0);
  EXPECT_EQ(p.totals.grand_total, 1332 + 119);
  EXPECT_FALSE(p.totals.taxes_included);
  EXPECT_EQ(p.rate_ppm, 88750);
}

TEST(PriceTest, InclusiveTaxDoesNotGrowTheTotal) {
  auto rate = Rate(190000, true);
  auto p = Price({{1000, true, true}, {2000, true, true}}, nullptr, &rate);
  EXPECT_EQ(p.line_tax[0], 160);
  EXPECT_EQ(p.line_tax[1], 319);  // 2000 / 1.19 = 1680.67 -> 1681, tax 319
  EXPECT_EQ(p.totals.tax, 479);
  EXPECT_EQ(p.totals.grand_total, 3000);
  EXPECT_TRUE(p.totals.taxes_included);
}

TEST(PriceTest, UntaxableLinesCarryNoTax) {
  auto rate = Rate(190000, false);
  auto p = Price({{1000, false, true}, {1000, true, true}}, nullptr, &rate);
  EXPECT_EQ(p.line_tax[0], 0);
  EXPECT_EQ(p.line_tax[1], 190);
  EXPECT_EQ(p.totals.tax, 190);
  EXPECT_EQ(p.totals.grand_total, 2190);
}

TEST(PriceTest, ShippingIsTaxedOnlyWhenTheRateSaysSo) {
  auto method = Flat(500);
  auto plain = Rate(100000, false, false);
  auto p = Price({{1000, true, true}}, &method, &plain);
  EXPECT_EQ(p.totals.shipping, 500);
  EXPECT_EQ(p.totals.tax, 100);
  EXPECT_EQ(p.totals.grand_total, 1600);

  auto on_shipping = Rate(100000, false, true);
  p = Price({{1000, true, true}}, &method, &on_shipping);
  EXPECT_EQ(p.totals.tax, 150);
  EXPECT_EQ(p.totals.grand_total, 1650);
}

TEST(PriceTest, InclusiveTaxOnShippingIsPartOfTheShippingPrice) {
  auto method = Flat(595);
  auto rate = Rate(190000, true, true);
  auto p = Price({{1190, true, true}}, &method, &rate);
  EXPECT_EQ(p.line_tax[0], 190);
  EXPECT_EQ(p.totals.tax, 190 + 95);  // 595 / 1.19 = 500
  EXPECT_EQ(p.totals.grand_total, 1190 + 595);
}

TEST(PriceTest, LinesNotRequiringShippingAddNoShipping) {
  auto method = Flat(500);
  auto p = Price({{1000, true, false}, {250, true, false}}, &method, nullptr);
  EXPECT_EQ(p.totals.shipping, 0);
  EXPECT_EQ(p.totals.grand_total, 1250);
  // One line that ships brings the shipping back.
  p = Price({{1000, true, false}, {250, true, true}}, &method, nullptr);
  EXPECT_EQ(p.totals.shipping, 500);
  EXPECT_EQ(p.totals.grand_total, 1750);
}

TEST(PriceTest, NoRateNoTax) {
  auto p = Price({{1000, true, true}}, nullptr, nullptr);
  EXPECT_EQ(p.totals.tax, 0);
  EXPECT_EQ(p.line_tax[0], 0);
  EXPECT_EQ(p.rate_ppm, 0);
  EXPECT_EQ(p.totals.grand_total, 1000);
}

// ---- ParsePercent / FormatPercent ----------------------------------------------

TEST(PercentTest, ParsesWholeAndFractionalPercentages) {
  auto nineteen = ParsePercent("19");
  ASSERT_TRUE(nineteen.ok()) << Describe(nineteen);
  EXPECT_EQ(*nineteen, 190000);
  auto ny = ParsePercent("8.875");
  ASSERT_TRUE(ny.ok()) << Describe(ny);
  EXPECT_EQ(*ny, 88750);
  auto zero = ParsePercent("0");
  ASSERT_TRUE(zero.ok()) << Describe(zero);
  EXPECT_EQ(*zero, 0);
  auto hundred = ParsePercent("100");
  ASSERT_TRUE(hundred.ok()) << Describe(hundred);
  EXPECT_EQ(*hundred, 1000000);
  auto tiny = ParsePercent("0.0001");
  ASSERT_TRUE(tiny.ok()) << Describe(tiny);
  EXPECT_EQ(*tiny, 1);
}

TEST(PercentTest, RefusesWhatIsNotAPercentage) {
  for (const char* bad : {"", "abc", "-1", "100.0001", "101", "8.87501", "1.2.3", "19%"}) {
    auto r = ParsePercent(bad);
    EXPECT_FALSE(r.ok()) << "'" << bad << "' was accepted as " << (r.ok() ? *r : 0);
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << bad;
    }
  }
}

TEST(PercentTest, FormatsWithoutTrailingZeros) {
  EXPECT_EQ(FormatPercent(190000), "19");
  EXPECT_EQ(FormatPercent(88750), "8.875");
  EXPECT_EQ(FormatPercent(0), "0");
  EXPECT_EQ(FormatPercent(1000000), "100");
  EXPECT_EQ(FormatPercent(1), "0.0001");
  EXPECT_EQ(FormatPercent(75000), "7.5");
}

TEST(PercentTest, FormatAndParseRoundTrip) {
  for (std::int64_t ppm : {0, 1, 5000, 70000, 88750, 190000, 255000, 1000000}) {
    auto back = ParsePercent(FormatPercent(ppm));
    ASSERT_TRUE(back.ok()) << FormatPercent(ppm) << ": " << Describe(back);
    EXPECT_EQ(*back, ppm) << FormatPercent(ppm);
  }
}

// ---- PricingSettings (store) ----------------------------------------------------

using PricingSettingsTest = OrdersTest;

Config ConfigWithSettings() {
  Config c;
  c.shipping_methods.push_back({"express", "Express (2 days)", "12.50", {"US", "CA"}});
  c.tax_rates.push_back({"DE", "", "19", true, true});
  return c;
}

TEST_P(PricingSettingsTest, BuiltInStandardIsFreeToEveryCountry) {
  auto methods = pricing_.ListShippingMethods();
  ASSERT_TRUE(methods.ok()) << Describe(methods);
  ASSERT_EQ(methods->size(), 1u);
  const auto& m = (*methods)[0];
  EXPECT_EQ(m.code, "standard");
  EXPECT_EQ(m.source, "builtin");
  EXPECT_EQ(m.amount.amount, 0);
  EXPECT_EQ(m.amount.currency, "USD");
  EXPECT_TRUE(m.countries.empty());
  auto tx = db_->Begin(store::TxMode::kRead);
  for (const char* country : {"US", "DE", "JP", "BR"}) {
    auto found = PricingSettings::ShippingMethodFor(pricing_.ShippingMethods(*tx), "standard", country, "USD");
    ASSERT_TRUE(found.ok()) << country << ": " << Describe(found);
    EXPECT_EQ(found->amount.amount, 0);
  }
  auto unknown = PricingSettings::ShippingMethodFor(pricing_.ShippingMethods(*tx), "overnight", "US", "USD");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().reason, "unknown_shipping_method");
  EXPECT_FALSE(PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "US", "NY").has_value());
}

TEST_P(PricingSettingsTest, StoredMethodsServeTheirCountriesAndMayReplaceStandard) {
  auto put = pricing_.PutShippingMethod({"express", "Express", {1250, "USD"}, {"US", "CA"}, ""});
  ASSERT_TRUE(put.ok()) << Describe(put);
  EXPECT_EQ(put->source, "api");
  ASSERT_TRUE(pricing_.PutShippingMethod({"standard", "Standard", {500, "USD"}, {}, ""}).ok());
  auto methods = pricing_.ListShippingMethods();
  ASSERT_TRUE(methods.ok());
  ASSERT_EQ(methods->size(), 2u);
  EXPECT_EQ((*methods)[0].code, "express");
  EXPECT_EQ((*methods)[1].code, "standard");
  EXPECT_EQ((*methods)[1].amount.amount, 500);
  EXPECT_EQ((*methods)[1].source, "api");

  auto tx = db_->Begin(store::TxMode::kRead);
  auto ca = PricingSettings::ShippingMethodFor(pricing_.ShippingMethods(*tx), "express", "CA", "USD");
  ASSERT_TRUE(ca.ok()) << Describe(ca);
  EXPECT_EQ(ca->amount.amount, 1250);
  EXPECT_EQ(ca->countries, (std::vector<std::string>{"US", "CA"}));
  auto de = PricingSettings::ShippingMethodFor(pricing_.ShippingMethods(*tx), "express", "DE", "USD");
  ASSERT_FALSE(de.ok());
  EXPECT_EQ(de.error().reason, "shipping_method_unavailable");
  auto eur = PricingSettings::ShippingMethodFor(pricing_.ShippingMethods(*tx), "express", "US", "EUR");
  ASSERT_FALSE(eur.ok());
  EXPECT_EQ(eur.error().reason, "shipping_method_unavailable");
  tx.reset();

  ASSERT_TRUE(pricing_.DeleteShippingMethod("standard").ok());
  methods = pricing_.ListShippingMethods();
  ASSERT_EQ(methods->size(), 2u);
  EXPECT_EQ((*methods)[1].source, "builtin");  // the built-in one is back
  auto gone = pricing_.DeleteShippingMethod("nope");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_P(PricingSettingsTest, PutShippingMethodValidates) {
  struct Case {
    ShippingMethod method;
    const char* field;
  };
  std::vector<Case> cases = {
      {{"Express", "Express", {100, "USD"}, {}, ""}, "code"},
      {{"", "Express", {100, "USD"}, {}, ""}, "code"},
      {{"exp ress", "Express", {100, "USD"}, {}, ""}, "code"},
      {{std::string(65, 'a'), "Express", {100, "USD"}, {}, ""}, "code"},
      {{"express", "", {100, "USD"}, {}, ""}, "name"},
      {{"express", "Express", {-1, "USD"}, {}, ""}, "amount"},
      {{"express", "Express", {100, "EUR"}, {}, ""}, "amount.currency"},
      {{"express", "Express", {100, "USD"}, {"usa"}, ""}, "countries"},
      {{"express", "Express", {100, "USD"}, {"us"}, ""}, "countries"},
  };
  for (const auto& c : cases) {
    auto r = pricing_.PutShippingMethod(c.method);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.field;
    bool named = false;
    for (const auto& f : r.error().fields) named = named || f.field == c.field;
    EXPECT_TRUE(named) << "expected a field error on " << c.field << ": " << Describe(r.error());
  }
  EXPECT_EQ(pricing_.ListShippingMethods()->size(), 1u);
}

TEST_P(PricingSettingsTest, TaxRatesByRegionThenCountry) {
  ASSERT_TRUE(pricing_.PutTaxRate({"", "US", "NY", 88750, false, false, ""}).ok());
  auto us = pricing_.PutTaxRate({"", "US", "", 50000, false, true, ""});
  ASSERT_TRUE(us.ok()) << Describe(us);
  EXPECT_EQ(us->code, "US");
  EXPECT_EQ(us->source, "api");
  auto rates = pricing_.ListTaxRates();
  ASSERT_TRUE(rates.ok());
  ASSERT_EQ(rates->size(), 2u);
  EXPECT_EQ((*rates)[0].code, "US");
  EXPECT_EQ((*rates)[1].code, "US-NY");
  EXPECT_EQ((*rates)[1].rate_ppm, 88750);

  auto tx = db_->Begin(store::TxMode::kRead);
  auto ny = PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "US", "NY");
  ASSERT_TRUE(ny.has_value());
  EXPECT_EQ(ny->rate_ppm, 88750);
  auto ca = PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "US", "CA");
  ASSERT_TRUE(ca.has_value());
  EXPECT_EQ(ca->code, "US");
  EXPECT_TRUE(ca->on_shipping);
  EXPECT_FALSE(PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "DE", "").has_value());
  tx.reset();

  // Putting the same code again replaces it.
  ASSERT_TRUE(pricing_.PutTaxRate({"", "US", "NY", 40000, false, false, ""}).ok());
  tx = db_->Begin(store::TxMode::kRead);
  EXPECT_EQ(PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "US", "NY")->rate_ppm, 40000);
  tx.reset();
  ASSERT_TRUE(pricing_.DeleteTaxRate("US-NY").ok());
  tx = db_->Begin(store::TxMode::kRead);
  EXPECT_EQ(PricingSettings::TaxRateFor(pricing_.TaxRates(*tx), "US", "NY")->code, "US");
}

TEST_P(PricingSettingsTest, PutTaxRateValidates) {
  struct Case {
    TaxRate rate;
    const char* field;
  };
  std::vector<Case> cases = {
      {{"", "de", "", 190000, true, false, ""}, "country"},
      {{"", "DEU", "", 190000, true, false, ""}, "country"},
      {{"", "US", "ny", 88750, false, false, ""}, "region"},
      {{"", "US", "ABCD", 88750, false, false, ""}, "region"},
      {{"", "US", "", -1, false, false, ""}, "rate"},
      {{"", "US", "", 1000001, false, false, ""}, "rate"},
  };
  for (const auto& c : cases) {
    auto r = pricing_.PutTaxRate(c.rate);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.field;
    bool named = false;
    for (const auto& f : r.error().fields) named = named || f.field == c.field;
    EXPECT_TRUE(named) << "expected a field error on " << c.field << ": " << Describe(r.error());
  }
  EXPECT_TRUE(pricing_.ListTaxRates()->empty());
}

TEST_P(PricingSettingsTest, ConfigMethodsAndRatesShadowStoredOnesAndCannotBeChanged) {
  // The store already holds an `express` and a DE rate (put through the API
  // before the config file defined them).
  ASSERT_TRUE(pricing_.PutShippingMethod({"express", "Old express", {999, "USD"}, {"DE"}, ""}).ok());
  ASSERT_TRUE(pricing_.PutShippingMethod({"pickup", "Pickup", {0, "USD"}, {}, ""}).ok());
  ASSERT_TRUE(pricing_.PutTaxRate({"", "DE", "", 70000, false, false, ""}).ok());

  Config config = ConfigWithSettings();
  auto valid = PricingSettings::Validate(config);
  EXPECT_TRUE(valid.ok()) << Describe(valid);
  PricingSettings settings(*db_, clock_, config);

  auto methods = settings.ListShippingMethods();
  ASSERT_TRUE(methods.ok());
  ASSERT_EQ(methods->size(), 3u);  // express (config), pickup (api), standard (builtin)
  EXPECT_EQ((*methods)[0].code, "express");
  EXPECT_EQ((*methods)[0].source, "config");
  EXPECT_EQ((*methods)[0].amount.amount, 1250);
  EXPECT_EQ((*methods)[0].name, "Express (2 days)");
  EXPECT_EQ((*methods)[1].code, "pickup");
  EXPECT_EQ((*methods)[1].source, "api");
  EXPECT_EQ((*methods)[2].code, "standard");

  auto rates = settings.ListTaxRates();
  ASSERT_TRUE(rates.ok());
  ASSERT_EQ(rates->size(), 1u);
  EXPECT_EQ((*rates)[0].code, "DE");
  EXPECT_EQ((*rates)[0].source, "config");
  EXPECT_TRUE((*rates)[0].inclusive);
  EXPECT_TRUE((*rates)[0].on_shipping);
  EXPECT_EQ((*rates)[0].rate_ppm, 190000) << "tax.rates percent \"19\" should be 19 %";

  auto put_method = settings.PutShippingMethod({"express", "Express", {100, "USD"}, {}, ""});
  ASSERT_FALSE(put_method.ok());
  EXPECT_EQ(put_method.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(put_method.error().reason, "defined_in_config");
  auto del_method = settings.DeleteShippingMethod("express");
  ASSERT_FALSE(del_method.ok());
  EXPECT_EQ(del_method.error().reason, "defined_in_config");
  auto put_rate = settings.PutTaxRate({"", "DE", "", 70000, false, false, ""});
  ASSERT_FALSE(put_rate.ok());
  EXPECT_EQ(put_rate.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(put_rate.error().reason, "defined_in_config");
  auto del_rate = settings.DeleteTaxRate("DE");
  ASSERT_FALSE(del_rate.ok());
  EXPECT_EQ(del_rate.error().reason, "defined_in_config");
  // Codes the config does not define remain the API's.
  EXPECT_TRUE(settings.PutShippingMethod({"pickup", "Pickup", {100, "USD"}, {}, ""}).ok());
  EXPECT_TRUE(settings.PutTaxRate({"", "DE", "BY", 70000, false, false, ""}).ok());
}

TEST_P(PricingSettingsTest, ValidateRefusesBadConfigValues) {
  Config c;
  c.shipping_methods.push_back({"express", "Express", "12.505", {}});
  EXPECT_FALSE(PricingSettings::Validate(c).ok());
  Config r;
  r.tax_rates.push_back({"DE", "", "101", false, false});
  EXPECT_FALSE(PricingSettings::Validate(r).ok());
  Config fine = ConfigWithSettings();
  auto ok = PricingSettings::Validate(fine);
  EXPECT_TRUE(ok.ok()) << Describe(ok);
}

ECOM_ORDERS_INSTANTIATE(PricingSettingsTest);

}  // namespace
}  // namespace ecom::orders
