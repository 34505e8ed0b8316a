// Route access rules and webhook signatures.
#include "daemon/access.h"

#include <sodium.h>

#include <array>
#include <charconv>

#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

using Digest = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Error Unauthenticated(std::string detail) {
  return Error{ErrorCode::kUnauthenticated, "unauthenticated", std::move(detail), {}};
}

Error BadSignature(std::string detail) {
  return Error{ErrorCode::kUnauthenticated, "invalid_signature", std::move(detail), {}};
}

Digest Hmac(std::string_view secret, std::string_view signed_text) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  Digest digest;
  crypto_auth_hmacsha256_final(&state, digest.data());
  sodium_memzero(&state, sizeof state);
  return digest;
}

// The parts of `t=...,v1=...[,v1=...]`; false if it is not of that form.
bool ParseSignatureHeader(std::string_view header, std::string_view* t,
                          std::vector<std::string_view>* v1) {
  std::size_t pos = 0;
  while (pos <= header.size()) {
    std::size_t comma = header.find(',', pos);
    std::string_view item =
        Trim(header.substr(pos, comma == header.npos ? header.npos : comma - pos));
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    if (name == "t") {
      if (!t->empty()) return false;  // one time only: which one was signed?
      *t = value;
    } else if (name == "v1") {
      v1->push_back(value);
    }  // other schemes (v0, a future v2) are ignored, as gateways expect
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return !t->empty() && !v1->empty();
}

Status CheckScope(const Access& access, const AccessRequest& request) {
  if (!request.caller)
    return Unauthenticated("this request needs a credential with the " + access.Describe() +
                           " scope: send Authorization: Bearer <token>");
  for (const auto& scope : access.scopes())
    if (request.caller->HasScope(scope)) return Ok();
  std::vector<FieldError> scopes;
  for (const auto& scope : access.scopes()) scopes.push_back({"scope", scope});
  return Error{ErrorCode::kPermissionDenied, "insufficient_scope",
               "this request needs the " + access.Describe() + " scope", std::move(scopes)};
}

Status CheckCartHolder(const AccessRequest& request, const AccessServices& services) {
  if (request.caller && request.caller->is_customer()) return Ok();  // the handler checks ownership
  if (request.cart_token.empty()) {
    if (request.caller)
      return Error{ErrorCode::kPermissionDenied,
                   "wrong_principal_kind",
                   "carts are opened by their customer or by their X-Cart-Token",
                   {}};
    return Unauthenticated("this cart needs its X-Cart-Token header or a customer session");
  }
  if (!services.carts) return Error::NotFound("cart_not_found", "no such cart");
  auto holds = services.carts->Holds(request.resource, request.cart_token);
  if (!holds) return std::move(holds).error();
  if (!*holds) return Error::NotFound("cart_not_found", "no such cart");
  return Ok();
}

Status CheckWebhook(const AccessRequest& request, const AccessServices& services) {
  const WebhookSecrets* secrets = services.webhook_secrets;
  auto secret = secrets ? secrets->find(request.resource) : WebhookSecrets::const_iterator();
  if (!secrets || secret == secrets->end())
    return Error::NotFound("unknown_gateway", "no webhooks are configured for this gateway");
  return VerifyWebhookSignature(request.signature, request.body, secret->second, request.now);
}

}  // namespace

Status Access::Check(const AccessRequest& request, const AccessServices& services) const {
  switch (kind_) {
    case Kind::kPublic:
      return Ok();
    case Kind::kCustomer:
      if (!request.caller)
        return Unauthenticated("sign in as a customer: send Authorization: Bearer <session token>");
      if (!request.caller->is_customer())
        return Error{ErrorCode::kPermissionDenied,
                     "wrong_principal_kind",
                     "only a signed-in customer has this resource",
                     {}};
      return Ok();
    case Kind::kSession:
      if (!request.caller) return Unauthenticated("send Authorization: Bearer <session token>");
      if (!request.caller->session_id)
        return Error{ErrorCode::kPermissionDenied,
                     "wrong_principal_kind",
                     "this request needs a session token, not an API key",
                     {}};
      return Ok();
    case Kind::kScope:
      return CheckScope(*this, request);
    case Kind::kCartHolder:
      return CheckCartHolder(request, services);
    case Kind::kWebhook:
      return CheckWebhook(request, services);
  }
  return Error::Internal("unknown access kind");
}

std::string Access::Describe() const {
  switch (kind_) {
    case Kind::kPublic:
      return "public";
    case Kind::kCustomer:
      return "customer";
    case Kind::kSession:
      return "session";
    case Kind::kCartHolder:
      return "cart holder";
    case Kind::kWebhook:
      return "webhook";
    case Kind::kScope:
      break;
  }
  std::string out;
  for (const auto& scope : scopes_) out += (out.empty() ? "" : " or ") + scope;
  return out;
}

Status VerifyWebhookSignature(std::string_view header, std::string_view body,
                              std::string_view secret, TimePoint now,
                              std::chrono::seconds tolerance) {
  std::string_view t;
  std::vector<std::string_view> candidates;
  if (header.empty()) return BadSignature("the Ecom-Signature header is missing");
  if (!ParseSignatureHeader(header, &t, &candidates))
    return BadSignature("the Ecom-Signature header is not t=<time>,v1=<signature>");
  std::int64_t signed_at = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), signed_at);
  if (ec != std::errc() || end != t.data() + t.size())
    return BadSignature("the Ecom-Signature time is not a whole number");
  // A request outside the window is refused even when its signature is
  // right: it may be a captured one sent again.
  std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (now_s - signed_at > tolerance.count() || signed_at - now_s > tolerance.count())
    return BadSignature("the Ecom-Signature time is too far from now");

  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).append(".").append(body);
  Digest expected = Hmac(secret, signed_text);
  bool match = false;
  for (std::string_view hex : candidates) {
    Digest given{};
    std::size_t len = 0;
    const char* hex_end = nullptr;
    if (hex.size() != given.size() * 2 ||
        sodium_hex2bin(given.data(), given.size(), hex.data(), hex.size(), nullptr, &len,
                       &hex_end) != 0 ||
        len != given.size())
      continue;
    // Constant time, so the comparison does not leak how much of a guess was right.
    if (sodium_memcmp(given.data(), expected.data(), expected.size()) == 0) match = true;
  }
  if (!match) return BadSignature("the Ecom-Signature does not match the body");
  return Ok();
}

std::string SignWebhook(std::string_view body, std::string_view secret, std::int64_t unix_time) {
  std::string t = std::to_string(unix_time);
  Digest digest = Hmac(secret, t + "." + std::string(body));
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  hex.pop_back();
  return "t=" + t + ",v1=" + hex;
}

}  // namespace ecom::daemon
