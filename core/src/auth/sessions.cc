// Session rows: insert with a digest, revoke in bulk.
#include "auth/sessions.h"

#include "auth/tokens.h"

namespace ecom::auth {

NewSession InsertSession(store::Transaction& tx, IdGenerator& ids, std::string_view subject_kind,
                         std::string_view subject_id, TimePoint now, std::chrono::seconds ttl) {
  NewSession s{ids.Next("ses"), NewToken(kSessionTokenPrefix), FormatTime(now + ttl)};
  std::string now_text = FormatTime(now);
  tx.Exec(
      "INSERT INTO sessions "
      "(id, subject_kind, subject_id, token_hash, created_at, expires_at, last_used_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $5)",
      {std::string_view(s.id), subject_kind, subject_id, TokenDigest(s.token),
       std::string_view(now_text), std::string_view(s.expires_at)});
  return s;
}

std::int64_t RevokeSessions(store::Transaction& tx, std::string_view subject_kind,
                            std::string_view subject_id, TimePoint now,
                            std::string_view keep_session_id) {
  return tx.Exec(
      "UPDATE sessions SET revoked_at = $3 "
      "WHERE subject_kind = $1 AND subject_id = $2 AND revoked_at IS NULL AND id <> $4",
      {subject_kind, subject_id, FormatTime(now), keep_session_id});
}

}  // namespace ecom::auth
