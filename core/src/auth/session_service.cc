// One login for customers and staff, bearer sessions with sliding expiry.
#include "ecom/auth/session_service.h"

#include <sodium.h>

#include <algorithm>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "auth/tokens.h"
#include "ecom/auth/roles.h"

namespace ecom::auth {
namespace {

Error InvalidCredentials() {
  return {ErrorCode::kUnauthenticated,
          "invalid_credentials",
          "the email or password is not correct",
          {}};
}

Error InvalidToken() {
  return {ErrorCode::kUnauthenticated, "invalid_token", "the session token is not valid", {}};
}

// The account an email logs into: a customer, or else a staff member.
struct Account {
  PrincipalKind kind = PrincipalKind::kCustomer;
  std::string id;
  std::string password_hash;
  bool active = false;
  std::optional<std::string> role;  // staff only
};

const char* SubjectKind(PrincipalKind kind) {
  return kind == PrincipalKind::kStaff ? "staff" : "customer";
}

// Deleted customers have no email key, so they are never found here.
std::optional<Account> FindAccount(store::Transaction& tx, std::string_view email_key) {
  {
    auto rows = tx.Query("SELECT id, password_hash, status FROM customers WHERE email_key = $1",
                         {email_key});
    if (rows->Next())
      return Account{PrincipalKind::kCustomer, rows->Text(0), rows->OptText(1).value_or(""),
                     rows->View(2) == "active", std::nullopt};
  }
  auto rows = tx.Query(
      "SELECT id, password_hash, disabled_at, role FROM staff WHERE email_key = $1", {email_key});
  if (rows->Next())
    return Account{PrincipalKind::kStaff, rows->Text(0), rows->Text(1), rows->IsNull(2),
                   rows->Text(3)};
  return std::nullopt;
}

std::vector<std::string> ScopesOfRole(const std::string& role) {
  // A role this build no longer knows grants nothing.
  const StaffRole* r = FindStaffRole(role);
  return r ? r->scopes : std::vector<std::string>{};
}

// Records a successful login: forgets the account's failures, stamps the
// account (only if it is still active) and replaces an outdated hash unless
// the password changed meanwhile. False if the account was disabled or
// deleted in the meantime.
bool RecordLogin(store::Transaction& tx, const Account& account, std::string_view email_key,
                 const std::optional<std::string>& new_hash, const std::string& now) {
  ClearThrottle(tx, LoginAccountKey(email_key));
  bool staff = account.kind == PrincipalKind::kStaff;
  std::string_view id = account.id;
  std::int64_t stamped =
      tx.Exec(staff ? "UPDATE staff SET last_login_at = $2 WHERE id = $1 AND disabled_at IS NULL"
                    : "UPDATE customers SET last_login_at = $2 WHERE id = $1 AND status = 'active'",
              {id, std::string_view(now)});
  if (stamped == 0) return false;
  if (new_hash)
    tx.Exec(staff ? "UPDATE staff SET password_hash = $2 WHERE id = $1 AND password_hash = $3"
                  : "UPDATE customers SET password_hash = $2 WHERE id = $1 AND password_hash = $3",
            {id, std::string_view(*new_hash), std::string_view(account.password_hash)});
  return true;
}

}  // namespace

SessionService::SessionService(store::Database& db, std::shared_ptr<Clock> clock,
                               std::shared_ptr<IdGenerator> ids,
                               std::shared_ptr<PasswordHasher> hasher, AuthOptions options)
    : db_(db),
      clock_(std::move(clock)),
      ids_(std::move(ids)),
      hasher_(std::move(hasher)),
      options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<IssuedSession> SessionService::Login(std::string_view email, std::string_view password,
                                            std::string_view client_addr) {
  const std::string email_key = EmailKey(email);
  const std::string account_key = LoginAccountKey(email_key);
  const std::string address_key = LoginAddressKey(client_addr);

  std::optional<Account> account;
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    ECOM_TRY(CheckThrottle(*tx, {account_key, address_key}, clock_->Now()));
    account = FindAccount(*tx, email_key);
  }

  // Every path costs one argon2 verification, known account or not, and no
  // transaction is held open across it.
  bool matched = false;
  if (account && !account->password_hash.empty()) {
    ECOM_ASSIGN_OR_RETURN(matched, hasher_->Verify(account->password_hash, password));
  } else {
    ECOM_TRY(hasher_->VerifyAgainstDummy(password));
  }

  if (!matched) {
    ECOM_TRY(store::InWriteTransaction(db_, [&](store::Transaction& tx) -> Status {
      TimePoint now = clock_->Now();
      CountFailure(tx, account_key, options_.login_per_account, now);
      CountFailure(tx, address_key, options_.login_per_address, now);
      return Ok();
    }));
    return InvalidCredentials();
  }
  if (!account->active)
    return Error{ErrorCode::kPermissionDenied, "account_disabled", "this account is disabled", {}};

