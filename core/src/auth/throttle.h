// Store-backed abuse limits (private): counters per account and per client
// address in auth_throttle, so that every replica sees the same counts.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "ecom/auth/auth_options.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

// Throttle keys. An account key uses the folded email whether or not an
// account has it, so unknown emails are limited exactly like known ones.
std::string LoginAccountKey(std::string_view email_key);
std::string LoginAddressKey(std::string_view client_addr);
std::string RegisterAddressKey(std::string_view client_addr);
std::string ResetAccountKey(std::string_view email_key);
std::string ResetAddressKey(std::string_view client_addr);

// kResourceExhausted (`too_many_attempts`) with retry_after set to the
// longest remaining lock if any of `keys` is locked at `now`.
Status CheckThrottle(store::Transaction& tx, std::initializer_list<std::string_view> keys,
                     TimePoint now);

// Counts one failure (or attempt) for `key` under `rule`, locking the key
// when the count reaches the limit. One upsert settles concurrent counts.
void CountFailure(store::Transaction& tx, std::string_view key, const ThrottleRule& rule,
                  TimePoint now);

// Forgets `key`'s count and lock (after a successful login).
void ClearThrottle(store::Transaction& tx, std::string_view key);

// Deletes counters that hold nothing back any more: unlocked and quiet for
// longer than `longest_window`. Returns how many.
std::int64_t PurgeThrottle(store::Transaction& tx, std::chrono::seconds longest_window,
                           TimePoint now);

}  // namespace ecom::auth
