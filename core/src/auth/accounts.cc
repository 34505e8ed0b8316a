// Email and name rules shared by customers and staff.
#include "auth/accounts.h"

#include "ecom/common/text.h"

namespace ecom::auth {
namespace {

bool HasControlOrSpace(std::string_view s, bool allow_space) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
    if (c == ' ' && !allow_space) return true;
  }
  return false;
}

}  // namespace

std::string EmailKey(std::string_view email) { return AsciiLower(Trim(email)); }

void CheckEmail(std::string_view email, std::string_view field, std::vector<FieldError>& errors) {
  std::string_view e = Trim(email);
  auto at = e.find('@');
  bool ok = e.size() >= 3 && e.size() <= 254 && IsValidUtf8(e) && !HasControlOrSpace(e, false) &&
            at != std::string_view::npos && at > 0 && e.find('@', at + 1) == std::string_view::npos;
  if (ok) {
    std::string_view domain = e.substr(at + 1);
    auto dot = domain.find('.');
    ok = dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
  }
  if (!ok) errors.push_back({std::string(field), "is not a valid email address"});
}

void CheckName(std::string_view name, std::string_view field, std::vector<FieldError>& errors) {
  std::string_view n = Trim(name);
  if (n.empty())
    errors.push_back({std::string(field), "is required"});
  else if (n.size() > 200 || !IsValidUtf8(n) || HasControlOrSpace(n, true))
    errors.push_back(
        {std::string(field), "must be at most 200 bytes of UTF-8 without control characters"});
}

bool EmailTaken(store::Transaction& tx, std::string_view email_key, std::string_view except_id) {
  auto rows = tx.Query(
      "SELECT 1 FROM customers WHERE email_key = $1 AND id <> $2 "
      "UNION ALL SELECT 1 FROM staff WHERE email_key = $1 AND id <> $2",
      {email_key, except_id});
  return rows->Next();
}

Error EmailTakenError() {
  return Error::Exists("email_taken", "an account with this email already exists");
}

}  // namespace ecom::auth
