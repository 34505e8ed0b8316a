// The `test` gateway: Stripe-style test tokens over records kept in the shop's
// own store, so that every ecomd process sharing the store sees one "remote".
#include "payments/test/test_gateway.h"

#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

#include "ecom/payments/webhook_signature.h"

namespace ecom::payments {
namespace {

using store::DbError;
using store::Transaction;
using store::TxMode;
using store::Value;

// The gateway's own tables. Written once for both dialects (TEXT, BIGINT and
// CHECK mean the same on each). `refunded` is the running sum of the charge's
// refunds, kept on the charge so that one conditional UPDATE settles racing
// refunds; the CHECK is a second line should that ever be bypassed.
constexpr std::array<const char*, 4> kSchema = {
    R"SQL(CREATE TABLE IF NOT EXISTS test_gateway_charges (
  idempotency_key  TEXT PRIMARY KEY,
  reference        TEXT NOT NULL UNIQUE,
  order_id         TEXT NOT NULL,
  amount           BIGINT NOT NULL CHECK (amount > 0),
  currency         TEXT NOT NULL,
  token            TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('captured', 'declined', 'requires_confirmation')),
  failure_code     TEXT NOT NULL DEFAULT '',
  brand            TEXT NOT NULL DEFAULT '',
  last4            TEXT NOT NULL DEFAULT '',
  refunded         BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
))SQL",
    "CREATE INDEX IF NOT EXISTS test_gateway_charges_by_order "
    "ON test_gateway_charges (order_id, state)",
    R"SQL(CREATE TABLE IF NOT EXISTS test_gateway_refunds (
  idempotency_key   TEXT PRIMARY KEY,
  reference         TEXT NOT NULL UNIQUE,
  charge_key        TEXT NOT NULL REFERENCES test_gateway_charges (idempotency_key),
  charge_reference  TEXT NOT NULL,
  amount            BIGINT NOT NULL CHECK (amount > 0),
  currency          TEXT NOT NULL,
  created_at        TEXT NOT NULL
))SQL",
    "CREATE INDEX IF NOT EXISTS test_gateway_refunds_by_charge "
    "ON test_gateway_refunds (charge_key)",
};

constexpr const char* kStateCaptured = "captured";
constexpr const char* kStateDeclined = "declined";
constexpr const char* kStatePending = "requires_confirmation";

// What a token does. kLost records a capture but loses the answer; kDown
// never reaches the gateway.
enum class TokenKind { kCapture, kDecline, kConfirm, kLost, kDown };

struct TestToken {
  std::string_view token;
  TokenKind kind;
  std::string_view failure_code;
  std::string_view brand;
  std::string_view last4;
};

// The public contract documented in test_gateway.h. The card details are
// those of the Stripe test cards each token stands for.
constexpr TestToken kTokens[] = {
    {"tok_visa", TokenKind::kCapture, "", "visa", "4242"},
    {"tok_mastercard", TokenKind::kCapture, "", "mastercard", "4444"},
    {"tok_amex", TokenKind::kCapture, "", "amex", "0005"},
    {"tok_chargeDeclined", TokenKind::kDecline, "card_declined", "visa", "0002"},
    {"tok_insufficientFunds", TokenKind::kDecline, "insufficient_funds", "visa", "9995"},
    {"tok_expiredCard", TokenKind::kDecline, "expired_card", "visa", "0069"},
    {"tok_requiresConfirmation", TokenKind::kConfirm, "", "visa", "3155"},
    {"tok_captureTimeout", TokenKind::kLost, "", "visa", "4242"},
    {"tok_gatewayDown", TokenKind::kDown, "", "", ""},
};

const TestToken* FindToken(std::string_view token) {
  for (const TestToken& t : kTokens)
    if (t.token == token) return &t;
  return nullptr;
}

