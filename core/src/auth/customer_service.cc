// Customer accounts: registration, profile, password, address book, erasure
// and the staff's list, show, disable and enable.
#include "ecom/auth/customer_service.h"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "auth/throttle.h"
#include "ecom/common/text.h"
#include "ecom/events/outbox.h"

namespace ecom::auth {
namespace {

using store::Transaction;

constexpr int kMaxAddresses = 50;

constexpr const char* kCustomerColumns =
    "SELECT id, email, name, status, created_at, updated_at, last_login_at, deleted_at "
    "FROM customers ";

constexpr const char* kAddressColumns =
    "SELECT id, name, company, line1, line2, city, region, postal_code, country, phone, "
    "created_at, updated_at FROM customer_addresses ";

Customer ReadCustomer(const store::Rows& r) {
  Customer c;
  c.id = r.Text(0);
  c.email = r.OptText(1);
  c.name = r.Text(2);
  c.status = ParseCustomerStatus(r.View(3)).value_or(CustomerStatus::kDisabled);
  c.created_at = r.Text(4);
  c.updated_at = r.Text(5);
  c.last_login_at = r.OptText(6);
  c.deleted_at = r.OptText(7);
  return c;
}

Address ReadAddress(const store::Rows& r) {
  Address a;
  a.id = r.Text(0);
  a.name = r.Text(1);
  a.company = r.Text(2);
  a.line1 = r.Text(3);
  a.line2 = r.Text(4);
  a.city = r.Text(5);
  a.region = r.Text(6);
  a.postal_code = r.Text(7);
  a.country = r.Text(8);
  a.phone = r.Text(9);
  a.created_at = r.Text(10);
  a.updated_at = r.Text(11);
  return a;
}

Error CustomerNotFound() { return Error::NotFound("customer_not_found", "no such customer"); }
Error AddressNotFound() { return Error::NotFound("address_not_found", "no such address"); }
Error AccountDeleted() {
  return Error::Precondition("account_deleted", "the account has been deleted");
}

std::optional<Customer> LoadCustomer(Transaction& tx, std::string_view id) {
  auto rows = tx.Query(std::string(kCustomerColumns) + "WHERE id = $1", {id});
  if (!rows->Next()) return std::nullopt;
  return ReadCustomer(*rows);
}

// By id (cus_...) or by email in any case.
std::optional<Customer> LoadCustomerByIdOrEmail(Transaction& tx, std::string_view id_or_email) {
  if (id_or_email.starts_with("cus_")) return LoadCustomer(tx, id_or_email);
  auto rows =
      tx.Query(std::string(kCustomerColumns) + "WHERE email_key = $1", {EmailKey(id_or_email)});
  if (!rows->Next()) return std::nullopt;
  return ReadCustomer(*rows);
}

// The customer whose own objects are being touched: kNotFound unless the
// account exists and is not deleted.
Status RequireLiveCustomer(Transaction& tx, std::string_view id) {
  auto c = LoadCustomer(tx, id);
  if (!c || c->status == CustomerStatus::kDeleted) return CustomerNotFound();
  return Ok();
}

// An address field: trimmed, at most `max` bytes of UTF-8 without control
// characters, and present when `required`.
std::string AddressField(std::string_view value, std::string_view field, std::size_t max,
                         bool required, std::vector<FieldError>& errors) {
  std::string_view v = Trim(value);
  bool control =
      std::any_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; });
  if (required && v.empty())
    errors.push_back({std::string(field), "is required"});
  else if (v.size() > max || !IsValidUtf8(v) || control)
    errors.push_back({std::string(field), "must be at most " + std::to_string(max) +
                                              " bytes of UTF-8 without control characters"});
  return std::string(v);
}

// An ISO 3166-1 alpha-2 code in upper case ("de" -> "DE"), or "" if `text`
// is not two ASCII letters.
std::string CountryCode(std::string_view text) {
  std::string code = AsciiLower(Trim(text));
  if (code.size() != 2) return "";
  for (char& c : code) {
    if (c < 'a' || c > 'z') return "";
    c = static_cast<char>(c - 'a' + 'A');
  }
  return code;
}

