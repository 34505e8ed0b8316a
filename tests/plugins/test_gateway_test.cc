// The `test` payment gateway on both stores: every documented token,
// idempotent charges and refunds under concurrency, and signed webhooks.
#include "payments/test/test_gateway.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "ecom/payments/webhook_signature.h"
#include "support/test_store.h"

namespace ecom::payments {
namespace {

constexpr const char* kSecret = "whsec_test";

class TestGatewayTest : public ::testing::TestWithParam<std::string> {
 protected:
  ChargeRequest Request(std::string key, std::string token, std::int64_t amount = 2500,
                        std::string order = "ord_1") {
    return {std::move(key), std::move(token), Money{amount, "USD"}, std::move(order),
            "Order #1001"};
  }

  Result<ChargeResult> Charge(const std::string& key, const std::string& token,
                              std::int64_t amount = 2500, const std::string& order = "ord_1") {
    return gateway_.Charge(Request(key, token, amount, order));
  }

  ChargeState StateOf(std::string_view key) { return gateway_.Status(key)->state; }

  Result<RefundResult> Refund(const std::string& key, const std::string& charge_key,
                              std::int64_t amount) {
    return gateway_.Refund({key, "", charge_key, Money{amount, "USD"}});
  }

  // Runs `work(i)` on `n` threads that start together, on connections
  // already open, so that the calls really overlap.
  template <typename Work>
  void RunTogether(int n, Work work) {
    {
      std::vector<std::unique_ptr<store::Transaction>> open;
      for (int i = 0; i < n; ++i) open.push_back(db_->Begin(store::TxMode::kRead));
    }
    std::latch start(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        work(i);
      });
    }
    for (auto& t : threads) t.join();
  }

  std::int64_t UnixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_->Now().time_since_epoch())
        .count();
  }

  // Delivers a body signed now, as the gateway would send it.
  Result<WebhookEvent> Deliver(const std::string& body) {
    return gateway_.ParseWebhook(SignWebhook(body, kSecret, UnixNow()), body, clock_->Now());
  }

  std::int64_t Count(const std::string& sql, std::string_view key) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(sql, {key});
    rows->Next();
    return rows->Int(0);
  }
  std::int64_t ChargeRows(std::string_view key) {
    return Count("SELECT COUNT(*) FROM test_gateway_charges WHERE idempotency_key = $1", key);
  }
  std::int64_t RefundedSum(std::string_view charge_key) {
    return Count("SELECT COALESCE(SUM(amount), 0) FROM test_gateway_refunds WHERE charge_key = $1",
                 charge_key);
  }

  testing::TestStore store_{GetParam()};
  std::unique_ptr<store::Database> db_ = store_.OpenMigrated(8);
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  std::shared_ptr<IdGenerator> ids_ = MakeIdGenerator(clock_);
  TestGateway gateway_{*db_, kSecret, clock_, ids_};
};

void ExpectError(const auto& result, ErrorCode code, const std::string& reason) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, code) << ToString(result.error().code);
  EXPECT_EQ(result.error().reason, reason);
}

TEST_P(TestGatewayTest, IsNamedTest) { EXPECT_EQ(gateway_.name(), "test"); }

TEST_P(TestGatewayTest, ProcessesStartingTogetherCreateTheTablesInTurn) {
  // Replicas start at once and each creates the gateway's tables if they are
  // missing. Two concurrent CREATE ... IF NOT EXISTS on PostgreSQL can fail
  // ("already exists"), so creating them waits for other processes' schema
  // work, as migrations do.
  if (GetParam() != "postgres") GTEST_SKIP() << "SQLite's write lock already serialises schema changes";
  testing::TestStore fresh(GetParam());
  auto other = fresh.OpenMigrated(1);
  auto mine = fresh.OpenMigrated(1);
  auto schema_work = other->LockForMigration();
  std::atomic<bool> created{false};
  std::thread starting([&] {
    TestGateway gateway(*mine, kSecret, clock_, ids_);
    created = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(created.load()) << "created the tables while another process changed the schema";
  schema_work.reset();
  starting.join();
  EXPECT_TRUE(created.load());
}

TEST_P(TestGatewayTest, CapturingTokensCaptureWithTheirCardDetails) {
  struct Case {
    const char* token;
    const char* brand;
    const char* last4;
  };
  for (const Case& c :
       {Case{"tok_visa", "visa", "4242"}, Case{"tok_mastercard", "mastercard", "4444"},
        Case{"tok_amex", "amex", "0005"}}) {
    SCOPED_TRACE(c.token);
    std::string key = std::string("pay_") + c.token;
    auto r = Charge(key, c.token);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->state, ChargeState::kCaptured);
    EXPECT_EQ(r->reference.rfind("ch_", 0), 0u) << r->reference;
    EXPECT_EQ(r->brand, c.brand);
    EXPECT_EQ(r->last4, c.last4);
    EXPECT_EQ(r->failure_code, "");
    EXPECT_EQ(StateOf(key), ChargeState::kCaptured);
  }
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 3);
}

