// Staff accounts: create, list, find and disable.
#include "ecom/auth/staff_service.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "ecom/auth/roles.h"
#include "ecom/common/text.h"
#include "ecom/events/outbox.h"

namespace ecom::auth {
namespace {

using store::Transaction;

constexpr const char* kStaffColumns =
    "SELECT id, email, name, role, created_at, updated_at, last_login_at, disabled_at FROM staff ";

StaffMember ReadStaff(const store::Rows& r) {
  StaffMember s;
  s.id = r.Text(0);
  s.email = r.Text(1);
  s.name = r.Text(2);
  s.role = r.Text(3);
  if (const StaffRole* role = FindStaffRole(s.role)) s.scopes = role->scopes;
  s.created_at = r.Text(4);
  s.updated_at = r.Text(5);
  s.last_login_at = r.OptText(6);
  s.disabled_at = r.OptText(7);
  return s;
}

std::optional<StaffMember> LoadStaff(Transaction& tx, std::string_view id_or_email) {
  auto rows =
      id_or_email.starts_with("stf_")
          ? tx.Query(std::string(kStaffColumns) + "WHERE id = $1", {id_or_email})
          : tx.Query(std::string(kStaffColumns) + "WHERE email_key = $1", {EmailKey(id_or_email)});
  if (!rows->Next()) return std::nullopt;
  return ReadStaff(*rows);
}

std::string RoleNames() {
  std::string names;
  for (const auto& role : StaffRoles()) names += (names.empty() ? "" : ", ") + role.name;
  return names;
}

Error StaffNotFound(std::string_view id_or_email) {
  return Error::NotFound("staff_not_found", "no staff member '" + std::string(id_or_email) + "'");
}

}  // namespace

StaffService::StaffService(store::Database& db, std::shared_ptr<Clock> clock,
                           std::shared_ptr<IdGenerator> ids, std::shared_ptr<PasswordHasher> hasher)
    : db_(db), clock_(std::move(clock)), ids_(std::move(ids)), hasher_(std::move(hasher)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<StaffMember> StaffService::Create(const StaffInput& input) {
  std::vector<FieldError> errors;
  CheckEmail(input.email, "email", errors);
  CheckName(input.name, "name", errors);
  const StaffRole* role = FindStaffRole(input.role);
  if (!role)
    errors.push_back({"role", "unknown role '" + input.role + "' (known: " + RoleNames() + ")"});
  if (Status rules = CheckPasswordRules(input.password); !rules.ok())
    errors.insert(errors.end(), rules.error().fields.begin(), rules.error().fields.end());
  if (!errors.empty()) return Error::Invalid("the staff member is not valid", std::move(errors));

  const std::string email_key = EmailKey(input.email);
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    if (EmailTaken(*tx, email_key)) return EmailTakenError();
  }
  ECOM_ASSIGN_OR_RETURN(std::string hash, hasher_->Hash(input.password));

  return MapEmailRace([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StaffMember> {
      if (EmailTaken(tx, email_key)) return EmailTakenError();
      StaffMember s;
      s.id = ids_->Next("stf");
      s.email = std::string(Trim(input.email));
      s.name = std::string(Trim(input.name));
      s.role = role->name;
      s.scopes = role->scopes;
      s.created_at = s.updated_at = FormatTime(clock_->Now());
      tx.Exec(
          "INSERT INTO staff "
          "(id, email, email_key, name, password_hash, role, created_at, updated_at) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
          {std::string_view(s.id), std::string_view(s.email), std::string_view(email_key),
           std::string_view(s.name), std::string_view(hash), std::string_view(s.role),
           std::string_view(s.created_at)});
      events::Append(tx, *ids_, *clock_, "staff.created", "staff", s.id,
                     {{"staff_id", s.id}, {"role", s.role}});
      return s;
    });
  });
}

Result<std::vector<StaffMember>> StaffService::List() {
  auto tx = db_.Begin(store::TxMode::kRead);
  std::vector<StaffMember> out;
  auto rows = tx->Query(std::string(kStaffColumns) + "ORDER BY id");
  while (rows->Next()) out.push_back(ReadStaff(*rows));
  return out;
}

Result<StaffMember> StaffService::Find(std::string_view id_or_email) {
  auto tx = db_.Begin(store::TxMode::kRead);
  auto s = LoadStaff(*tx, id_or_email);
  if (!s) return StaffNotFound(id_or_email);
  return *s;
}

Result<StaffMember> StaffService::Disable(std::string_view id_or_email) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StaffMember> {
    auto found = LoadStaff(tx, id_or_email);
    if (!found) return StaffNotFound(id_or_email);
    StaffMember s = *found;
    if (s.disabled_at) return s;
    s.disabled_at = s.updated_at = FormatTime(clock_->Now());
    tx.Exec("UPDATE staff SET disabled_at = $2, updated_at = $2 WHERE id = $1",
            {std::string_view(s.id), std::string_view(*s.disabled_at)});
    events::Append(tx, *ids_, *clock_, "staff.disabled", "staff", s.id, {{"staff_id", s.id}});
    return s;
  });
}

}  // namespace ecom::auth
