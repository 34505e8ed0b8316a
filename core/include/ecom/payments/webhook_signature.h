// The signature gateways put on their webhooks, in the header
// `Ecom-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/common/result.h"

namespace ecom::payments {

// How far a webhook's signed time may be from now (either way).
inline constexpr std::chrono::seconds kWebhookTolerance{300};

// Checks an Ecom-Signature header against `body` signed with `secret`. Several
// v1= entries may be given (a gateway rotating its secret); one must match.
// kUnauthenticated `invalid_signature` for a malformed header, a signature
// that does not match, or a time further than `tolerance` from `now` (which
// bounds how long a captured request can be replayed).
Status VerifyWebhookSignature(std::string_view header, std::string_view body,
                              std::string_view secret, TimePoint now,
                              std::chrono::seconds tolerance = kWebhookTolerance);

// The header value VerifyWebhookSignature accepts for `body` at `unix_time`.
std::string SignWebhook(std::string_view body, std::string_view secret, std::int64_t unix_time);

}  // namespace ecom::payments
