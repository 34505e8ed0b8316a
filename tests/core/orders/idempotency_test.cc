// The Idempotency-Key store on both stores: claim, peek, store, release,
// takeover after the lease, mismatch and purge.
#include "ecom/store/idempotency.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/test_store.h"

namespace ecom::store {
namespace {

using Kind = IdempotencyClaim::Kind;

class IdempotencyTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Claims in a transaction of its own, committed whatever the outcome (as a
  // use case that found nothing to do commits nothing else).
  IdempotencyClaim Claim(const IdempotencyRequest& r, std::string_view resource = "") {
    auto tx = db_->Begin(TxMode::kWrite);
    auto claim = ClaimIdempotencyKey(*tx, r, resource, *clock_);
    tx->Commit();
    return claim;
  }

  IdempotencyClaim Peek(const IdempotencyRequest& r) {
    auto tx = db_->Begin(TxMode::kRead);
    return PeekIdempotencyKey(*tx, r, *clock_);
  }

  std::int64_t Rows() {
    auto tx = db_->Begin(TxMode::kRead);
    auto rows = tx->Query("SELECT COUNT(*) FROM idempotency_keys");
    rows->Next();
    return rows->Int(0);
  }

  ecom::testing::TestStore store_{GetParam()};
  std::unique_ptr<Database> db_ = store_.OpenMigrated(8);
  std::shared_ptr<ecom::testing::FakeClock> clock_ = std::make_shared<ecom::testing::FakeClock>();
  IdempotencyRequest req_{"customer:cus_1", "key-1", "fp-a"};
};

TEST_P(IdempotencyTest, AnUnknownKeyIsClaimedOnceThenInProgress) {
  EXPECT_EQ(Peek(req_).kind, Kind::kClaimed);  // unknown: free to claim
  EXPECT_EQ(Claim(req_, "ord_1").kind, Kind::kClaimed);
  EXPECT_EQ(Rows(), 1);
  auto second = Claim(req_, "ord_2");
  EXPECT_EQ(second.kind, Kind::kInProgress);
  EXPECT_FALSE(second.resource_id.has_value());
  EXPECT_EQ(Peek(req_).kind, Kind::kInProgress);
  EXPECT_EQ(Rows(), 1);
}

TEST_P(IdempotencyTest, AClaimRolledBackWithItsUseCaseLeavesNoTrace) {
  {
    auto tx = db_->Begin(TxMode::kWrite);
    EXPECT_EQ(ClaimIdempotencyKey(*tx, req_, "ord_1", *clock_).kind, Kind::kClaimed);
    // no commit: the use case failed
  }
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(Claim(req_).kind, Kind::kClaimed);
}

TEST_P(IdempotencyTest, AnotherBodyIsAMismatchWhateverTheState) {
  ASSERT_EQ(Claim(req_).kind, Kind::kClaimed);
  IdempotencyRequest other = req_;
  other.fingerprint = "fp-b";
  EXPECT_EQ(Claim(other).kind, Kind::kMismatch);
  EXPECT_EQ(Peek(other).kind, Kind::kMismatch);
  StoreIdempotentResponse(*db_, req_, {201, "{}"}, *clock_);
  EXPECT_EQ(Claim(other).kind, Kind::kMismatch);
  clock_->Advance(kIdempotencyLease + std::chrono::seconds(1));
  EXPECT_EQ(Claim(other).kind, Kind::kMismatch);
}

TEST_P(IdempotencyTest, AStoredResponseIsReplayedAndNeverOverwritten) {
  ASSERT_EQ(Claim(req_, "ord_1").kind, Kind::kClaimed);
  StoreIdempotentResponse(*db_, req_, {201, R"({"id":"ord_1"})"}, *clock_);
  auto replay = Claim(req_);
  EXPECT_EQ(replay.kind, Kind::kReplay);
  EXPECT_EQ(replay.response.status, 201);
  EXPECT_EQ(replay.response.body, R"({"id":"ord_1"})");
  auto peek = Peek(req_);
  EXPECT_EQ(peek.kind, Kind::kReplay);
  EXPECT_EQ(peek.response.body, R"({"id":"ord_1"})");

  StoreIdempotentResponse(*db_, req_, {500, "oops"}, *clock_);
  replay = Claim(req_);
  EXPECT_EQ(replay.kind, Kind::kReplay);
  EXPECT_EQ(replay.response.status, 201);
  EXPECT_EQ(replay.response.body, R"({"id":"ord_1"})");
  // Long after the lease it is still a replay, not a takeover.
  clock_->Advance(std::chrono::hours(1));
  EXPECT_EQ(Claim(req_).kind, Kind::kReplay);
  // A release does not reopen a completed key.
  ReleaseIdempotencyKey(*db_, req_);
  EXPECT_EQ(Claim(req_).kind, Kind::kReplay);
}

TEST_P(IdempotencyTest, AResponseMayBeStoredForAKeyThatWasNeverClaimed) {
  // A use case that rolled back (a 409 for stock that ran out) records its answer.
  StoreIdempotentResponse(*db_, req_, {409, R"({"reason":"insufficient_stock"})"}, *clock_);
  auto replay = Claim(req_);
  EXPECT_EQ(replay.kind, Kind::kReplay);
  EXPECT_EQ(replay.response.status, 409);
  IdempotencyRequest other = req_;
  other.fingerprint = "fp-b";
  EXPECT_EQ(Claim(other).kind, Kind::kMismatch);
}

TEST_P(IdempotencyTest, AResponseWithAnotherBodyDoesNotCompleteTheKey) {
  ASSERT_EQ(Claim(req_, "ord_1").kind, Kind::kClaimed);
  IdempotencyRequest other = req_;
  other.fingerprint = "fp-b";
  StoreIdempotentResponse(*db_, other, {201, "other"}, *clock_);
  EXPECT_EQ(Claim(req_).kind, Kind::kInProgress);
  StoreIdempotentResponse(*db_, req_, {201, "mine"}, *clock_);
  EXPECT_EQ(Claim(req_).response.body, "mine");
}

TEST_P(IdempotencyTest, AfterTheLeaseARetryTakesOverWithTheResource) {
  ASSERT_EQ(Claim(req_, "ord_first").kind, Kind::kClaimed);
  clock_->Advance(kIdempotencyLease - std::chrono::seconds(1));
  EXPECT_EQ(Claim(req_, "ord_second").kind, Kind::kInProgress);
  clock_->Advance(std::chrono::seconds(2));
  auto peek = Peek(req_);
  EXPECT_EQ(peek.kind, Kind::kTakenOver);  // a peek says so but takes nothing
  auto taken = Claim(req_, "ord_second");
  EXPECT_EQ(taken.kind, Kind::kTakenOver);
  EXPECT_EQ(taken.resource_id, std::optional<std::string>("ord_first"));
  // The taker holds a fresh lease.
  auto again = Claim(req_, "ord_third");
  EXPECT_EQ(again.kind, Kind::kInProgress);
  clock_->Advance(kIdempotencyLease + std::chrono::seconds(1));
  auto later = Claim(req_, "ord_third");
  EXPECT_EQ(later.kind, Kind::kTakenOver);
  EXPECT_EQ(later.resource_id, std::optional<std::string>("ord_first"));
  // Completing it ends the takeovers.
  StoreIdempotentResponse(*db_, req_, {201, "done"}, *clock_);
  clock_->Advance(kIdempotencyLease + std::chrono::seconds(1));
  EXPECT_EQ(Claim(req_).kind, Kind::kReplay);
}

TEST_P(IdempotencyTest, ReleaseLetsTheNextRetryTakeOverAtOnce) {
  ASSERT_EQ(Claim(req_, "ord_first").kind, Kind::kClaimed);
  ReleaseIdempotencyKey(*db_, req_);
  auto taken = Claim(req_);
  EXPECT_EQ(taken.kind, Kind::kTakenOver);
  EXPECT_EQ(taken.resource_id, std::optional<std::string>("ord_first"));
  EXPECT_EQ(Claim(req_).kind, Kind::kInProgress);
  // Releasing an unknown key is harmless.
  ReleaseIdempotencyKey(*db_, {"customer:cus_1", "never-used", "fp"});
  EXPECT_EQ(Rows(), 1);
}

TEST_P(IdempotencyTest, OnlyOneOfConcurrentTakeoversWins) {
  ASSERT_EQ(Claim(req_, "ord_first").kind, Kind::kClaimed);
  clock_->Advance(kIdempotencyLease + std::chrono::seconds(1));
  std::atomic<int> taken{0}, in_progress{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      auto kind = InWriteTransaction(*db_, [&](Transaction& tx) -> Result<Kind> {
        return ClaimIdempotencyKey(tx, req_, "", *clock_).kind;
      });
      if (!kind.ok()) ++other;
      else if (*kind == Kind::kTakenOver) ++taken;
      else if (*kind == Kind::kInProgress) ++in_progress;
      else ++other;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(taken.load(), 1);
  EXPECT_EQ(in_progress.load(), 5);
  EXPECT_EQ(other.load(), 0);
}

TEST_P(IdempotencyTest, OnlyOneOfConcurrentFirstClaimsWins) {
  std::atomic<int> claimed{0}, in_progress{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&] {
      try {
        auto kind = InWriteTransaction(*db_, [&](Transaction& tx) -> Result<Kind> {
          return ClaimIdempotencyKey(tx, req_, "", *clock_).kind;
        });
        if (!kind.ok()) ++other;
        else if (*kind == Kind::kClaimed) ++claimed;
        else if (*kind == Kind::kInProgress) ++in_progress;
        else ++other;
      } catch (const std::exception&) {
        ++other;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(claimed.load(), 1);
  EXPECT_EQ(in_progress.load(), 5);
  EXPECT_EQ(other.load(), 0);
}

TEST_P(IdempotencyTest, KeysAreScopedToTheirCaller) {
  ASSERT_EQ(Claim(req_).kind, Kind::kClaimed);
  IdempotencyRequest other = req_;
  other.scope = "customer:cus_2";
  other.fingerprint = "fp-b";
  EXPECT_EQ(Claim(other).kind, Kind::kClaimed);
  IdempotencyRequest another_key = req_;
  another_key.key = "key-2";
  EXPECT_EQ(Claim(another_key).kind, Kind::kClaimed);
  EXPECT_EQ(Rows(), 3);
}

TEST_P(IdempotencyTest, PurgeDeletesKeysPastRetention) {
  ASSERT_EQ(Claim(req_).kind, Kind::kClaimed);
  StoreIdempotentResponse(*db_, req_, {201, "a"}, *clock_);
  clock_->Advance(std::chrono::hours(24));
  IdempotencyRequest young{"customer:cus_1", "key-young", "fp"};
  ASSERT_EQ(Claim(young).kind, Kind::kClaimed);
  EXPECT_EQ(PurgeExpiredIdempotencyKeys(*db_, *clock_), 0);

  clock_->Advance(std::chrono::hours(25));  // 49 h after the first, 25 h after the second
  EXPECT_EQ(PurgeExpiredIdempotencyKeys(*db_, *clock_), 1);
  EXPECT_EQ(Peek(req_).kind, Kind::kClaimed);  // forgotten: free again
  EXPECT_EQ(Peek(young).kind, Kind::kTakenOver);
  EXPECT_EQ(Rows(), 1);
  EXPECT_EQ(Claim(req_).kind, Kind::kClaimed);
  clock_->Advance(kIdempotencyRetention + std::chrono::seconds(1));
  EXPECT_EQ(PurgeExpiredIdempotencyKeys(*db_, *clock_), 2);
  EXPECT_EQ(Rows(), 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, IdempotencyTest, ::testing::ValuesIn(ecom::testing::StoreKinds()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::store