TEST_P(TestGatewayTest, DecliningTokensDeclineWithTheirFailureCode) {
  struct Case {
    const char* token;
    const char* code;
  };
  for (const Case& c :
       {Case{"tok_chargeDeclined", "card_declined"},
        Case{"tok_insufficientFunds", "insufficient_funds"},
        Case{"tok_expiredCard", "expired_card"}, Case{"tok_bogus", "invalid_token"}}) {
    SCOPED_TRACE(c.token);
    std::string key = std::string("pay_") + c.token;
    auto r = Charge(key, c.token);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->state, ChargeState::kDeclined);
    EXPECT_EQ(r->failure_code, c.code);
    EXPECT_FALSE(r->failure_message.empty());
    auto status = gateway_.Status(key);
    EXPECT_EQ(status->state, ChargeState::kDeclined);
    EXPECT_EQ(status->failure_code, c.code);
  }
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 0);
}

TEST_P(TestGatewayTest, ACardNumberIsRefusedAndRecordedNowhere) {
  ExpectError(Charge("pay_1", "4242 4242 4242 4242"), ErrorCode::kInvalidArgument,
              "card_number_refused");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kNotFound);
}

TEST_P(TestGatewayTest, MalformedRequestsAreInvalid) {
  ExpectError(Charge("", "tok_visa"), ErrorCode::kInvalidArgument, "invalid_input");
  ExpectError(Charge("pay_1", ""), ErrorCode::kInvalidArgument, "invalid_input");
  ExpectError(Charge("pay_1", "tok_visa", 0), ErrorCode::kInvalidArgument, "invalid_input");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kNotFound);
}

TEST_P(TestGatewayTest, RepeatingAChargeAnswersTheFirstOutcomeAndChargesOnce) {
  auto first = Charge("pay_1", "tok_visa");
  auto again = Charge("pay_1", "tok_visa");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->state, ChargeState::kCaptured);
  EXPECT_EQ(again->reference, first->reference);
  EXPECT_EQ(ChargeRows("pay_1"), 1);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, RepeatingADeclinedChargeAnswersTheDeclineAgain) {
  auto first = Charge("pay_1", "tok_insufficientFunds");
  auto again = Charge("pay_1", "tok_insufficientFunds");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state, ChargeState::kDeclined);
  EXPECT_EQ(again->failure_code, "insufficient_funds");
  EXPECT_EQ(again->reference, first->reference);
}

