// The tunables of customer and staff sign-in: session lifetimes and the abuse
// limits. The defaults are the product's; tests shorten them.
#pragma once

#include <chrono>

namespace ecom::auth {

// How a throttle key (an account, a client address) is limited. After
// `max_failures` counted events the key is locked for `first_lockout`; each
// further event once the lock has lapsed locks it for twice as long as the
// one before, up to `max_lockout`. The count is forgotten after `window`
// without events (measured from the later of the last event and the end of the
// last lock, so waiting out a lock does not buy a fresh set of tries), and, for
// login accounts, on a successful login.
struct ThrottleRule {
  int max_failures = 5;
  std::chrono::seconds window = std::chrono::minutes(15);
  std::chrono::seconds first_lockout = std::chrono::seconds(30);
  std::chrono::seconds max_lockout = std::chrono::hours(1);
};

struct AuthOptions {
  // A session lapses this long after it was last used (sliding renewal).
  std::chrono::seconds session_ttl = std::chrono::days(30);
  // A session's last use and expiry are written at most this often, so that
  // authenticated reads do not become writes.
  std::chrono::seconds session_touch_interval = std::chrono::minutes(1);
  // A password reset token is valid this long.
  std::chrono::seconds reset_ttl = std::chrono::hours(1);

  // Failed logins per account (by folded email, whether or not it exists).
  ThrottleRule login_per_account{};
  // Failed logins per client address, over every account. Higher than the
  // per-account limit: many shoppers may share one address (an office NAT).
  ThrottleRule login_per_address{.max_failures = 20};
  // Registrations per client address; every attempt counts.
  ThrottleRule register_per_address{.max_failures = 10,
                                    .window = std::chrono::hours(1),
                                    .first_lockout = std::chrono::minutes(1)};
  // Password reset requests per client address and per email; every request
  // counts, so a mailbox cannot be flooded with reset mail.
  ThrottleRule reset_per_address{.max_failures = 10,
                                 .window = std::chrono::hours(1),
                                 .first_lockout = std::chrono::minutes(1)};
  ThrottleRule reset_per_account{
      .max_failures = 3, .window = std::chrono::hours(1), .first_lockout = std::chrono::minutes(5)};
};

}  // namespace ecom::auth
