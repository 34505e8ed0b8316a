#include "daemon/idempotency.h"

#include <algorithm>

#include "daemon/problem.h"
#include "ecom/orders/cart_service.h"

namespace ecom::daemon {
namespace {

bool Storable(int status) {
  return !(status == 400 || status == 401 || status == 403 || status == 429 || status >= 500);
}

}  // namespace

Result<store::IdempotencyRequest> IdempotencyOf(const Call& call) {
  std::string key = call.Header("Idempotency-Key");
  if (key.empty())
    return Error{ErrorCode::kInvalidArgument, "idempotency_key_required",
                 "this request moves money or stock: send an Idempotency-Key header (a fresh UUID per operation)",
                 {{"Idempotency-Key", "is required"}}};
  if (key.size() > 255 || std::any_of(key.begin(), key.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      }))
    return Error::Invalid("the Idempotency-Key header is not valid",
                          {{"Idempotency-Key", "1 to 255 printable characters"}});
  store::IdempotencyRequest r;
  r.key = std::move(key);
  if (const auth::Principal* p = call.principal()) r.scope = p->actor().id;
  else r.scope = "cart:" + orders::CartTokenDigest(call.Header("X-Cart-Token"));
  // nlohmann's objects keep their members sorted, so dump() is canonical.
  std::string canonical = call.http().body;
  if (!canonical.empty()) {
    auto parsed = nlohmann::json::parse(canonical, nullptr, false);
    if (!parsed.is_discarded()) canonical = parsed.dump();
  }
  r.fingerprint = store::Fingerprint(call.http().method + " " + call.http().path + "\n" + canonical);
  return r;
}

std::optional<Reply> ClaimReply(const store::IdempotencyClaim& claim) {
  using Kind = store::IdempotencyClaim::Kind;
  switch (claim.kind) {
    case Kind::kClaimed:
    case Kind::kTakenOver:
      return std::nullopt;
    case Kind::kReplay: {
      Reply reply = Reply::RawJson(claim.response.status, claim.response.body);
      if (claim.response.status >= 400) reply.content_type = kProblemContentType;
      reply.Header("Idempotent-Replayed", "true");
      return reply;
    }
    case Kind::kInProgress:
      return Problem(Error::Conflict("idempotency_key_in_use",
                                     "a request with this Idempotency-Key is still being processed; retry later"));
    case Kind::kMismatch:
      return Problem(Error{ErrorCode::kInvalidArgument, "idempotency_key_reused",
                           "this Idempotency-Key was used for a different request",
                           {{"Idempotency-Key", "already used with another body"}}});
  }
  return std::nullopt;
}

Reply FinishIdempotent(store::Database& db, const Clock& clock, const store::IdempotencyRequest& request,
                       Reply reply) {
  if (Storable(reply.status)) store::StoreIdempotentResponse(db, request, {reply.status, reply.body}, clock);
  else store::ReleaseIdempotencyKey(db, request);
  return reply;
}

orders::Responder StoringResponder(Reply (*render)(const orders::OrderOutcome&),
                                   std::optional<Reply>* rendered) {
  return [render, rendered](const orders::OrderOutcome& outcome) -> std::optional<store::StoredResponse> {
    *rendered = render(outcome);
    if (!Storable((*rendered)->status)) return std::nullopt;
    return store::StoredResponse{(*rendered)->status, (*rendered)->body};
  };
}

}  // namespace ecom::daemon