TEST_P(TestGatewayTest, ReusingAKeyWithAnotherTokenOrAmountIsAMismatch) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 2500).ok());
  ExpectError(Charge("pay_1", "tok_mastercard", 2500), ErrorCode::kFailedPrecondition,
              "idempotency_mismatch");
  ExpectError(Charge("pay_1", "tok_visa", 2600), ErrorCode::kFailedPrecondition,
              "idempotency_mismatch");
  EXPECT_EQ(ChargeRows("pay_1"), 1);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, ConcurrentChargesWithOneKeyRecordOneCharge) {
  constexpr int kThreads = 8;
  std::vector<std::string> references(kThreads);
  std::atomic<int> captured{0};
  RunTogether(kThreads, [&](int i) {
    auto r = Charge("pay_race", "tok_visa");
    if (r.ok() && r->state == ChargeState::kCaptured) {
      ++captured;
      references[i] = r->reference;
    }
  });
  EXPECT_EQ(captured.load(), kThreads);
  EXPECT_EQ(std::set<std::string>(references.begin(), references.end()).size(), 1u);
  EXPECT_EQ(ChargeRows("pay_race"), 1);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, ALostAnswerIsUnavailableButTheChargeIsCaptured) {
  ExpectError(Charge("pay_1", "tok_captureTimeout"), ErrorCode::kUnavailable, "gateway_timeout");
  auto status = gateway_.Status("pay_1");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ChargeState::kCaptured);
  EXPECT_EQ(status->reference.rfind("ch_", 0), 0u);

  auto again = Charge("pay_1", "tok_captureTimeout");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->state, ChargeState::kCaptured);
  EXPECT_EQ(again->reference, status->reference);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, AGatewayThatIsDownRecordsNothing) {
  ExpectError(Charge("pay_1", "tok_gatewayDown"), ErrorCode::kUnavailable, "gateway_unavailable");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kNotFound);
  EXPECT_EQ(ChargeRows("pay_1"), 0);
}

TEST_P(TestGatewayTest, StatusOfAnUnknownKeyIsNotFound) {
  auto r = gateway_.Status("pay_never");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, ChargeState::kNotFound);
}

TEST_P(TestGatewayTest, TheRecordsOutliveTheGatewayObject) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa").ok());
  TestGateway another(*db_, kSecret, clock_, ids_);  // tables exist: created only if missing
  EXPECT_EQ(another.Status("pay_1")->state, ChargeState::kCaptured);
}

// Webhooks.

TEST_P(TestGatewayTest, ASucceededWebhookCapturesAChargeAwaitingConfirmation) {
  auto r = Charge("pay_1", "tok_requiresConfirmation");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, ChargeState::kRequiresConfirmation);
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kRequiresConfirmation);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 0);

  auto event = Deliver(ConfirmationWebhookBody("evt_1", "pay_1", true));
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->id, "evt_1");
  EXPECT_EQ(event->type, "charge.succeeded");
  EXPECT_EQ(event->charge_key, "pay_1");
  EXPECT_EQ(event->outcome.state, ChargeState::kCaptured);
  EXPECT_EQ(event->outcome.reference, r->reference);
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kCaptured);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, AFailedWebhookDeclinesAChargeAwaitingConfirmation) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  auto event = Deliver(ConfirmationWebhookBody("evt_1", "pay_1", false, "authentication_failed"));
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->type, "charge.failed");
  EXPECT_EQ(event->outcome.state, ChargeState::kDeclined);
  EXPECT_EQ(event->outcome.failure_code, "authentication_failed");
  auto status = gateway_.Status("pay_1");
  EXPECT_EQ(status->state, ChargeState::kDeclined);
  EXPECT_EQ(status->failure_code, "authentication_failed");
}

TEST_P(TestGatewayTest, ADuplicateWebhookReportsTheSameOutcome) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  std::string body = ConfirmationWebhookBody("evt_1", "pay_1", true);
  ASSERT_TRUE(Deliver(body).ok());
  auto again = Deliver(body);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->outcome.state, ChargeState::kCaptured);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 1);
}

TEST_P(TestGatewayTest, ALateFailedWebhookReportsTheChargeAsCaptured) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  ASSERT_TRUE(Deliver(ConfirmationWebhookBody("evt_2", "pay_1", true)).ok());
  auto late = Deliver(ConfirmationWebhookBody("evt_1", "pay_1", false, "card_declined"));
  ASSERT_TRUE(late.ok()) << late.error().message;
  EXPECT_EQ(late->type, "charge.failed");
  EXPECT_EQ(late->outcome.state, ChargeState::kCaptured);
  EXPECT_EQ(late->outcome.failure_code, "");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kCaptured);
}

TEST_P(TestGatewayTest, AWebhookDoesNotMoveAChargeThatNeverAwaitedConfirmation) {
  ASSERT_TRUE(Charge("pay_1", "tok_chargeDeclined").ok());
  auto event = Deliver(ConfirmationWebhookBody("evt_1", "pay_1", true));
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event->outcome.state, ChargeState::kDeclined);
  EXPECT_EQ(CountCaptures(*db_, "ord_1"), 0);
}