Result<AddressInput> NormalisedAddress(const AddressInput& in) {
  std::vector<FieldError> errors;
  AddressInput a;
  a.name = AddressField(in.name, "name", 200, true, errors);
  a.company = AddressField(in.company, "company", 200, false, errors);
  a.line1 = AddressField(in.line1, "line1", 200, true, errors);
  a.line2 = AddressField(in.line2, "line2", 200, false, errors);
  a.city = AddressField(in.city, "city", 100, true, errors);
  a.region = AddressField(in.region, "region", 100, false, errors);
  a.postal_code = AddressField(in.postal_code, "postal_code", 20, false, errors);
  a.phone = AddressField(in.phone, "phone", 32, false, errors);
  a.country = CountryCode(in.country);
  if (a.country.empty())
    errors.push_back({"country", "must be an ISO 3166-1 alpha-2 code such as DE"});
  if (!errors.empty()) return Error::Invalid("the address is not valid", std::move(errors));
  return a;
}

// Runs `sql` with $1 the address id, $2 the customer id, $3..$11 the fields
// in AddressInput order and $12 the time.
void WriteAddress(Transaction& tx, std::string_view sql, std::string_view id,
                  std::string_view customer_id, const AddressInput& a, std::string_view now) {
  tx.Exec(sql, {id, customer_id, std::string_view(a.name), std::string_view(a.company),
                std::string_view(a.line1), std::string_view(a.line2), std::string_view(a.city),
                std::string_view(a.region), std::string_view(a.postal_code),
                std::string_view(a.country), std::string_view(a.phone), now});
}

std::optional<Address> LoadAddress(Transaction& tx, std::string_view customer_id,
                                   std::string_view address_id) {
  auto rows = tx.Query(std::string(kAddressColumns) + "WHERE id = $1 AND customer_id = $2",
                       {address_id, customer_id});
  if (!rows->Next()) return std::nullopt;
  return ReadAddress(*rows);
}

}  // namespace

const char* ToString(CustomerStatus s) {
  switch (s) {
    case CustomerStatus::kActive:
      return "active";
    case CustomerStatus::kDisabled:
      return "disabled";
    case CustomerStatus::kDeleted:
      return "deleted";
  }
  return "active";
}

std::optional<CustomerStatus> ParseCustomerStatus(std::string_view s) {
  if (s == "active") return CustomerStatus::kActive;
  if (s == "disabled") return CustomerStatus::kDisabled;
  if (s == "deleted") return CustomerStatus::kDeleted;
  return std::nullopt;
}

CustomerService::CustomerService(store::Database& db, std::shared_ptr<Clock> clock,
                                 std::shared_ptr<IdGenerator> ids,
                                 std::shared_ptr<PasswordHasher> hasher, AuthOptions options)
    : db_(db),
      clock_(std::move(clock)),
      ids_(std::move(ids)),
      hasher_(std::move(hasher)),
      options_(options) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

Result<Customer> CustomerService::Register(const RegisterInput& input,
                                           std::string_view client_addr) {
  std::vector<FieldError> errors;
  CheckEmail(input.email, "email", errors);
  CheckName(input.name, "name", errors);
  if (Status rules = CheckPasswordRules(input.password); !rules.ok())
    errors.insert(errors.end(), rules.error().fields.begin(), rules.error().fields.end());
  if (!errors.empty()) return Error::Invalid("the registration is not valid", std::move(errors));

  const std::string email_key = EmailKey(input.email);
  // Every attempt counts against the address, so that `email_taken` answers
  // cannot be farmed to learn who has an account.
  const std::string address_key = RegisterAddressKey(client_addr);
  ECOM_TRY(store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    TimePoint now = clock_->Now();
    ECOM_TRY(CheckThrottle(tx, {address_key}, now));
    CountFailure(tx, address_key, options_.register_per_address, now);
    return Ok();
  }));
  // A taken email is refused before paying for a hash.
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    if (EmailTaken(*tx, email_key)) return EmailTakenError();
  }
  ECOM_ASSIGN_OR_RETURN(std::string hash, hasher_->Hash(input.password));

  return MapEmailRace([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Customer> {
      if (EmailTaken(tx, email_key)) return EmailTakenError();
      Customer c;
      c.id = ids_->Next("cus");
      c.email = std::string(Trim(input.email));
      c.name = std::string(Trim(input.name));
      c.created_at = c.updated_at = FormatTime(clock_->Now());
      tx.Exec(
          "INSERT INTO customers "
          "(id, email, email_key, name, password_hash, status, created_at, updated_at) "
          "VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
          {std::string_view(c.id), std::string_view(*c.email), std::string_view(email_key),
           std::string_view(c.name), std::string_view(hash), std::string_view(c.created_at)});
      events::Append(tx, *ids_, *clock_, "customer.registered", "customer", c.id,
                     {{"customer_id", c.id}, {"email", *c.email}, {"name", c.name}});
      return c;
    });
  });
}

