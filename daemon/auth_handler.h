// HTTP handlers for signing in and out (/v1/auth/...), for customers and
// staff alike. Passwords and tokens pass through to core and never reach a
// log line or an error body.
#pragma once

#include "daemon/call.h"
#include "ecom/orders/cart_service.h"
#include "ecom/auth/customer_service.h"
#include "ecom/auth/password_reset_service.h"
#include "ecom/auth/session_service.h"

namespace ecom::daemon {

// Thread-safe.
class AuthHandler {
 public:
  // `carts` (may be null) takes a guest's cart into the customer's on login.
  AuthHandler(auth::SessionService& sessions, auth::CustomerService& customers,
              auth::PasswordResetService& resets, orders::CartService* carts = nullptr)
      : sessions_(sessions), customers_(customers), resets_(resets), carts_(carts) {}

  // {email,password,name} -> 201 with the customer; 409 email_taken.
  Reply Register(const Call& call);
  // {email,password} -> 200 {token,expires_at,kind,principal}. A customer
  // who sends the X-Cart-Token of a guest cart gets it merged into their own
  // cart (quantities summed per variant), reported as "cart".
  Reply Login(const Call& call);
  // Ends the presented session -> 204.
  Reply Logout(const Call& call);
  // {email} -> 202, the same body whether or not the email has an account.
  Reply RequestReset(const Call& call);
  // {token,password} -> 204.
  Reply ConfirmReset(const Call& call);

 private:
  auth::SessionService& sessions_;
  auth::CustomerService& customers_;
  auth::PasswordResetService& resets_;
  orders::CartService* carts_;
};

}  // namespace ecom::daemon
