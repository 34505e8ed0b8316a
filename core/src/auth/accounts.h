// What customer and staff accounts share (private): email rules, the one
// email namespace across both tables, and name rules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

// The key an email is unique by: trimmed and ASCII lower-cased, so that
// `Ann@Example.com` and `ann@example.com` are one account. (Non-ASCII letters
// are compared as given.)
std::string EmailKey(std::string_view email);

// Appends {field, problem} when `email` is not a plausible address: 3..254
// bytes of UTF-8 without spaces or control characters, one `@` with text on
// both sides and a dot in the domain.
void CheckEmail(std::string_view email, std::string_view field, std::vector<FieldError>& errors);

// Appends {field, problem} unless `name` is 1..200 bytes of UTF-8 without
// control characters (after trimming).
void CheckName(std::string_view name, std::string_view field, std::vector<FieldError>& errors);

// Whether a customer (other than `except_id`) or a staff member (other than
// `except_id`) holds `email_key`. Customers and staff share one login, so an
// email names at most one account across both.
bool EmailTaken(store::Transaction& tx, std::string_view email_key,
                std::string_view except_id = "");

Error EmailTakenError();

// Runs `work`, turning a unique violation (two writers racing for one email)
// into `email_taken`.
template <typename Work>
auto MapEmailRace(Work&& work) -> decltype(work()) {
  try {
    return work();
  } catch (const store::DbError& e) {
    if (e.kind() == store::DbError::Kind::kUniqueViolation) return EmailTakenError();
    throw;
  }
}

}  // namespace ecom::auth