// A raw card number (13-19 digits, perhaps grouped by spaces or dashes) must
// never reach a table, even this simulated one.
bool LooksLikeCardNumber(std::string_view token) {
  int digits = 0;
  for (char c : token) {
    if (std::isdigit(static_cast<unsigned char>(c)))
      ++digits;
    else if (c != ' ' && c != '-')
      return false;
  }
  return digits >= 13 && digits <= 19;
}

std::string FailureMessage(std::string_view code) {
  if (code == "card_declined") return "The card was declined.";
  if (code == "insufficient_funds") return "The card has insufficient funds.";
  if (code == "expired_card") return "The card has expired.";
  if (code == "invalid_token") return "The payment token is not one the test gateway knows.";
  return "The payment was declined (" + std::string(code) + ").";
}

// One row of test_gateway_charges.
struct ChargeRow {
  std::string key;
  std::string reference;
  std::string order_id;
  std::int64_t amount = 0;
  std::string currency;
  std::string token;
  std::string state;
  std::string failure_code;
  std::string brand;
  std::string last4;
  std::int64_t refunded = 0;
};

constexpr const char* kChargeColumns =
    "SELECT idempotency_key, reference, order_id, amount, currency, token, state, failure_code, "
    "brand, last4, refunded FROM test_gateway_charges ";

ChargeRow ReadCharge(const store::Rows& r) {
  return {r.Text(0), r.Text(1), r.Text(2), r.Int(3),  r.Text(4), r.Text(5),
          r.Text(6), r.Text(7), r.Text(8), r.Text(9), r.Int(10)};
}

std::optional<ChargeRow> FindCharge(Transaction& tx, std::string_view key) {
  auto rows = tx.Query(std::string(kChargeColumns) + "WHERE idempotency_key = $1", {key});
  if (!rows->Next()) return std::nullopt;
  return ReadCharge(*rows);
}

std::optional<ChargeRow> FindChargeByReference(Transaction& tx, std::string_view reference) {
  auto rows = tx.Query(std::string(kChargeColumns) + "WHERE reference = $1", {reference});
  if (!rows->Next()) return std::nullopt;
  return ReadCharge(*rows);
}

ChargeResult ToResult(const ChargeRow& row) {
  ChargeResult r;
  if (row.state == kStateCaptured)
    r.state = ChargeState::kCaptured;
  else if (row.state == kStatePending)
    r.state = ChargeState::kRequiresConfirmation;
  else
    r.state = ChargeState::kDeclined;
  r.reference = row.reference;
  r.failure_code = row.failure_code;
  if (r.state == ChargeState::kDeclined) r.failure_message = FailureMessage(row.failure_code);
  r.brand = row.brand;
  r.last4 = row.last4;
  return r;
}

// One row of test_gateway_refunds.
struct RefundRow {
  std::string reference;
  std::string charge_key;
  std::string charge_reference;
  std::int64_t amount = 0;
  std::string currency;
};

std::optional<RefundRow> FindRefund(Transaction& tx, std::string_view key) {
  auto rows = tx.Query(
      "SELECT reference, charge_key, charge_reference, amount, currency FROM test_gateway_refunds "
      "WHERE idempotency_key = $1",
      {key});
  if (!rows->Next()) return std::nullopt;
  return RefundRow{rows->Text(0), rows->Text(1), rows->Text(2), rows->Int(3), rows->Text(4)};
}

Error Unavailable(std::string reason, std::string message) {
  return Error{ErrorCode::kUnavailable, std::move(reason), std::move(message), {}};
}

Error Mismatch(std::string message) {
  return Error::Precondition("idempotency_mismatch", std::move(message));
}

Error InvalidWebhook(std::string message) {
  return Error{ErrorCode::kInvalidArgument, "invalid_webhook", std::move(message), {}};
}