Result<Customer> CustomerService::Get(std::string_view customer_id) {
  auto tx = db_.Begin(store::TxMode::kRead);
  auto c = LoadCustomer(*tx, customer_id);
  if (!c) return CustomerNotFound();
  return *c;
}

Result<Customer> CustomerService::Update(std::string_view customer_id, const CustomerPatch& patch) {
  std::vector<FieldError> errors;
  if (patch.name) CheckName(*patch.name, "name", errors);
  if (patch.email) CheckEmail(*patch.email, "email", errors);
  if (!errors.empty())
    return Error::Invalid("the account changes are not valid", std::move(errors));

  return MapEmailRace([&] {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Customer> {
      auto found = LoadCustomer(tx, customer_id);
      if (!found) return CustomerNotFound();
      Customer c = *found;
      if (c.status == CustomerStatus::kDeleted) return AccountDeleted();
      nlohmann::json changed = nlohmann::json::array();
      if (patch.name && Trim(*patch.name) != c.name) {
        c.name = std::string(Trim(*patch.name));
        changed.push_back("name");
      }
      std::string email_key = EmailKey(c.email.value_or(""));
      if (patch.email && Trim(*patch.email) != c.email.value_or("")) {
        email_key = EmailKey(*patch.email);
        if (EmailTaken(tx, email_key, c.id)) return EmailTakenError();
        c.email = std::string(Trim(*patch.email));
        changed.push_back("email");
      }
      if (changed.empty()) return c;
      c.updated_at = FormatTime(clock_->Now());
      tx.Exec(
          "UPDATE customers SET name = $2, email = $3, email_key = $4, updated_at = $5 "
          "WHERE id = $1",
          {std::string_view(c.id), std::string_view(c.name), std::string_view(*c.email),
           std::string_view(email_key), std::string_view(c.updated_at)});
      // Lets notifications tell the account holder (at the old address too).
      events::Append(tx, *ids_, *clock_, "customer.updated", "customer", c.id,
                     {{"customer_id", c.id}, {"changed", changed}});
      return c;
    });
  });
}

