// The interface every payment gateway implements. Gateways are plugins
// (plugins/payments/); the engine talks to them only through this.
//
// Checkout authorizes and captures in one step (Charge). The engine passes
// its own idempotency key on every charge and refund: a gateway must treat a
// repeated key as the same operation and answer its first outcome again, never
// move money twice. Calls may block on the network; the engine never holds a
// store transaction or lock across one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/common/money.h"
#include "ecom/common/result.h"

namespace ecom::store {
class Database;
}

namespace ecom::payments {

// Where a charge stands at the gateway.
enum class ChargeState {
  kCaptured,              // the money is taken
  kDeclined,              // refused; failure_code says why (card_declined, insufficient_funds, ...)
  kRequiresConfirmation,  // the payer must confirm (3-D Secure); a webhook reports the outcome
  kNotFound,              // Status only: the gateway never saw this idempotency key
};
const char* ToString(ChargeState s);

struct ChargeRequest {
  std::string idempotency_key;  // the engine's payment id; the same key never charges twice
  std::string token;            // the payment method token from the client (tok_..., pm_...)
  Money amount;
  std::string order_id;         // for the gateway's records and webhooks
  std::string description;      // "Order #1001"
};

struct ChargeResult {
  ChargeState state = ChargeState::kDeclined;
  std::string reference;        // the gateway's id of the charge (ch_...)
  std::string failure_code;     // kDeclined: card_declined, insufficient_funds, ...
  std::string failure_message;  // kDeclined: for people
  // Card details the gateway reports (never the number): kept encrypted.
  std::string brand;            // visa, mastercard, ...
  std::string last4;
};

struct RefundRequest {
  std::string idempotency_key;  // the engine's refund id
  std::string charge_reference; // ChargeResult::reference
  std::string charge_key;       // the idempotency key the charge was made with
  Money amount;
};

struct RefundResult {
  std::string reference;  // the gateway's id of the refund (re_...)
};

// What a verified webhook says happened.
struct WebhookEvent {
  std::string id;               // the gateway's event id; events may arrive twice or out of order
  std::string type;             // the gateway's own type name, for the record
  std::string charge_key;       // the idempotency key of the charge it is about
  ChargeResult outcome;         // the charge's state as the event reports it
};

class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;

  // The name it is configured and addressed by (`test`, `stripe`): webhooks
  // arrive at /v1/webhooks/{name}.
  virtual std::string name() const = 0;

  // Authorizes and captures `request.amount`. kUnavailable when the gateway
  // could not be reached or its answer was lost: the charge may or may not
  // have happened, and the caller must ask Status before charging again.
  // Other errors are kInvalidArgument (a malformed token) or kInternal.
  virtual Result<ChargeResult> Charge(const ChargeRequest& request) = 0;

  // The charge made with `idempotency_key`, as the gateway knows it now
  // (kNotFound state if it never saw the key). kUnavailable if unreachable.
  virtual Result<ChargeResult> Status(std::string_view idempotency_key) = 0;

  // Refunds part or all of a captured charge. Idempotent by key.
  // kFailedPrecondition when the gateway refuses (more than captured).
  virtual Result<RefundResult> Refund(const RefundRequest& request) = 0;

  // The shop's own store, when the gateway keeps its records there (the
  // built-in test gateway); null for a gateway elsewhere. A charge recorded
  // in the shop's store lands in its log after everything the shop committed
  // before asking for it, so the shop need not wait for its payment attempt
  // to be durable first (Durability::kOrdered): a crash that lost the attempt
  // lost the charge with it. A gateway elsewhere may keep a charge the shop
  // lost, so the attempt must be durable before it is asked.
  virtual const store::Database* records_store() const { return nullptr; }

  // Checks the signature of a webhook and reads it. kUnauthenticated
  // `invalid_signature` for a bad or stale signature; kInvalidArgument for a
  // body the gateway would never send.
  virtual Result<WebhookEvent> ParseWebhook(std::string_view signature_header, std::string_view body,
                                            TimePoint now) = 0;
};

}  // namespace ecom::payments