// The store standing in for the remote side failed: to the caller that is a
// gateway it could not reach (retry may help) or an unexpected fault.
Error FromDbError(const DbError& e) {
  if (e.kind() == DbError::Kind::kUnavailable || e.kind() == DbError::Kind::kBusy)
    return Unavailable("gateway_unavailable", "the test gateway's store is unavailable");
  return Error::Internal(std::string("test gateway store error: ") + e.what());
}

// A repeated Charge must be the same operation as the recorded one.
Result<ChargeResult> AnswerRepeat(const ChargeRow& row, const ChargeRequest& request) {
  if (row.token != request.token || row.amount != request.amount.amount ||
      row.currency != request.amount.currency)
    return Mismatch("idempotency key '" + row.key +
                    "' was used for a charge with another token or amount");
  return ToResult(row);
}

Result<RefundResult> AnswerRepeat(const RefundRow& row, const RefundRequest& request) {
  bool same =
      row.amount == request.amount.amount && row.currency == request.amount.currency &&
      (request.charge_key.empty() || request.charge_key == row.charge_key) &&
      (request.charge_reference.empty() || request.charge_reference == row.charge_reference);
  if (!same)
    return Mismatch("idempotency key '" + request.idempotency_key +
                    "' was used for a refund of another charge or amount");
  return RefundResult{row.reference};
}

// The charge a refund names: by key, or by reference when no key is given;
// both, when given, must agree.
std::optional<ChargeRow> FindRefundedCharge(Transaction& tx, const RefundRequest& request) {
  std::optional<ChargeRow> charge = request.charge_key.empty()
                                        ? FindChargeByReference(tx, request.charge_reference)
                                        : FindCharge(tx, request.charge_key);
  if (charge && !request.charge_reference.empty() && charge->reference != request.charge_reference)
    return std::nullopt;
  return charge;
}

}  // namespace

TestGateway::TestGateway(store::Database& db, std::string webhook_secret,
                         std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids)
    : db_(db),
      webhook_secret_(std::move(webhook_secret)),
      clock_(std::move(clock)),
      ids_(std::move(ids)) {
  // Processes starting together take turns creating the tables, as they do
  // for migrations. Without the lock, the loser of two concurrent CREATE
  // ... IF NOT EXISTS on PostgreSQL fails once the winner commits, with
  // "already exists" or on the catalog's unique index depending on timing.
  auto lock = db_.LockForMigration();
  auto tx = db_.Begin(TxMode::kWrite);
  for (const char* sql : kSchema) tx->Exec(sql);
  tx->Commit();
}

std::string TestGateway::name() const { return "test"; }

