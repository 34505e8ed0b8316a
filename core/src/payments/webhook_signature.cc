// Webhook signatures: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
#include "ecom/payments/webhook_signature.h"

#include <sodium.h>

#include <array>
#include <charconv>
#include <vector>

#include "ecom/common/text.h"

namespace ecom::payments {
namespace {

using Digest = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

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

}  // namespace

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

}  // namespace ecom::payments
