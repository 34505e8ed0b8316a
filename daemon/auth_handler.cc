// Sign-in over HTTP: registration, login, logout and password reset.
#include "daemon/auth_handler.h"

#include "daemon/json_input.h"
#include "daemon/problem.h"
#include "ecom/orders/json.h"
#include "ecom/auth/json.h"

namespace ecom::daemon {

Reply AuthHandler::Register(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"email", "password", "name"}); !fields)
    return Problem(fields.error());
  auth::RegisterInput input;
  for (auto [name, out] : {std::pair{"email", &input.email}, std::pair{"password", &input.password},
                           std::pair{"name", &input.name}}) {
    auto value = RequiredString(*body, name);
    if (!value) return Problem(value.error());
    *out = std::move(*value);
  }
  auto customer = customers_.Register(input, call.client_addr());
  if (!customer) return Problem(customer.error());
  return Reply::Json(201, auth::ToJson(*customer)).Header("Location", "/v1/me");
}

Reply AuthHandler::Login(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"email", "password"}); !fields)
    return Problem(fields.error());
  auto email = RequiredString(*body, "email");
  if (!email) return Problem(email.error());
  auto password = RequiredString(*body, "password");
  if (!password) return Problem(password.error());
  auto session = sessions_.Login(*email, *password, call.client_addr());
  if (!session) return Problem(session.error());
  nlohmann::json out = {{"token", session->token},
                        {"token_type", "Bearer"},
                        {"expires_at", session->expires_at},
                        {"kind", auth::ToString(session->principal.kind)},
                        {"principal", auth::ToJson(session->principal)}};
  std::string cart_token = call.Header("X-Cart-Token");
  if (carts_ && !cart_token.empty() && session->principal.is_customer()) {
    auto merged = carts_->MergeGuestCart(cart_token, session->principal.id);
    if (merged && *merged) out["cart"] = orders::ToJson(**merged);
  }
  return Reply::Json(200, out);
}

Reply AuthHandler::Logout(const Call& call) {
  if (auto done = sessions_.Logout(call.token()); !done) return Problem(done.error());
  return Reply::Empty(204);
}

Reply AuthHandler::RequestReset(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"email"}); !fields) return Problem(fields.error());
  auto email = RequiredString(*body, "email");
  if (!email) return Problem(email.error());
  if (auto done = resets_.RequestReset(*email, call.client_addr()); !done)
    return Problem(done.error());
  // The same words for every email, known or not.
  return Reply::Json(202, {{"status", "accepted"},
                           {"detail",
                            "If an account has this email, a message with a reset link is on "
                            "its way."}});
}

Reply AuthHandler::ConfirmReset(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  if (auto fields = OnlyFields(*body, {"token", "password"}); !fields)
    return Problem(fields.error());
  auto token = RequiredString(*body, "token");
  if (!token) return Problem(token.error());
  auto password = RequiredString(*body, "password");
  if (!password) return Problem(password.error());
  if (auto done = resets_.ConfirmReset(*token, *password); !done) return Problem(done.error());
  return Reply::Empty(204);
}

}  // namespace ecom::daemon