Result<ChargeResult> TestGateway::Charge(const ChargeRequest& request) {
  if (request.idempotency_key.empty()) return Error::Invalid("a charge needs an idempotency key");
  if (request.token.empty()) return Error::Invalid("a charge needs a payment token");
  if (LooksLikeCardNumber(request.token))
    return Error{ErrorCode::kInvalidArgument,
                 "card_number_refused",
                 "card numbers are not accepted; send a payment token",
                 {}};
  if (request.amount.amount <= 0) return Error::Invalid("a charge's amount must be positive");
  if (request.amount.currency.empty()) return Error::Invalid("a charge needs a currency");

  const TestToken* token = FindToken(request.token);
  // Unreachable: the gateway never hears of this attempt, so nothing is read
  // or recorded, whatever the key was used for before.
  if (token && token->kind == TokenKind::kDown)
    return Unavailable("gateway_unavailable", "the test gateway could not be reached");

  try {
    ChargeRow row;
    row.key = request.idempotency_key;
    row.reference = ids_->Next("ch");
    row.order_id = request.order_id;
    row.amount = request.amount.amount;
    row.currency = request.amount.currency;
    row.token = request.token;
    if (!token) {
      row.state = kStateDeclined;
      row.failure_code = "invalid_token";
    } else {
      row.state = token->kind == TokenKind::kDecline   ? kStateDeclined
                  : token->kind == TokenKind::kConfirm ? kStatePending
                                                       : kStateCaptured;
      row.failure_code = token->failure_code;
      row.brand = token->brand;
      row.last4 = token->last4;
    }

    std::string now = FormatTime(clock_->Now());
    try {
      // Ordered, not flushed: the charge sits in the shop's log before
      // whatever the shop records of it, and the shop answers nobody before
      // a durable write of its own. A crash before that loses both, as if
      // the charge had never been asked for.
      db_.Write(
          [&](store::Transaction& tx) {
            tx.Send(
                "INSERT INTO test_gateway_charges (idempotency_key, reference, order_id, amount, "
                "currency, token, state, failure_code, brand, last4, refunded, created_at, "
                "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $11)",
                {row.key, row.reference, row.order_id, row.amount, row.currency, row.token,
                 row.state, row.failure_code, row.brand, row.last4, now});
            return true;
          },
          store::Durability::kOrdered);
    } catch (const DbError& e) {
      if (e.kind() != DbError::Kind::kUniqueViolation) throw;
      // A call with the same key recorded first, earlier or concurrently:
      // its charge is the one, and this call answers it. (Recording first
      // and reading only on a clash saves a read on every new charge.)
      auto tx = db_.Begin(TxMode::kRead);
      auto winner = FindCharge(*tx, request.idempotency_key);
      if (!winner) return Error::Internal("test gateway: a charge key clashed but has no row");
      return AnswerRepeat(*winner, request);
    }

    if (token && token->kind == TokenKind::kLost)
      return Unavailable("gateway_timeout",
                         "the test gateway did not answer in time; ask Status before retrying");
    return ToResult(row);
  } catch (const DbError& e) {
    return FromDbError(e);
  }
}

Result<ChargeResult> TestGateway::Status(std::string_view idempotency_key) {
  try {
    auto tx = db_.Begin(TxMode::kRead);
    if (auto row = FindCharge(*tx, idempotency_key)) return ToResult(*row);
    ChargeResult none;
    none.state = ChargeState::kNotFound;
    return none;
  } catch (const DbError& e) {
    return FromDbError(e);
  }
}

Result<RefundResult> TestGateway::Refund(const RefundRequest& request) {
  if (request.idempotency_key.empty()) return Error::Invalid("a refund needs an idempotency key");
  if (request.charge_key.empty() && request.charge_reference.empty())
    return Error::Invalid("a refund must name the charge (its key or reference)");
  if (request.amount.amount <= 0) return Error::Invalid("a refund's amount must be positive");

  try {
    return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<RefundResult> {
      if (auto prior = FindRefund(tx, request.idempotency_key))
        return AnswerRepeat(*prior, request);

      auto charge = FindRefundedCharge(tx, request);
      if (!charge || charge->state != kStateCaptured)
        return Error::Precondition("refund_exceeds_charge",
                                   "there is no captured charge to refund");
      if (charge->currency != request.amount.currency)
        return Error{ErrorCode::kInvalidArgument,
                     "currency_mismatch",
                     "the refund's currency is not the charge's (" + charge->currency + ")",
                     {}};

      // The check and the increment are one statement, so racing refunds are
      // settled by the store's row lock, never by what each of them read.
      std::string now = FormatTime(clock_->Now());
      std::int64_t changed = tx.Exec(
          "UPDATE test_gateway_charges SET refunded = refunded + CAST($1 AS BIGINT), "
          "updated_at = $2 WHERE idempotency_key = $3 AND state = 'captured' "
          "AND refunded + CAST($1 AS BIGINT) <= amount",
          {request.amount.amount, now, charge->key});
      if (changed == 0)
        return Error::Precondition("refund_exceeds_charge",
                                   "the refunds would add up to more than was captured");

      std::string reference = ids_->Next("re");
      tx.Exec(
          "INSERT INTO test_gateway_refunds (idempotency_key, reference, charge_key, "
          "charge_reference, amount, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
          {request.idempotency_key, reference, charge->key, charge->reference,
           request.amount.amount, request.amount.currency, now});
      return RefundResult{reference};
    });
  } catch (const DbError& e) {
    if (e.kind() != DbError::Kind::kUniqueViolation) return FromDbError(e);
  }
  // A concurrent refund with the same key committed first (this one's
  // increment was rolled back with it): answer that refund.
  try {
    auto tx = db_.Begin(TxMode::kRead);
    auto winner = FindRefund(*tx, request.idempotency_key);
    if (!winner) return Error::Internal("test gateway: a refund key clashed but has no row");
    return AnswerRepeat(*winner, request);
  } catch (const DbError& e) {
    return FromDbError(e);
  }
}