  // A rehash that finds no free slot is skipped, not a failed login: the
  // next login tries again.
  std::optional<std::string> new_hash;
  if (hasher_->NeedsRehash(account->password_hash)) {
    if (auto rehashed = hasher_->Hash(password); rehashed.ok()) new_hash = std::move(*rehashed);
  }

  return store::InWriteTransaction(db_, [&](store::Transaction& tx) -> Result<IssuedSession> {
    TimePoint now = clock_->Now();
    if (!RecordLogin(tx, *account, email_key, new_hash, FormatTime(now)))
      return InvalidCredentials();
    NewSession s = InsertSession(tx, *ids_, SubjectKind(account->kind), account->id, now,
                                 options_.session_ttl);
    IssuedSession issued;
    issued.token = std::move(s.token);
    issued.expires_at = s.expires_at;
    Principal& p = issued.principal;
    p.kind = account->kind;
    p.id = account->id;
    p.session_id = s.id;
    p.expires_at = s.expires_at;
    if (account->role) {
      p.role = account->role;
      p.scopes = ScopesOfRole(*account->role);
    }
    return issued;
  });
}

Result<Principal> SessionService::Authenticate(std::string_view token) {
  if (!HasTokenShape(token, kSessionTokenPrefix)) return InvalidToken();
  const std::string digest = TokenDigest(token);
  const TimePoint now = clock_->Now();
  Principal p;
  TimePoint last_used;
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    auto rows = tx->Query(
        "SELECT s.id, s.subject_kind, s.subject_id, s.expires_at, s.last_used_at, s.revoked_at, "
        "c.status, st.role, st.disabled_at FROM sessions s "
        "LEFT JOIN customers c ON s.subject_kind = 'customer' AND c.id = s.subject_id "
        "LEFT JOIN staff st ON s.subject_kind = 'staff' AND st.id = s.subject_id "
        "WHERE s.token_hash = $1",
        {std::string_view(digest)});
    if (!rows->Next()) return InvalidToken();
    TimePoint expires;
    if (!rows->IsNull(5) || !ParseTime(rows->View(3), &expires) || expires <= now)
      return InvalidToken();
    if (!ParseTime(rows->View(4), &last_used)) return InvalidToken();
    bool staff = rows->View(1) == "staff";
    bool active =
        staff ? !rows->IsNull(7) && rows->IsNull(8) : !rows->IsNull(6) && rows->View(6) == "active";
    if (!active) return InvalidToken();
    p.kind = staff ? PrincipalKind::kStaff : PrincipalKind::kCustomer;
    p.id = rows->Text(2);
    p.session_id = rows->Text(0);
    p.expires_at = rows->Text(3);
    if (staff) {
      p.role = rows->Text(7);
      p.scopes = ScopesOfRole(*p.role);
    }
  }
  // Slide the expiry, but write at most once per interval: most
  // authenticated requests stay reads.
  if (now - last_used >= options_.session_touch_interval) {
    std::string now_text = FormatTime(now);
    std::string expires_at = FormatTime(now + options_.session_ttl);
    auto tx = db_.Begin(store::TxMode::kWrite);
    if (tx->Exec("UPDATE sessions SET last_used_at = $2, expires_at = $3 "
                 "WHERE id = $1 AND revoked_at IS NULL",
                 {std::string_view(*p.session_id), std::string_view(now_text),
                  std::string_view(expires_at)}) == 0)
      return InvalidToken();  // revoked meanwhile
    tx->Commit();
    p.expires_at = expires_at;
  }
  return p;
}

Status SessionService::Logout(std::string_view token) {
  if (!HasTokenShape(token, kSessionTokenPrefix)) return InvalidToken();
  const std::string digest = TokenDigest(token);
  return store::InWriteTransaction(db_, [&](store::Transaction& tx) -> Status {
    std::string now = FormatTime(clock_->Now());
    if (tx.Exec("UPDATE sessions SET revoked_at = $2 "
                "WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
                {std::string_view(digest), std::string_view(now)}) == 0)
      return InvalidToken();
    return Ok();
  });
}

Result<std::int64_t> SessionService::PurgeExpired() {
  const TimePoint now = clock_->Now();
  const std::string cutoff = FormatTime(now - std::chrono::days(1));
  std::chrono::seconds longest_window =
      std::max({options_.login_per_account.window, options_.login_per_address.window,
                options_.register_per_address.window, options_.reset_per_address.window,
                options_.reset_per_account.window});
  return store::InWriteTransaction(db_, [&](store::Transaction& tx) -> Result<std::int64_t> {
    std::int64_t removed = tx.Exec("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1",
                                   {std::string_view(cutoff)});
    removed += tx.Exec("DELETE FROM password_resets WHERE expires_at < $1 OR used_at < $1",
                       {std::string_view(cutoff)});
    removed += PurgeThrottle(tx, longest_window, now);
    return removed;
  });
}

}  // namespace ecom::auth
