// Failure counting with doubling lockouts, settled by one upsert per count.
#include "auth/throttle.h"

#include <algorithm>

namespace ecom::auth {
namespace {

// How long the `failures`-th failure locks a key: nothing below the limit,
// then first_lockout, doubling with each further failure up to max_lockout.
std::chrono::seconds LockoutFor(std::int64_t failures, const ThrottleRule& rule) {
  std::int64_t over = failures - rule.max_failures;
  if (over < 0) return std::chrono::seconds(0);
  std::chrono::seconds lock = rule.first_lockout;
  for (std::int64_t i = 0; i < over && lock < rule.max_lockout; ++i) lock *= 2;
  return std::min(lock, rule.max_lockout);
}

// Whole seconds until `until`, rounded up so a client never retries early.
std::chrono::seconds SecondsUntil(TimePoint until, TimePoint now) {
  return std::chrono::ceil<std::chrono::seconds>(until - now);
}

// Keys are bounded: an email longer than any account's (254 bytes) or an
// address longer than any IPv6 text still gets counted, without letting
// junk input grow the table's rows.
std::string Key(std::string_view kind, std::string_view value, std::size_t max) {
  return std::string(kind) + std::string(value.substr(0, max));
}

}  // namespace

std::string LoginAccountKey(std::string_view email_key) {
  return Key("login:acct:", email_key, 254);
}
std::string LoginAddressKey(std::string_view client_addr) {
  return Key("login:ip:", client_addr, 64);
}
std::string RegisterAddressKey(std::string_view client_addr) {
  return Key("register:ip:", client_addr, 64);
}
std::string ResetAccountKey(std::string_view email_key) {
  return Key("reset:acct:", email_key, 254);
}
std::string ResetAddressKey(std::string_view client_addr) {
  return Key("reset:ip:", client_addr, 64);
}

Status CheckThrottle(store::Transaction& tx, std::initializer_list<std::string_view> keys,
                     TimePoint now) {
  std::string now_text = FormatTime(now);
  std::chrono::seconds wait{0};
  for (std::string_view key : keys) {
    auto rows = tx.Query(
        "SELECT locked_until FROM auth_throttle WHERE throttle_key = $1 AND locked_until > $2",
        {key, std::string_view(now_text)});
    TimePoint until;
    if (rows->Next() && ParseTime(rows->View(0), &until))
      wait = std::max(wait, SecondsUntil(until, now));
  }
  if (wait.count() == 0) return Ok();
  Error error{ErrorCode::kResourceExhausted,
              "too_many_attempts",
              "too many attempts; try again in " + std::to_string(wait.count()) + " seconds",
              {}};
  error.retry_after = wait;
  return error;
}

void CountFailure(store::Transaction& tx, std::string_view key, const ThrottleRule& rule,
                  TimePoint now) {
  std::string now_text = FormatTime(now);
  std::string quiet_since = FormatTime(now - rule.window);
  // The count restarts at 1 once the key has been quiet (no failure, no lock)
  // for a whole window; otherwise it grows. The upsert takes the row lock, so
  // concurrent failures are all counted.
  auto rows = tx.Query(
      "INSERT INTO auth_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2) "
      "ON CONFLICT (throttle_key) DO UPDATE SET "
      "failures = CASE WHEN auth_throttle.last_failure_at <= $3 AND "
      "(auth_throttle.locked_until IS NULL OR auth_throttle.locked_until <= $3) "
      "THEN 1 ELSE auth_throttle.failures + 1 END, "
      "last_failure_at = $2 "
      "RETURNING failures",
      {key, std::string_view(now_text), std::string_view(quiet_since)});
  rows->Next();
  std::int64_t failures = rows->Int(0);
  rows.reset();
  std::chrono::seconds lock = LockoutFor(failures, rule);
  if (lock.count() > 0)
    tx.Exec("UPDATE auth_throttle SET locked_until = $2 WHERE throttle_key = $1",
            {key, FormatTime(now + lock)});
}

void ClearThrottle(store::Transaction& tx, std::string_view key) {
  tx.Exec("DELETE FROM auth_throttle WHERE throttle_key = $1", {key});
}

std::int64_t PurgeThrottle(store::Transaction& tx, std::chrono::seconds longest_window,
                           TimePoint now) {
  std::string cutoff = FormatTime(now - longest_window);
  return tx.Exec(
      "DELETE FROM auth_throttle "
      "WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $1)",
      {std::string_view(cutoff)});
}

}  // namespace ecom::auth
