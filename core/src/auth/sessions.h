// Session rows (private): issuing and revoking, shared by login, password
// changes, resets and account deletion.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/store/database.h"

namespace ecom::auth {

inline constexpr std::string_view kSessionTokenPrefix = "es_";

struct NewSession {
  std::string id;          // ses_...
  std::string token;       // the clear token, for the caller only
  std::string expires_at;  // RFC 3339
};

// Inserts a session of `subject_kind` (customer, staff) lasting `ttl`; only
// the token's digest is stored.
NewSession InsertSession(store::Transaction& tx, IdGenerator& ids, std::string_view subject_kind,
                         std::string_view subject_id, TimePoint now, std::chrono::seconds ttl);

// Revokes every live session of the subject except `keep_session_id` (none
// when empty). Returns how many.
std::int64_t RevokeSessions(store::Transaction& tx, std::string_view subject_kind,
                            std::string_view subject_id, TimePoint now,
                            std::string_view keep_session_id = "");

}  // namespace ecom::auth
