// The built-in `test` payment gateway: a simulated remote provider with
// Stripe-style test tokens, for development, demos and the engine's tests.
//
// Its "remote" records live in the shop's own store, in tables it creates
// itself (test_gateway_charges, test_gateway_refunds), because several ecomd
// processes share one store and the crash tests kill ecomd with SIGKILL: the
// gateway's memory must outlive any one process, as a real provider's does.
// It writes them in short transactions of its own, independent of any the
// caller has open, as a remote system would.
//
// Test tokens (the public contract; docs and scripts rely on them):
//
//   token                     outcome of Charge                       brand       last4
//   tok_visa                  captured                                visa        4242
//   tok_mastercard            captured                                mastercard  4444
//   tok_amex                  captured                                amex        0005
//   tok_chargeDeclined        declined, failure_code card_declined    visa        0002
//   tok_insufficientFunds     declined, insufficient_funds            visa        9995
//   tok_expiredCard           declined, expired_card                  visa        0069
//   tok_requiresConfirmation  requires_confirmation; a signed webhook  visa        3155
//                             (charge.succeeded / charge.failed) later
//                             reports the outcome
//   tok_captureTimeout        the charge IS captured at the gateway,  visa        4242
//                             but Charge answers kUnavailable
//                             `gateway_timeout` (the answer was lost);
//                             Status, or Charge again with the same
//                             key, reports it captured
//   tok_gatewayDown           kUnavailable `gateway_unavailable`, and
//                             nothing is recorded (Status: kNotFound)
//   any other token           declined, failure_code invalid_token
//
// An empty token, or one that looks like a raw card number (13-19 digits), is
// kInvalidArgument and recorded nowhere: card numbers are never stored.
//
// Webhooks: POSTed bodies of the form
//   {"id": "evt_...", "type": "charge.succeeded" | "charge.failed",
//    "data": {"idempotency_key": "...", "failure_code": "..."}}
// (failure_code with charge.failed only), signed in the `Ecom-Signature`
// header with SignWebhook(body, webhook_secret, unix time).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ecom/common/clock.h"
#include "ecom/payments/gateway.h"
#include "ecom/store/database.h"

namespace ecom::payments {

// Thread-safe: every call runs in its own store transactions, and several
// TestGateways (in one process or many) may share one store.
class TestGateway final : public PaymentGateway {
 public:
  // Creates the gateway's tables in `db` if they are missing (both dialects;
  // safe when several processes start at once). Throws store::DbError if the
  // store cannot be written: a start-up failure. `db` must outlive the gateway.
  TestGateway(store::Database& db, std::string webhook_secret, std::shared_ptr<Clock> clock,
              std::shared_ptr<IdGenerator> ids);

  // "test".
  std::string name() const override;

  // The store it was made with: its records live in the shop's own store.
  const store::Database* records_store() const override { return &db_; }

  // Charges by the token table above. The idempotency key is the charge's
  // identity at the gateway: a key seen before answers its recorded outcome
  // again (a lost-answer tok_captureTimeout charge repeated answers captured),
  // and concurrent calls with one key record one charge. The same key with
  // another token or amount is kFailedPrecondition `idempotency_mismatch`.
  // kInvalidArgument for an empty key or token, a raw card number, or an
  // amount that is not positive. A failing store is kUnavailable (the charge
  // may or may not have been recorded, as with a real network).
  Result<ChargeResult> Charge(const ChargeRequest& request) override;

  // The charge recorded under `idempotency_key` as it stands now
  // (captured, declined or requires_confirmation), or state kNotFound.
  Result<ChargeResult> Status(std::string_view idempotency_key) override;

  // Refunds part or all of a captured charge, found by request.charge_key
  // (or by charge_reference when the key is empty; when both are given they
  // must name the same charge). Idempotent by request.idempotency_key: the
  // same key answers the same refund; the same key for another charge or
  // amount is kFailedPrecondition `idempotency_mismatch`.
  // kFailedPrecondition `refund_exceeds_charge` when the refunds of the
  // charge would add up to more than was captured, or the charge is unknown or
  // not captured; concurrent refunds never exceed the charge.
  // kInvalidArgument for a non-positive amount or another currency.
  Result<RefundResult> Refund(const RefundRequest& request) override;

  // Verifies the Ecom-Signature (errors from VerifyWebhookSignature pass
  // through: kUnauthenticated `invalid_signature`, also for a stale one), reads
  // the body (kInvalidArgument `invalid_webhook` for malformed JSON, an
  // unknown type or a missing field), and applies its outcome to the charge if
  // that is still awaiting confirmation, as the remote side would have done
  // before sending it: succeeded -> captured, failed -> declined with the
  // event's failure_code. The event's `outcome` is the charge as recorded
  // after that, so a duplicate or out-of-order event reports the true current
  // state (a charge.failed arriving after the charge was captured reports
  // captured). kNotFound `unknown_charge` if no charge has that key.
  Result<WebhookEvent> ParseWebhook(std::string_view signature_header, std::string_view body,
                                    TimePoint now) override;

 private:
  store::Database& db_;
  std::string webhook_secret_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
};

// A webhook body the test gateway would send about the charge made with
// `idempotency_key`: charge.succeeded, or charge.failed with `failure_code`
// (card_declined when empty). Sign it with SignWebhook for the
// Ecom-Signature header. For tests, scripts and docs.
std::string ConfirmationWebhookBody(std::string_view event_id, std::string_view idempotency_key,
                                    bool succeeded, std::string_view failure_code = "");

// How many captured charges the test gateway holds for `order_id`; tests use
// it to prove nothing was captured twice. The gateway's tables must exist (a
// TestGateway was constructed on `db`).
std::int64_t CountCaptures(store::Database& db, std::string_view order_id);

}  // namespace ecom::payments
