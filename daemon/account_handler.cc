// The customer's own account over HTTP.
#include "daemon/account_handler.h"

#include <array>
#include <utility>

#include "daemon/json_input.h"
#include "daemon/problem.h"
#include "ecom/auth/json.h"

namespace ecom::daemon {
namespace {

// The members of an address a client writes, and where each goes.
using AddressField = std::pair<const char*, std::string auth::AddressInput::*>;
constexpr std::array<AddressField, 9> kAddressFields = {{
    {"name", &auth::AddressInput::name},
    {"company", &auth::AddressInput::company},
    {"line1", &auth::AddressInput::line1},
    {"line2", &auth::AddressInput::line2},
    {"city", &auth::AddressInput::city},
    {"region", &auth::AddressInput::region},
    {"postal_code", &auth::AddressInput::postal_code},
    {"country", &auth::AddressInput::country},
    {"phone", &auth::AddressInput::phone},
}};

// Applies the address members of `body` to `address`; absent ones stay.
Status ReadAddress(const nlohmann::json& body, auth::AddressInput* address) {
  if (auto fields = OnlyFields(body, {"name", "company", "line1", "line2", "city", "region",
                                      "postal_code", "country", "phone"});
      !fields)
    return fields;
  for (const auto& [name, member] : kAddressFields) {
    auto value = OptionalString(body, name);
    if (!value) return std::move(value).error();
    if (*value) address->*member = std::move(**value);
  }
  return Ok();
}

Reply AddressReply(int status, const auth::Address& address) {
  return Reply::Json(status, auth::ToJson(address));
}

}  // namespace

Reply AccountHandler::Get(const Call& call) {
  auto customer = customers_.Get(call.customer_id());
  if (!customer) return Problem(customer.error());
  return Reply::Json(200, auth::ToJson(*customer));
}

Reply AccountHandler::Update(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"name", "email"}); !fields) return Problem(fields.error());
  auth::CustomerPatch patch;
  auto name = OptionalString(*body, "name");
  if (!name) return Problem(name.error());
  auto email = OptionalString(*body, "email");
  if (!email) return Problem(email.error());
  patch.name = std::move(*name);
  patch.email = std::move(*email);
  auto customer = customers_.Update(call.customer_id(), patch);
  if (!customer) return Problem(customer.error());
  return Reply::Json(200, auth::ToJson(*customer));
}

Reply AccountHandler::Delete(const Call& call) {
  if (auto done = customers_.Delete(call.customer_id()); !done) return Problem(done.error());
  return Reply::Empty(204);
}

Reply AccountHandler::ChangePassword(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"current_password", "new_password"}); !fields)
    return Problem(fields.error());
  auto current = RequiredString(*body, "current_password");
  if (!current) return Problem(current.error());
  auto next = RequiredString(*body, "new_password");
  if (!next) return Problem(next.error());
  const std::string& session = *call.principal()->session_id;  // customers always hold one
  if (auto done = customers_.ChangePassword(call.customer_id(), session, *current, *next); !done)
    return Problem(done.error());
  return Reply::Empty(204);
}

Reply AccountHandler::ListAddresses(const Call& call) {
  auto addresses = customers_.ListAddresses(call.customer_id());
  if (!addresses) return Problem(addresses.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& a : *addresses) items.push_back(auth::ToJson(a));
  return Reply::Json(200, {{"items", std::move(items)}});
}

Reply AccountHandler::AddAddress(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auth::AddressInput input;
  if (auto read = ReadAddress(*body, &input); !read) return Problem(read.error());
  auto address = customers_.AddAddress(call.customer_id(), input);
  if (!address) return Problem(address.error());
  return AddressReply(201, *address).Header("Location", "/v1/me/addresses/" + address->id);
}

Reply AccountHandler::GetAddress(const Call& call) {
  auto address = customers_.GetAddress(call.customer_id(), call.Param("id"));
  if (!address) return Problem(address.error());
  return AddressReply(200, *address);
}

Reply AccountHandler::UpdateAddress(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  auto current = customers_.GetAddress(call.customer_id(), call.Param("id"));
  if (!current) return Problem(current.error());
  auth::AddressInput input = *current;
  if (auto read = ReadAddress(*body, &input); !read) return Problem(read.error());
  auto address = customers_.ReplaceAddress(call.customer_id(), call.Param("id"), input);
  if (!address) return Problem(address.error());
  return AddressReply(200, *address);
}

Reply AccountHandler::DeleteAddress(const Call& call) {
  if (auto done = customers_.DeleteAddress(call.customer_id(), call.Param("id")); !done)
    return Problem(done.error());
  return Reply::Empty(204);
}

}  // namespace ecom::daemon
