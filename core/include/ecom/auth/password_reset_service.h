// Password reset for customers: a single-use, expiring token delivered by the
// notifications relay, which finds it encrypted in the outbox event.
#pragma once

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/auth/auth_options.h"
#include "ecom/auth/password_hasher.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"

namespace ecom::auth {

// The server's secret key for reset tokens in events (libsodium secretbox,
// 32 bytes). Keep it out of logs.
using ResetTokenKey = std::array<unsigned char, 32>;

// Reads a key written as 64 hex digits; nullopt if malformed.
std::optional<ResetTokenKey> ResetTokenKeyFromHex(std::string_view hex);

// The event a reset request emits.
inline constexpr const char* kPasswordResetRequested = "customer.password_reset_requested";

// Recovers the clear token from a `customer.password_reset_requested` payload
// ({"customer_id","email","name","expires_at","encrypted_token"}, the last
// being base64 of nonce || secretbox ciphertext). kInvalidArgument
// (`undecryptable`) for a payload that is malformed, was altered or was made
// with another key.
Result<std::string> DecryptResetToken(const nlohmann::json& payload, const ResetTokenKey& key);

// Thread-safe; each call is one transaction (a password hash runs outside it).
class PasswordResetService {
 public:
  PasswordResetService(store::Database& db, std::shared_ptr<Clock> clock,
                       std::shared_ptr<IdGenerator> ids, std::shared_ptr<PasswordHasher> hasher,
                       ResetTokenKey key, AuthOptions options = {});
  ~PasswordResetService();  // wipes the key

  // For an active customer with this email, creates a token valid for
  // options.reset_ttl (only its digest is kept) and emits
  // `customer.password_reset_requested` carrying it encrypted. The answer is
  // Ok whether or not such a customer exists. kResourceExhausted
  // (`too_many_attempts`, with retry_after) when the address or the email
  // asked too often, again alike for known and unknown emails.
  Status RequestReset(std::string_view email, std::string_view client_addr);

  // Sets the password, uses up the token (and every other pending one of the
  // customer), revokes all of the customer's sessions and clears the login
  // throttle of the account. kInvalidArgument (`invalid_reset_token`) for a
  // token that is unknown, used or expired, or whose account is not active;
  // kInvalidArgument (`invalid_input`) for a password that breaks the rules.
  Status ConfirmReset(std::string_view token, std::string_view new_password);

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
  std::shared_ptr<PasswordHasher> hasher_;
  ResetTokenKey key_;
  AuthOptions options_;
};

}  // namespace ecom::auth
