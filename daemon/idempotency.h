// The HTTP side of Idempotency-Key: reading the header, whose key it is,
// the request fingerprint, and turning a claim into a reply.
#pragma once

#include <optional>
#include <string>

#include "daemon/call.h"
#include "ecom/common/clock.h"
#include "ecom/orders/order_service.h"
#include "ecom/store/database.h"
#include "ecom/store/idempotency.h"

namespace ecom::daemon {

// The request's Idempotency-Key, scoped to its caller (a customer, a staff
// member or key by its actor; a guest by the digest of its X-Cart-Token), with
// the fingerprint SHA-256(method, path, canonical JSON body). 400
// `idempotency_key_required` without the header; 400 for a key longer than
// 255 characters or with control characters.
Result<store::IdempotencyRequest> IdempotencyOf(const Call& call);

// The reply for a claim that must not run: the stored response again
// (kReplay, with `Idempotent-Replayed: true`), 409 `idempotency_key_in_use`,
// 422 `idempotency_key_reused`. nullopt for kClaimed and kTakenOver.
std::optional<Reply> ClaimReply(const store::IdempotencyClaim& claim);

// Keeps `reply` as the key's final response when the draft says to (not for
// 400, 401, 403, 429 or 5xx: those release the key for a retry), and
// returns it.
Reply FinishIdempotent(store::Database& db, const Clock& clock, const store::IdempotencyRequest& request,
                       Reply reply);

// For a use case that stores its own final answer in the transaction that
// completes it (checkout and payment): renders the answer with `render`,
// keeps it in `*rendered` to be sent, and offers it for storing when
// FinishIdempotent would keep it. When the outcome says it was stored, send
// `*rendered` and store nothing more.
orders::Responder StoringResponder(Reply (*render)(const orders::OrderOutcome&),
                                   std::optional<Reply>* rendered);

}  // namespace ecom::daemon
