// Staff accounts: people who run the shop. They log in like customers (see
// SessionService) and hold a role that grants scopes (see roles.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/auth/password_hasher.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

struct StaffMember {
  std::string id;  // stf_...
  std::string email;
  std::string name;
  std::string role;                 // a StaffRoles() name
  std::vector<std::string> scopes;  // the role's, as of this build
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> last_login_at;
  std::optional<std::string> disabled_at;
};

struct StaffInput {
  std::string email;
  std::string name;
  std::string role;
  std::string password;
};

// Thread-safe; each call is one transaction.
class StaffService {
 public:
  StaffService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids,
               std::shared_ptr<PasswordHasher> hasher);

  // kInvalidArgument for a malformed email or name, a weak password or an
  // unknown role; kAlreadyExists (`email_taken`) when a staff member or a
  // customer has the email. Emits `staff.created`.
  Result<StaffMember> Create(const StaffInput& input);
  // Every staff member, oldest first.
  Result<std::vector<StaffMember>> List();
  // By id (stf_...) or email. kNotFound if neither matches.
  Result<StaffMember> Find(std::string_view id_or_email);
  // From now on the member cannot log in and their sessions stop
  // authenticating. Disabling twice keeps the first time. Emits
  // `staff.disabled`.
  Result<StaffMember> Disable(std::string_view id_or_email);

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::shared_ptr<PasswordHasher> hasher_;
};

}  // namespace ecom::auth