Status CustomerService::ChangePassword(std::string_view customer_id,
                                       std::string_view keep_session_id,
                                       std::string_view current_password,
                                       std::string_view new_password) {
  ECOM_TRY(CheckPasswordRules(new_password, "new_password"));
  std::string old_hash, email_key;
  {
    auto tx = db_.Begin(store::TxMode::kRead);
    auto rows = tx->Query(
        "SELECT password_hash, email_key FROM customers WHERE id = $1 AND status = 'active'",
        {customer_id});
    if (!rows->Next()) return CustomerNotFound();
    old_hash = rows->OptText(0).value_or("");
    email_key = rows->OptText(1).value_or("");
    rows.reset();
    // A stolen session must not become a way around the login throttle.
    ECOM_TRY(CheckThrottle(*tx, {LoginAccountKey(email_key)}, clock_->Now()));
  }
  ECOM_ASSIGN_OR_RETURN(bool matched, hasher_->Verify(old_hash, current_password));
  if (!matched) {
    ECOM_TRY(store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
      CountFailure(tx, LoginAccountKey(email_key), options_.login_per_account, clock_->Now());
      return Ok();
    }));
    return Error{ErrorCode::kInvalidArgument,
                 "wrong_password",
                 "the current password is not correct",
                 {{"current_password", "is not correct"}}};
  }
  ECOM_ASSIGN_OR_RETURN(std::string new_hash, hasher_->Hash(new_password));

  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    TimePoint now = clock_->Now();
    std::string now_text = FormatTime(now);
    // Only if the hash is still the one just checked: two concurrent changes
    // must not both win.
    if (tx.Exec("UPDATE customers SET password_hash = $2, updated_at = $3 "
                "WHERE id = $1 AND password_hash = $4 AND status = 'active'",
                {customer_id, std::string_view(new_hash), std::string_view(now_text),
                 std::string_view(old_hash)}) == 0)
      return Error::Conflict("password_changed", "the password was changed meanwhile; try again");
    RevokeSessions(tx, "customer", customer_id, now, keep_session_id);
    tx.Exec("UPDATE password_resets SET used_at = $2 WHERE customer_id = $1 AND used_at IS NULL",
            {customer_id, std::string_view(now_text)});
    events::Append(tx, *ids_, *clock_, "customer.password_changed", "customer",
                   std::string(customer_id),
                   {{"customer_id", std::string(customer_id)}, {"via", "change"}});
    return Ok();
  });
}

Status CustomerService::Delete(std::string_view customer_id) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    auto c = LoadCustomer(tx, customer_id);
    if (!c || c->status == CustomerStatus::kDeleted) return CustomerNotFound();
    TimePoint now = clock_->Now();
    std::string now_text = FormatTime(now);
    std::string email_key = EmailKey(c->email.value_or(""));
    tx.Exec(
        "UPDATE customers SET email = NULL, email_key = NULL, name = '', password_hash = NULL, "
        "status = 'deleted', deleted_at = $2, updated_at = $2 WHERE id = $1",
        {customer_id, std::string_view(now_text)});
    tx.Exec("DELETE FROM customer_addresses WHERE customer_id = $1", {customer_id});
    tx.Exec("DELETE FROM password_resets WHERE customer_id = $1", {customer_id});
    RevokeSessions(tx, "customer", customer_id, now);
    // The throttle keys name the email: they go with the rest.
    ClearThrottle(tx, LoginAccountKey(email_key));
    ClearThrottle(tx, ResetAccountKey(email_key));
    events::Append(tx, *ids_, *clock_, "customer.deleted", "customer", std::string(customer_id),
                   {{"customer_id", std::string(customer_id)}});
    return Ok();
  });
}

Result<std::vector<Address>> CustomerService::ListAddresses(std::string_view customer_id) {
  auto tx = db_.Begin(store::TxMode::kRead);
  ECOM_TRY(RequireLiveCustomer(*tx, customer_id));
  std::vector<Address> out;
  auto rows =
      tx->Query(std::string(kAddressColumns) + "WHERE customer_id = $1 ORDER BY id", {customer_id});
  while (rows->Next()) out.push_back(ReadAddress(*rows));
  return out;
}

Result<Address> CustomerService::GetAddress(std::string_view customer_id,
                                            std::string_view address_id) {
  auto tx = db_.Begin(store::TxMode::kRead);
  auto a = LoadAddress(*tx, customer_id, address_id);
  if (!a) return AddressNotFound();
  return *a;
}

Result<Address> CustomerService::AddAddress(std::string_view customer_id,
                                            const AddressInput& input) {
  ECOM_ASSIGN_OR_RETURN(AddressInput clean, NormalisedAddress(input));
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Address> {
    ECOM_TRY(RequireLiveCustomer(tx, customer_id));
    auto count =
        tx.Query("SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1", {customer_id});
    count->Next();
    if (count->Int(0) >= kMaxAddresses)
      return Error{ErrorCode::kResourceExhausted,
                   "too_many_addresses",
                   "an address book holds at most " + std::to_string(kMaxAddresses) + " addresses",
                   {}};
    count.reset();
    Address a;
    static_cast<AddressInput&>(a) = clean;
    a.id = ids_->Next("adr");
    a.created_at = a.updated_at = FormatTime(clock_->Now());
    WriteAddress(tx,
                 "INSERT INTO customer_addresses (id, customer_id, name, company, line1, line2, "
                 "city, region, postal_code, country, phone, created_at, updated_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                 a.id, customer_id, a, a.created_at);
    return a;
  });
}