TEST_P(TestGatewayTest, AWebhookWithABadSignatureIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  std::string body = ConfirmationWebhookBody("evt_1", "pay_1", true);
  ExpectError(
      gateway_.ParseWebhook(SignWebhook(body, "whsec_other", UnixNow()), body, clock_->Now()),
      ErrorCode::kUnauthenticated, "invalid_signature");
  std::string tampered = ConfirmationWebhookBody("evt_1", "pay_1", true) + " ";
  ExpectError(gateway_.ParseWebhook(SignWebhook(body, kSecret, UnixNow()), tampered, clock_->Now()),
              ErrorCode::kUnauthenticated, "invalid_signature");
  ExpectError(gateway_.ParseWebhook("", body, clock_->Now()), ErrorCode::kUnauthenticated,
              "invalid_signature");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kRequiresConfirmation);
}

TEST_P(TestGatewayTest, AStaleWebhookIsRefused) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  std::string body = ConfirmationWebhookBody("evt_1", "pay_1", true);
  ExpectError(
      gateway_.ParseWebhook(SignWebhook(body, kSecret, UnixNow() - 301), body, clock_->Now()),
      ErrorCode::kUnauthenticated, "invalid_signature");
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kRequiresConfirmation);
  // Just inside the window it is accepted.
  EXPECT_TRUE(
      gateway_.ParseWebhook(SignWebhook(body, kSecret, UnixNow() - 299), body, clock_->Now()).ok());
}

TEST_P(TestGatewayTest, AWebhookBodyTheGatewayWouldNeverSendIsInvalid) {
  ASSERT_TRUE(Charge("pay_1", "tok_requiresConfirmation").ok());
  for (const char* body :
       {"not json", "[]", R"({"type":"charge.succeeded","data":{"idempotency_key":"pay_1"}})",
        R"({"id":"evt_1","type":"charge.refunded","data":{"idempotency_key":"pay_1"}})",
        R"({"id":"evt_1","type":"charge.succeeded","data":{}})",
        R"({"id":"evt_1","type":"charge.succeeded"})",
        R"({"id":"evt_1","type":"charge.failed","data":{"idempotency_key":"pay_1"}})",
        R"({"id":"evt_1","type":"charge.succeeded","data":{"idempotency_key":7}})"}) {
    SCOPED_TRACE(body);
    ExpectError(Deliver(body), ErrorCode::kInvalidArgument, "invalid_webhook");
  }
  EXPECT_EQ(StateOf("pay_1"), ChargeState::kRequiresConfirmation);
}

TEST_P(TestGatewayTest, AWebhookAboutAnUnknownChargeIsNotFound) {
  ExpectError(Deliver(ConfirmationWebhookBody("evt_1", "pay_ghost", true)), ErrorCode::kNotFound,
              "unknown_charge");
}

TEST_P(TestGatewayTest, TheConfirmationBodyHasTheDocumentedShape) {
  EXPECT_EQ(ConfirmationWebhookBody("evt_1", "pay_1", true),
            R"({"id":"evt_1","type":"charge.succeeded","data":{"idempotency_key":"pay_1"}})");
  EXPECT_EQ(
      ConfirmationWebhookBody("evt_2", "pay_1", false),
      R"({"id":"evt_2","type":"charge.failed","data":{"idempotency_key":"pay_1","failure_code":"card_declined"}})");
}

// Refunds.

TEST_P(TestGatewayTest, PartialRefundsMayAddUpToTheCharge) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 1000).ok());
  auto first = Refund("ref_1", "pay_1", 400);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->reference.rfind("re_", 0), 0u) << first->reference;
  auto rest = Refund("ref_2", "pay_1", 600);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_NE(rest->reference, first->reference);
  EXPECT_EQ(RefundedSum("pay_1"), 1000);
  ExpectError(Refund("ref_3", "pay_1", 1), ErrorCode::kFailedPrecondition, "refund_exceeds_charge");
}

