#include "ecom/store/idempotency.h"

#include <sodium.h>

namespace ecom::store {
namespace {

IdempotencyClaim FromRow(Rows& row, const IdempotencyRequest& request, const std::string& now,
                         bool* lapsed) {
  // Columns: fingerprint, state, locked_until, resource_id, response_status, response_body.
  IdempotencyClaim claim;
  *lapsed = false;
  if (row.View(0) != request.fingerprint) {
    claim.kind = IdempotencyClaim::Kind::kMismatch;
  } else if (row.View(1) == "done") {
    claim.kind = IdempotencyClaim::Kind::kReplay;
    claim.response = {static_cast<int>(row.Int(4)), row.Text(5)};
  } else if (row.View(2) > now) {
    claim.kind = IdempotencyClaim::Kind::kInProgress;
  } else {
    claim.kind = IdempotencyClaim::Kind::kTakenOver;
    claim.resource_id = row.OptText(3);
    *lapsed = true;
  }
  return claim;
}

constexpr std::string_view kSelect =
    "SELECT fingerprint, state, locked_until, resource_id, response_status, response_body "
    "FROM idempotency_keys WHERE scope = $1 AND idem_key = $2";

}  // namespace

std::string Fingerprint(std::string_view request_text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(request_text.data()), request_text.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

IdempotencyClaim ClaimIdempotencyKey(Transaction& tx, const IdempotencyRequest& request,
                                     std::string_view resource_id, const Clock& clock) {
  TimePoint now = clock.Now();
  std::string now_s = FormatTime(now), lease = FormatTime(now + kIdempotencyLease),
              expires = FormatTime(now + kIdempotencyRetention);
  // On PostgreSQL a concurrent insert of the same key waits here for the
  // other transaction, then sees its row: the loser reads it below.
  std::int64_t inserted = tx.Exec(
      "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, state, locked_until, resource_id, "
      "created_at, expires_at) VALUES ($1, $2, $3, 'running', $4, $5, $6, $7) "
      "ON CONFLICT (scope, idem_key) DO NOTHING",
      {std::string_view(request.scope), std::string_view(request.key),
       std::string_view(request.fingerprint), std::string_view(lease),
       resource_id.empty() ? Value(nullptr) : Value(resource_id), std::string_view(now_s),
       std::string_view(expires)});
  if (inserted == 1) return {};
  auto row = tx.Query(kSelect, {std::string_view(request.scope), std::string_view(request.key)});
  if (!row->Next()) return {};  // purged between the two statements: treat as new
  bool lapsed = false;
  std::string old_lease = row->Text(2);
  IdempotencyClaim claim = FromRow(*row, request, now_s, &lapsed);
  row.reset();
  if (!lapsed) return claim;
  // Take the lapsed claim over only if nobody else just did.
  std::int64_t taken = tx.Exec(
      "UPDATE idempotency_keys SET locked_until = $3 WHERE scope = $1 AND idem_key = $2 "
      "AND state = 'running' AND locked_until = $4",
      {std::string_view(request.scope), std::string_view(request.key), std::string_view(lease),
       std::string_view(old_lease)});
  if (taken == 0) claim.kind = IdempotencyClaim::Kind::kInProgress;
  return claim;
}

IdempotencyClaim PeekIdempotencyKey(Transaction& tx, const IdempotencyRequest& request,
                                    const Clock& clock) {
  auto row = tx.Query(kSelect, {std::string_view(request.scope), std::string_view(request.key)});
  if (!row->Next()) return {};
  bool lapsed = false;
  return FromRow(*row, request, FormatTime(clock.Now()), &lapsed);
}

void StoreIdempotentResponse(Transaction& tx, const IdempotencyRequest& request, const StoredResponse& response,
                             const Clock& clock) {
  TimePoint now = clock.Now();
  std::string now_s = FormatTime(now), expires = FormatTime(now + kIdempotencyRetention);
  tx.Send(
      "INSERT INTO idempotency_keys (scope, idem_key, fingerprint, state, locked_until, "
      "response_status, response_body, created_at, expires_at) "
      "VALUES ($1, $2, $3, 'done', $4, $5, $6, $4, $7) "
      "ON CONFLICT (scope, idem_key) DO UPDATE SET state = 'done', "
      "response_status = excluded.response_status, response_body = excluded.response_body, "
      "expires_at = excluded.expires_at "
      "WHERE idempotency_keys.state = 'running' AND idempotency_keys.fingerprint = excluded.fingerprint",
      {std::string_view(request.scope), std::string_view(request.key), std::string_view(request.fingerprint),
       std::string_view(now_s), std::int64_t{response.status}, std::string_view(response.body),
       std::string_view(expires)});
}

void StoreIdempotentResponse(Database& db, const IdempotencyRequest& request,
                             const StoredResponse& response, const Clock& clock) {
  (void)InWriteTransaction(db, [&](Transaction& tx) -> Status {
    StoreIdempotentResponse(tx, request, response, clock);
    return Ok();
  });
}

void ReleaseIdempotencyKey(Database& db, const IdempotencyRequest& request) {
  (void)InWriteTransaction(db, [&](Transaction& tx) -> Status {
    // A lease in the past: the next retry takes the claim over.
    tx.Send("UPDATE idempotency_keys SET locked_until = '' WHERE scope = $1 AND idem_key = $2 "
            "AND state = 'running'",
            {std::string_view(request.scope), std::string_view(request.key)});
    return Ok();
  });
}

std::int64_t PurgeExpiredIdempotencyKeys(Database& db, const Clock& clock) {
  std::string now = FormatTime(clock.Now());
  std::int64_t n = 0;
  (void)InWriteTransaction(db, [&](Transaction& tx) -> Status {
    n = tx.Exec("DELETE FROM idempotency_keys WHERE expires_at < $1", {std::string_view(now)});
    return Ok();
  });
  return n;
}

}  // namespace ecom::store
