// Password reset: a digest-only, single-use token whose clear value leaves
// only inside an encrypted outbox event.
#include "ecom/auth/password_reset_service.h"

#include <sodium.h>

#include <vector>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "ecom/events/outbox.h"

namespace ecom::auth {
namespace {

using store::Transaction;

constexpr std::string_view kResetTokenPrefix = "er_";

static_assert(std::tuple_size_v<ResetTokenKey> == crypto_secretbox_KEYBYTES);

Error InvalidResetToken() {
  return {ErrorCode::kInvalidArgument,
          "invalid_reset_token",
          "the reset link is invalid or has expired",
          {{"token", "is invalid, used or expired"}}};
}

Error Undecryptable() {
  return {ErrorCode::kInvalidArgument,
          "undecryptable",
          "the reset token in the event cannot be decrypted",
          {}};
}

// base64 of a fresh nonce followed by the secretbox of `token`.
std::string Encrypt(std::string_view token, const ResetTokenKey& key) {
  std::vector<unsigned char> sealed(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
                                    token.size());
  unsigned char* nonce = sealed.data();
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(token.data()), token.size(), nonce,
                        key.data());
  std::string out(sodium_base64_ENCODED_LEN(sealed.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), sealed.data(), sealed.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the encoder's trailing NUL
  return out;
}

struct PendingReset {
  std::string id;
  std::string customer_id;
  std::string email_key;
};

}  // namespace

std::optional<ResetTokenKey> ResetTokenKeyFromHex(std::string_view hex) {
  ResetTokenKey key;
  std::size_t length = 0;
  const char* end = nullptr;
  if (hex.size() != key.size() * 2 ||
      sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &length, &end) != 0 ||
      length != key.size() || end != hex.data() + hex.size())
    return std::nullopt;
  return key;
}

Result<std::string> DecryptResetToken(const nlohmann::json& payload, const ResetTokenKey& key) {
  if (!payload.is_object() || !payload.contains("encrypted_token") ||
      !payload["encrypted_token"].is_string())
    return Undecryptable();
  const std::string& b64 = payload["encrypted_token"].get_ref<const std::string&>();
  std::vector<unsigned char> sealed(b64.size());
  std::size_t length = 0;
  if (sodium_base642bin(sealed.data(), sealed.size(), b64.data(), b64.size(), nullptr, &length,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      length < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return Undecryptable();
  const unsigned char* nonce = sealed.data();
  const unsigned char* box = nonce + crypto_secretbox_NONCEBYTES;
  std::size_t box_size = length - crypto_secretbox_NONCEBYTES;
  std::string token(box_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(token.data()), box, box_size,
                                 nonce, key.data()) != 0)
    return Undecryptable();
  return token;
}

PasswordResetService::PasswordResetService(store::Database& db, std::shared_ptr<Clock> clock,
                                           std::shared_ptr<IdGenerator> ids,
                                           std::shared_ptr<PasswordHasher> hasher,
                                           ResetTokenKey key, AuthOptions options)
    : db_(db),
      clock_(std::move(clock)),
      ids_(std::move(ids)),
      hasher_(std::move(hasher)),
      key_(key),
      options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

PasswordResetService::~PasswordResetService() { sodium_memzero(key_.data(), key_.size()); }

Status PasswordResetService::RequestReset(std::string_view email, std::string_view client_addr) {
  std::vector<FieldError> errors;
  CheckEmail(email, "email", errors);
  if (!errors.empty()) return Error::Invalid("the email is not valid", std::move(errors));
  const std::string email_key = EmailKey(email);
  const std::string account_key = ResetAccountKey(email_key);
  const std::string address_key = ResetAddressKey(client_addr);

  // One write transaction on every path, known email or not, so that neither
  // the answer nor its cost says whether the account exists.
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    TimePoint now = clock_->Now();
    ECOM_TRY(CheckThrottle(tx, {address_key, account_key}, now));
    CountFailure(tx, address_key, options_.reset_per_address, now);
    CountFailure(tx, account_key, options_.reset_per_account, now);

    auto rows =
        tx.Query("SELECT id, email, name FROM customers WHERE email_key = $1 AND status = 'active'",
                 {std::string_view(email_key)});
    if (!rows->Next()) return Ok();
    std::string customer_id = rows->Text(0), customer_email = rows->Text(1), name = rows->Text(2);
    rows.reset();

    std::string token = NewToken(kResetTokenPrefix);
    std::string expires_at = FormatTime(now + options_.reset_ttl);
    tx.Exec(
        "INSERT INTO password_resets (id, customer_id, token_hash, created_at, expires_at) "
        "VALUES ($1, $2, $3, $4, $5)",
        {ids_->Next("prs"), std::string_view(customer_id), TokenDigest(token), FormatTime(now),
         std::string_view(expires_at)});
    events::Append(tx, *ids_, *clock_, kPasswordResetRequested, "customer", customer_id,
                   {{"customer_id", customer_id},
                    {"email", customer_email},
                    {"name", name},
                    {"expires_at", expires_at},
                    {"encrypted_token", Encrypt(token, key_)}});
    sodium_memzero(token.data(), token.size());
    return Ok();
  });
}

Status PasswordResetService::ConfirmReset(std::string_view token, std::string_view new_password) {
  ECOM_TRY(CheckPasswordRules(new_password, "password"));
  if (!HasTokenShape(token, kResetTokenPrefix)) return InvalidResetToken();
  const std::string digest = TokenDigest(token);

  // Check the token before paying for a hash; the write below checks again.
  PendingReset reset;
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    auto rows = tx->Query(
        "SELECT r.id, r.customer_id, c.email_key "
        "FROM password_resets r JOIN customers c ON c.id = r.customer_id "
        "WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 "
        "AND c.status = 'active'",
        {std::string_view(digest), FormatTime(clock_->Now())});
    if (!rows->Next()) return InvalidResetToken();
    reset = {rows->Text(0), rows->Text(1), rows->OptText(2).value_or("")};
  }
  ECOM_ASSIGN_OR_RETURN(std::string hash, hasher_->Hash(new_password));

  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    TimePoint now = clock_->Now();
    std::string now_text = FormatTime(now);
    // Single use: of two concurrent confirmations only one marks the token.
    if (tx.Exec("UPDATE password_resets SET used_at = $2 "
                "WHERE id = $1 AND used_at IS NULL AND expires_at > $2",
                {std::string_view(reset.id), std::string_view(now_text)}) == 0)
      return InvalidResetToken();
    if (tx.Exec("UPDATE customers SET password_hash = $2, updated_at = $3 "
                "WHERE id = $1 AND status = 'active'",
                {std::string_view(reset.customer_id), std::string_view(hash),
                 std::string_view(now_text)}) == 0)
      return InvalidResetToken();
    tx.Exec("UPDATE password_resets SET used_at = $2 WHERE customer_id = $1 AND used_at IS NULL",
            {std::string_view(reset.customer_id), std::string_view(now_text)});
    RevokeSessions(tx, "customer", reset.customer_id, now);
    ClearThrottle(tx, LoginAccountKey(reset.email_key));
    events::Append(tx, *ids_, *clock_, "customer.password_changed", "customer", reset.customer_id,
                   {{"customer_id", reset.customer_id}, {"via", "reset"}});
    return Ok();
  });
}

}  // namespace ecom::auth