Result<Address> CustomerService::ReplaceAddress(std::string_view customer_id,
                                                std::string_view address_id,
                                                const AddressInput& input) {
  ECOM_ASSIGN_OR_RETURN(AddressInput clean, NormalisedAddress(input));
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Address> {
    auto found = LoadAddress(tx, customer_id, address_id);
    if (!found) return AddressNotFound();
    Address a = *found;
    static_cast<AddressInput&>(a) = clean;
    a.updated_at = FormatTime(clock_->Now());
    WriteAddress(
        tx,
        "UPDATE customer_addresses SET name = $3, company = $4, line1 = $5, line2 = $6, city = $7, "
        "region = $8, postal_code = $9, country = $10, phone = $11, updated_at = $12 "
        "WHERE id = $1 AND customer_id = $2",
        a.id, customer_id, a, a.updated_at);
    return a;
  });
}

Status CustomerService::DeleteAddress(std::string_view customer_id, std::string_view address_id) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Status {
    if (tx.Exec("DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2",
                {address_id, customer_id}) == 0)
      return AddressNotFound();
    return Ok();
  });
}

Result<CustomerPage> CustomerService::List(const CustomerQuery& query) {
  if (query.limit < 1 || query.limit > 250)
    return Error::Invalid("limit must be 1..250", {{"limit", "must be between 1 and 250"}});
  // The cursor is the id of the last customer seen; ids sort by creation.
  if (!query.cursor.empty() && !query.cursor.starts_with("cus_"))
    return Error::Invalid("the cursor is not valid", {{"cursor", "is not valid"}});
  std::string status = query.status ? ToString(*query.status) : "";
  auto tx = db_.Begin(store::TxMode::kRead);
  auto rows = tx->Query(
      std::string(kCustomerColumns) +
          "WHERE ($1 = '' OR id < $1) AND ($2 = '' OR status = $2) ORDER BY id DESC LIMIT $3",
      {std::string_view(query.cursor), std::string_view(status), std::int64_t{query.limit + 1}});
  CustomerPage page;
  while (rows->Next()) page.items.push_back(ReadCustomer(*rows));
  if (static_cast<int>(page.items.size()) > query.limit) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

Result<Customer> CustomerService::Find(std::string_view id_or_email) {
  auto tx = db_.Begin(store::TxMode::kRead);
  auto c = LoadCustomerByIdOrEmail(*tx, id_or_email);
  if (!c)
    return Error::NotFound("customer_not_found", "no customer '" + std::string(id_or_email) + "'");
  return *c;
}

Result<Customer> CustomerService::Disable(std::string_view id_or_email) {
  return SetStatus(id_or_email, false);
}

Result<Customer> CustomerService::Enable(std::string_view id_or_email) {
  return SetStatus(id_or_email, true);
}

Result<Customer> CustomerService::SetStatus(std::string_view id_or_email, bool enabled) {
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<Customer> {
    auto found = LoadCustomerByIdOrEmail(tx, id_or_email);
    if (!found)
      return Error::NotFound("customer_not_found",
                             "no customer '" + std::string(id_or_email) + "'");
    Customer c = *found;
    if (c.status == CustomerStatus::kDeleted) return AccountDeleted();
    CustomerStatus wanted = enabled ? CustomerStatus::kActive : CustomerStatus::kDisabled;
    if (c.status == wanted) return c;
    c.status = wanted;
    c.updated_at = FormatTime(clock_->Now());
    tx.Exec("UPDATE customers SET status = $2, updated_at = $3 WHERE id = $1",
            {std::string_view(c.id), ToString(c.status), std::string_view(c.updated_at)});
    events::Append(tx, *ids_, *clock_, enabled ? "customer.enabled" : "customer.disabled",
                   "customer", c.id, {{"customer_id", c.id}});
    return c;
  });
}

}  // namespace ecom::auth
