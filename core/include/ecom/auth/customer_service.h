// Customer accounts: registration, the account's own profile, password and
// address book, erasure, and the staff's view (list, show, disable, enable).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/auth/auth_options.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

enum class CustomerStatus { kActive, kDisabled, kDeleted };
const char* ToString(CustomerStatus s);  // active, disabled, deleted
std::optional<CustomerStatus> ParseCustomerStatus(std::string_view s);

struct Customer {
  std::string id;                    // cus_...
  std::optional<std::string> email;  // as given; none once deleted
  std::string name;                  // empty once deleted
  CustomerStatus status = CustomerStatus::kActive;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> last_login_at;
  std::optional<std::string> deleted_at;
};

struct RegisterInput {
  std::string email;
  std::string password;
  std::string name;
};

// A PATCH of the account's own profile: unset fields stay as they are.
struct CustomerPatch {
  std::optional<std::string> name{};
  std::optional<std::string> email{};
};

struct AddressInput {
  std::string name;  // the recipient
  std::string company;
  std::string line1;
  std::string line2;
  std::string city;
  std::string region;
  std::string postal_code;
  std::string country;  // ISO 3166-1 alpha-2, upper case (`DE`)
  std::string phone;
};

struct Address : AddressInput {
  std::string id;  // adr_...
  std::string created_at;
  std::string updated_at;
};

struct CustomerQuery {
  std::optional<CustomerStatus> status{};  // default: every status
  int limit = 50;                          // 1..250
  std::string cursor{};                    // from a previous page's next_cursor
};

struct CustomerPage {
  std::vector<Customer> items;  // newest first
  std::optional<std::string> next_cursor;
};

// Thread-safe; each call is one transaction (a password hash runs outside it).
// Calls that take `customer_id` act for that customer on their own account and
// objects: the adapter passes the id of the authenticated principal, never one
// from the request. An address of another customer is kNotFound, exactly as
// one that does not exist.
class CustomerService {
 public:
  CustomerService(store::Database& db, std::shared_ptr<Clock> clock,
                  std::shared_ptr<IdGenerator> ids, std::shared_ptr<PasswordHasher> hasher,
                  AuthOptions options = {});

  // Creates an active customer. kAlreadyExists (`email_taken`) when a
  // customer or staff member has the email (compared case-insensitively);
  // kInvalidArgument for a malformed email, name or password;
  // kResourceExhausted (with retry_after) when `client_addr` has registered
  // too often. Emits `customer.registered`.
  Result<Customer> Register(const RegisterInput& input, std::string_view client_addr);

  // The account. kNotFound for an unknown id.
  Result<Customer> Get(std::string_view customer_id);
  // Changes name and/or email. kAlreadyExists (`email_taken`) for an email
  // someone else has; kFailedPrecondition (`account_deleted`) once deleted.
  Result<Customer> Update(std::string_view customer_id, const CustomerPatch& patch);

  // Replaces the password after checking the current one and revokes every
  // session of the customer except `keep_session_id` (the caller's own). A
  // wrong current password is kInvalidArgument (`wrong_password`) and counts
  // as a failed login for the account's throttle.
  Status ChangePassword(std::string_view customer_id, std::string_view keep_session_id,
                        std::string_view current_password, std::string_view new_password);

  // Erases the personal data (email, name, password hash, addresses, pending
  // reset tokens), revokes every session and marks the account deleted. The
  // row and its id stay, so orders remain the merchant's. Emits
  // `customer.deleted`. Deleting twice is kNotFound.
  Status Delete(std::string_view customer_id);

  // The address book.
  Result<std::vector<Address>> ListAddresses(std::string_view customer_id);
  Result<Address> GetAddress(std::string_view customer_id, std::string_view address_id);
  // kInvalidArgument with per-field errors; kResourceExhausted
  // (`too_many_addresses`) beyond 50 addresses.
  Result<Address> AddAddress(std::string_view customer_id, const AddressInput& input);
  Result<Address> ReplaceAddress(std::string_view customer_id, std::string_view address_id,
                                 const AddressInput& input);
  Status DeleteAddress(std::string_view customer_id, std::string_view address_id);

  // Staff: customers newest first, keyset-paginated on id.
  Result<CustomerPage> List(const CustomerQuery& query);
  // Staff: by id (cus_...) or email (any case). kNotFound if neither matches.
  Result<Customer> Find(std::string_view id_or_email);
  // Staff: a disabled customer cannot log in and their sessions stop
  // authenticating until enabled again. Emits `customer.disabled` /
  // `customer.enabled` when the status changes; kFailedPrecondition
  // (`account_deleted`) for a deleted account.
  Result<Customer> Disable(std::string_view id_or_email);
  Result<Customer> Enable(std::string_view id_or_email);

 private:
  Result<Customer> SetStatus(std::string_view id_or_email, bool enabled);

  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::shared_ptr<PasswordHasher> hasher_;
  AuthOptions options_;
};

}  // namespace ecom::auth