Result<WebhookEvent> TestGateway::ParseWebhook(std::string_view signature_header,
                                               std::string_view body, TimePoint now) {
  ECOM_TRY(VerifyWebhookSignature(signature_header, body, webhook_secret_, now));

  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object())
    return InvalidWebhook("the body is not a JSON object");
  auto text = [](const nlohmann::json& object, const char* field) -> std::optional<std::string> {
    auto it = object.find(field);
    if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      return std::nullopt;
    return it->get<std::string>();
  };
  WebhookEvent event;
  auto id = text(json, "id");
  auto type = text(json, "type");
  auto data = json.find("data");
  if (!id || !type || data == json.end() || !data->is_object())
    return InvalidWebhook("the event needs an id, a type and a data object");
  auto key = text(*data, "idempotency_key");
  if (!key) return InvalidWebhook("the event's data needs an idempotency_key");

  const char* new_state = nullptr;
  std::string failure_code;
  if (*type == "charge.succeeded") {
    new_state = kStateCaptured;
  } else if (*type == "charge.failed") {
    new_state = kStateDeclined;
    auto code = text(*data, "failure_code");
    if (!code) return InvalidWebhook("a charge.failed event needs a failure_code");
    failure_code = *code;
  } else {
    return InvalidWebhook("unknown event type '" + *type + "'");
  }

  try {
    auto recorded = store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<ChargeRow> {
      // Only a charge still awaiting confirmation moves: a duplicate or late
      // event leaves a settled charge as it is.
      tx.Exec(
          "UPDATE test_gateway_charges SET state = $1, failure_code = $2, updated_at = $3 "
          "WHERE idempotency_key = $4 AND state = 'requires_confirmation'",
          {new_state, failure_code, FormatTime(clock_->Now()), *key});
      auto row = FindCharge(tx, *key);
      if (!row)
        return Error::NotFound("unknown_charge", "the test gateway has no charge '" + *key + "'");
      return *row;
    });
    if (!recorded.ok()) return std::move(recorded).error();
    event.id = std::move(*id);
    event.type = std::move(*type);
    event.charge_key = std::move(*key);
    event.outcome = ToResult(*recorded);
    return event;
  } catch (const DbError& e) {
    return FromDbError(e);
  }
}

std::string ConfirmationWebhookBody(std::string_view event_id, std::string_view idempotency_key,
                                    bool succeeded, std::string_view failure_code) {
  nlohmann::ordered_json data = {{"idempotency_key", idempotency_key}};
  if (!succeeded) data["failure_code"] = failure_code.empty() ? "card_declined" : failure_code;
  nlohmann::ordered_json body = {{"id", event_id},
                                 {"type", succeeded ? "charge.succeeded" : "charge.failed"},
                                 {"data", std::move(data)}};
  return body.dump();
}

std::int64_t CountCaptures(store::Database& db, std::string_view order_id) {
  auto tx = db.Begin(TxMode::kRead);
  auto rows = tx->Query(
      "SELECT COUNT(*) FROM test_gateway_charges WHERE order_id = $1 AND state = 'captured'",
      {order_id});
  rows->Next();
  return rows->Int(0);
}

}  // namespace ecom::payments
