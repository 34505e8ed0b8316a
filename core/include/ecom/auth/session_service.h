// Sign-in for customers and staff: one login answering a bearer token, token
// authentication with sliding expiry, and logout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ecom/auth/auth_options.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/auth/principal.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

struct IssuedSession {
  std::string token;       // `es_` + 64 hex: shown to the caller once, never stored
  std::string expires_at;  // RFC 3339; slides forward while the session is used
  Principal principal;
};

// Thread-safe; the password hash runs outside any transaction.
class SessionService {
 public:
  SessionService(store::Database& db, std::shared_ptr<Clock> clock,
                 std::shared_ptr<IdGenerator> ids, std::shared_ptr<PasswordHasher> hasher,
                 AuthOptions options = {});

  // Logs a customer, or else a staff member, in by email and password.
  // kUnauthenticated (`invalid_credentials`) for an unknown email, a wrong
  // password and a deleted account alike: the answer, and the time it takes,
  // do not tell which. kPermissionDenied (`account_disabled`) for a disabled
  // account, said only to a caller who gave its right password.
  // kResourceExhausted (`too_many_attempts`, with retry_after) while the
  // account or `client_addr` is throttled; known and unknown emails are
  // throttled alike. kUnavailable (`auth_busy`) when every hashing slot is
  // taken for too long. Rehashes the password when the hash parameters rose.
  Result<IssuedSession> Login(std::string_view email, std::string_view password,
                              std::string_view client_addr);

  // The principal a session token stands for. kUnauthenticated
  // (`invalid_token`) if the token is unknown, revoked or expired, or its
  // account is disabled or deleted. Slides the expiry forward, writing it (and
  // last_used_at) at most once per session_touch_interval.
  Result<Principal> Authenticate(std::string_view token);

  // Revokes the session. kUnauthenticated (`invalid_token`) for a token that
  // is unknown or no longer valid.
  Status Logout(std::string_view token);

  // Deletes sessions and reset tokens that lapsed more than a day ago and
  // throttle counters that no longer hold anything back. For a periodic job;
  // returns the rows removed.
  Result<std::int64_t> PurgeExpired();

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::shared_ptr<PasswordHasher> hasher_;
  AuthOptions options_;
};

}  // namespace ecom::auth
