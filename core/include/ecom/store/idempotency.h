// Idempotency-Key records, after the IETF httpapi draft: the first request
// with a key runs; a retry with the same key and body gets the first
// response again; the same key with another body is refused; a retry while
// the first still runs is refused too.
//
// A use case that moves money or stock claims its key inside its own
// transaction, so the key is recorded exactly when the change is. Its final
// response is stored when the request completes. A claim is leased: if the
// process dies before storing the response, a retry after the lease may take
// the claim over and finish the work from what the first attempt recorded
// (resource_id).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::store {

// What one request asks to do once.
struct IdempotencyRequest {
  std::string scope;        // whose key: `customer:cus_...`, `cart:<token digest>`, `apikey:key_...`
  std::string key;          // the Idempotency-Key header
  std::string fingerprint;  // hex SHA-256 of method, path and canonical JSON body
};

// A response kept for replay. The body is opaque to the store.
struct StoredResponse {
  int status = 0;
  std::string body;
};

struct IdempotencyClaim {
  enum class Kind {
    kClaimed,     // new: this request runs the use case
    kTakenOver,   // an earlier attempt's lease lapsed: finish from resource_id
    kReplay,      // done before: answer `response` again
    kInProgress,  // another request with this key is running now
    kMismatch,    // the key was used with another request body
  };
  Kind kind = Kind::kClaimed;
  std::optional<std::string> resource_id;  // kTakenOver: what the first attempt made
  StoredResponse response;                 // kReplay
};

// How long a claim is held before a retry may take it over, and how long
// completed keys are kept.
inline constexpr std::chrono::seconds kIdempotencyLease{60};
inline constexpr std::chrono::hours kIdempotencyRetention{48};

// The fingerprint of a request, from a text that holds everything that makes
// it this request (the HTTP layer: method, path and canonical JSON body):
// lower-case hex SHA-256.
std::string Fingerprint(std::string_view request_text);

// Claims `request` in `tx`, naming the object the use case will create or
// change (resource_id, may be "") so a takeover can find it. Anything but
// kClaimed and kTakenOver means the use case must not run: roll back.
IdempotencyClaim ClaimIdempotencyKey(Transaction& tx, const IdempotencyRequest& request,
                                     std::string_view resource_id, const Clock& clock);

// Looks a key up without claiming it (kClaimed: unknown or free to claim).
IdempotencyClaim PeekIdempotencyKey(Transaction& tx, const IdempotencyRequest& request,
                                    const Clock& clock);

// Stores the final response of a claimed key (or records one for a request
// whose use case rolled back, such as a 409 for stock that ran out). Never
// overwrites a response already stored.
void StoreIdempotentResponse(Database& db, const IdempotencyRequest& request,
                             const StoredResponse& response, const Clock& clock);
// The same inside a transaction of the caller's: the use case that completes
// the request stores its answer with the change, in one commit.
void StoreIdempotentResponse(Transaction& tx, const IdempotencyRequest& request, const StoredResponse& response,
                             const Clock& clock);

// Ends the lease of a claim whose response is not stored (a 5xx): the next
// retry takes it over at once, and keeps what the first attempt recorded.
void ReleaseIdempotencyKey(Database& db, const IdempotencyRequest& request);

// Deletes keys past their retention; returns how many.
std::int64_t PurgeExpiredIdempotencyKeys(Database& db, const Clock& clock);

}  // namespace ecom::store
