// HTTP handlers for the signed-in customer's own account (/v1/me) and
// address book. Every call acts on the caller's customer id, never on one
// taken from the request, so another customer's address is 404.
#pragma once

#include "daemon/call.h"
#include "ecom/auth/customer_service.h"

namespace ecom::daemon {

// Thread-safe.
class AccountHandler {
 public:
  explicit AccountHandler(auth::CustomerService& customers) : customers_(customers) {}

  Reply Get(const Call& call);
  // {name?, email?}.
  Reply Update(const Call& call);
  // Erases the personal data and ends every session -> 204.
  Reply Delete(const Call& call);
  // {current_password,new_password} -> 204; other sessions are revoked.
  Reply ChangePassword(const Call& call);

  Reply ListAddresses(const Call& call);
  Reply AddAddress(const Call& call);
  Reply GetAddress(const Call& call);
  // Sets the fields given and keeps the others.
  Reply UpdateAddress(const Call& call);
  Reply DeleteAddress(const Call& call);

 private:
  auth::CustomerService& customers_;
};

}  // namespace ecom::daemon