TEST_P(TestGatewayTest, AFullRefundAtOnceIsAccepted) {
  auto charge = Charge("pay_1", "tok_visa", 1000);
  auto r = gateway_.Refund({"ref_1", charge->reference, "pay_1", Money{1000, "USD"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(RefundedSum("pay_1"), 1000);
}

TEST_P(TestGatewayTest, RefundingMoreThanWasCapturedIsRefusedAndRecordsNothing) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 1000).ok());
  ExpectError(Refund("ref_1", "pay_1", 1001), ErrorCode::kFailedPrecondition,
              "refund_exceeds_charge");
  EXPECT_EQ(RefundedSum("pay_1"), 0);
  EXPECT_TRUE(Refund("ref_1", "pay_1", 1000).ok());  // the key was not spent by the refusal
}

TEST_P(TestGatewayTest, RepeatingARefundAnswersTheSameRefund) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 1000).ok());
  auto first = Refund("ref_1", "pay_1", 700);
  auto again = Refund("ref_1", "pay_1", 700);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->reference, first->reference);
  EXPECT_EQ(RefundedSum("pay_1"), 700);
  ExpectError(Refund("ref_1", "pay_1", 100), ErrorCode::kFailedPrecondition,
              "idempotency_mismatch");
}

TEST_P(TestGatewayTest, OnlyACapturedChargeCanBeRefunded) {
  ASSERT_TRUE(Charge("pay_declined", "tok_chargeDeclined").ok());
  ASSERT_TRUE(Charge("pay_pending", "tok_requiresConfirmation").ok());
  ExpectError(Refund("ref_1", "pay_declined", 100), ErrorCode::kFailedPrecondition,
              "refund_exceeds_charge");
  ExpectError(Refund("ref_2", "pay_pending", 100), ErrorCode::kFailedPrecondition,
              "refund_exceeds_charge");
  ExpectError(Refund("ref_3", "pay_ghost", 100), ErrorCode::kFailedPrecondition,
              "refund_exceeds_charge");
}

TEST_P(TestGatewayTest, ARefundFindsTheChargeByReferenceAndChecksBothAgree) {
  auto a = Charge("pay_a", "tok_visa", 1000);
  auto b = Charge("pay_b", "tok_visa", 1000);
  EXPECT_TRUE(gateway_.Refund({"ref_1", a->reference, "", Money{100, "USD"}}).ok());
  EXPECT_EQ(RefundedSum("pay_a"), 100);
  ExpectError(gateway_.Refund({"ref_2", b->reference, "pay_a", Money{100, "USD"}}),
              ErrorCode::kFailedPrecondition, "refund_exceeds_charge");
  ExpectError(gateway_.Refund({"ref_3", a->reference, "pay_a", Money{100, "EUR"}}),
              ErrorCode::kInvalidArgument, "currency_mismatch");
}

TEST_P(TestGatewayTest, ConcurrentRefundsNeverExceedTheCharge) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 1000).ok());
  constexpr int kThreads = 8;
  std::atomic<int> accepted{0}, refused{0};
  RunTogether(kThreads, [&](int i) {
    auto r = Refund("ref_" + std::to_string(i), "pay_1", 300);
    if (r.ok())
      ++accepted;
    else if (r.error().reason == "refund_exceeds_charge")
      ++refused;
  });
  EXPECT_EQ(accepted.load(), 3);
  EXPECT_EQ(refused.load(), kThreads - 3);
  EXPECT_EQ(RefundedSum("pay_1"), 900);
  EXPECT_EQ(Count("SELECT refunded FROM test_gateway_charges WHERE idempotency_key = $1", "pay_1"),
            900);
}

TEST_P(TestGatewayTest, ConcurrentRefundsWithOneKeyRefundOnce) {
  ASSERT_TRUE(Charge("pay_1", "tok_visa", 1000).ok());
  constexpr int kThreads = 8;
  std::vector<std::string> references(kThreads);
  RunTogether(kThreads, [&](int i) {
    auto r = Refund("ref_same", "pay_1", 300);
    if (r.ok()) references[i] = r->reference;
  });
  std::set<std::string> distinct(references.begin(), references.end());
  EXPECT_EQ(distinct.size(), 1u);
  EXPECT_FALSE(distinct.begin()->empty());
  EXPECT_EQ(RefundedSum("pay_1"), 300);
}

INSTANTIATE_TEST_SUITE_P(Stores, TestGatewayTest, ::testing::ValuesIn(testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::payments
