#include "daemon/pricing_handler.h"

#include "daemon/json_input.h"
#include "daemon/problem.h"
#include "ecom/orders/json.h"

namespace ecom::daemon {

using nlohmann::json;

Reply PricingHandler::ListShippingMethods(const Call& call) {
  auto methods = pricing_.ListShippingMethods();
  if (!methods) return Problem(methods.error());
  std::string country = call.Query("country").value_or("");
  json items = json::array();
  for (const auto& m : *methods)
    if (country.empty() || m.ServesCountry(country)) items.push_back(orders::ToJson(m));
  return Reply::Json(200, {{"items", std::move(items)}});
}

Reply PricingHandler::PutShippingMethod(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto s = OnlyFields(*body, {"name", "amount", "countries"}); !s) return Problem(s.error());
  orders::ShippingMethod m;
  m.code = call.Param("code");
  std::vector<FieldError> errors;
  auto name = RequiredString(*body, "name");
  if (!name) errors.push_back({"name", "is required"});
  else m.name = *name;
  auto amount = body->find("amount");
  if (amount == body->end() || !amount->is_object() || !(*amount)["amount"].is_number_integer() ||
      !(*amount)["currency"].is_string())
    errors.push_back({"amount", "must be {\"amount\": minor units, \"currency\": \"USD\"}"});
  else
    m.amount = {(*amount)["amount"].get<std::int64_t>(), (*amount)["currency"].get<std::string>()};
  if (auto c = body->find("countries"); c != body->end()) {
    if (!c->is_array()) errors.push_back({"countries", "must be a list of country codes"});
    else
      for (const auto& v : *c) {
        if (v.is_string()) m.countries.push_back(v.get<std::string>());
        else errors.push_back({"countries", "must be a list of country codes"});
      }
  }
  if (!errors.empty()) return Problem(Error::Invalid("the shipping method is not valid", std::move(errors)));
  auto saved = pricing_.PutShippingMethod(m);
  if (!saved) return Problem(saved.error());
  return Reply::Json(200, orders::ToJson(*saved));
}

Reply PricingHandler::DeleteShippingMethod(const Call& call) {
  if (auto s = pricing_.DeleteShippingMethod(call.Param("code")); !s) return Problem(s.error());
  return Reply::Empty(204);
}

Reply PricingHandler::ListTaxRates(const Call& call) {
  auto rates = pricing_.ListTaxRates();
  if (!rates) return Problem(rates.error());
  json items = json::array();
  for (const auto& r : *rates) items.push_back(orders::ToJson(r));
  return Reply::Json(200, {{"items", std::move(items)}});
}

Reply PricingHandler::PutTaxRate(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto s = OnlyFields(*body, {"rate", "inclusive", "on_shipping"}); !s) return Problem(s.error());
  orders::TaxRate r;
  const std::string& code = call.Param("code");
  auto dash = code.find('-');
  r.country = code.substr(0, dash);
  if (dash != std::string::npos) r.region = code.substr(dash + 1);
  auto rate = RequiredString(*body, "rate");
  if (!rate) return Problem(rate.error());
  auto ppm = orders::ParsePercent(*rate);
  if (!ppm) return Problem(ppm.error());
  r.rate_ppm = *ppm;
  for (auto [name, out] : {std::pair{"inclusive", &r.inclusive}, std::pair{"on_shipping", &r.on_shipping}}) {
    auto it = body->find(name);
    if (it == body->end()) continue;
    if (!it->is_boolean()) return Problem(Error::Invalid(std::string(name) + " must be true or false", {{name, "must be a boolean"}}));
    *out = it->get<bool>();
  }
  auto saved = pricing_.PutTaxRate(r);
  if (!saved) return Problem(saved.error());
  return Reply::Json(200, orders::ToJson(*saved));
}

Reply PricingHandler::DeleteTaxRate(const Call& call) {
  if (auto s = pricing_.DeleteTaxRate(call.Param("code")); !s) return Problem(s.error());
  return Reply::Empty(204);
}

}  // namespace ecom::daemon
