// argon2id hashing: the parameters, verification, rehash detection, the
// password rules and the limit on hashes running at once.
#include "ecom/auth/password_hasher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ecom::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

PasswordHashOptions Cheap(unsigned slots = 2) {
  return {.opslimit = 1, .memlimit_bytes = 8192, .max_concurrent = slots};
}

TEST(PasswordHasherTest, DefaultsAreAtLeastOwaspsArgon2idMinimum) {
  PasswordHashOptions defaults;
  EXPECT_GE(defaults.opslimit, 2u);
  EXPECT_GE(defaults.memlimit_bytes, 19u * 1024 * 1024);
}

TEST(PasswordHasherTest, HashIsArgon2idWithTheConfiguredParameters) {
  PasswordHasher hasher({.opslimit = 2, .memlimit_bytes = 19 * 1024 * 1024, .max_concurrent = 1});
  auto hash = hasher.Hash("correct horse battery");
  ASSERT_TRUE(hash.ok());
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_THAT(*hash, Not(HasSubstr("correct horse battery")));
  EXPECT_FALSE(hasher.NeedsRehash(*hash));
}

TEST(PasswordHasherTest, TheSamePasswordHashesDifferentlyEachTime) {
  PasswordHasher hasher(Cheap());
  EXPECT_NE(*hasher.Hash("correct horse battery"), *hasher.Hash("correct horse battery"));
}

TEST(PasswordHasherTest, VerifyAcceptsOnlyTheRightPassword) {
  PasswordHasher hasher(Cheap());
  std::string hash = *hasher.Hash("correct horse battery");
  EXPECT_TRUE(*hasher.Verify(hash, "correct horse battery"));
  EXPECT_FALSE(*hasher.Verify(hash, "correct horse batterY"));
  EXPECT_FALSE(*hasher.Verify("not a hash", "correct horse battery"));
  EXPECT_FALSE(*hasher.Verify("", ""));
}

TEST(PasswordHasherTest, TheDummyNeverMatches) {
  PasswordHasher hasher(Cheap());
  EXPECT_FALSE(*hasher.VerifyAgainstDummy("correct horse battery"));
  EXPECT_FALSE(*hasher.VerifyAgainstDummy(""));
}

TEST(PasswordHasherTest, HashesMadeWithLowerParametersNeedARehash) {
  PasswordHasher old_hasher({.opslimit = 1, .memlimit_bytes = 8192, .max_concurrent = 1});
  PasswordHasher more_passes({.opslimit = 2, .memlimit_bytes = 8192, .max_concurrent = 1});
  PasswordHasher more_memory({.opslimit = 1, .memlimit_bytes = 16384, .max_concurrent = 1});
  std::string hash = *old_hasher.Hash("correct horse battery");
  EXPECT_FALSE(old_hasher.NeedsRehash(hash));
  EXPECT_TRUE(more_passes.NeedsRehash(hash));
  EXPECT_TRUE(more_memory.NeedsRehash(hash));
  EXPECT_TRUE(more_passes.NeedsRehash("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
  // A hash made with older parameters still verifies.
  EXPECT_TRUE(*more_passes.Verify(hash, "correct horse battery"));
}

TEST(PasswordHasherTest, PasswordRules) {
  EXPECT_TRUE(CheckPasswordRules("12345678").ok());
  EXPECT_TRUE(CheckPasswordRules(std::string(256, 'x')).ok());
  EXPECT_TRUE(CheckPasswordRules("pässwörd").ok());
  for (std::string bad :
       {std::string("1234567"), std::string(257, 'x'), std::string("abcdefg\xff")}) {
    Status s = CheckPasswordRules(bad, "new_password");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    ASSERT_EQ(s.error().fields.size(), 1u);
    EXPECT_EQ(s.error().fields[0].field, "new_password");
    EXPECT_THAT(s.error().message + s.error().fields[0].message, Not(HasSubstr(bad)));
  }
}

TEST(PasswordHasherTest, SlotsDefaultToTheNumberOfCores) {
  PasswordHasher hasher({.opslimit = 1, .memlimit_bytes = 8192});
  EXPECT_EQ(hasher.max_concurrent(), std::max(1u, std::thread::hardware_concurrency()));
}

// Many threads hashing at once never run more hashes together than there
// are slots. The peak is counted inside the semaphore.
void HashFromManyThreads(PasswordHasher& hasher, int threads) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (int i = 0; i < 3; ++i) EXPECT_TRUE(hasher.Hash("correct horse battery").ok());
    });
  for (auto& t : pool) t.join();
}

TEST(PasswordHasherTest, ConcurrentHashesNeverExceedTheSlots) {
  PasswordHasher hasher({.opslimit = 1, .memlimit_bytes = 1024 * 1024, .max_concurrent = 2});
  HashFromManyThreads(hasher, 8);
  EXPECT_GE(hasher.peak_concurrent(), 1u);
  EXPECT_LE(hasher.peak_concurrent(), 2u);
}

TEST(PasswordHasherTest, OneSlotMeansOneHashAtATime) {
  PasswordHasher hasher({.opslimit = 1, .memlimit_bytes = 1024 * 1024, .max_concurrent = 1});
  HashFromManyThreads(hasher, 6);
  EXPECT_EQ(hasher.peak_concurrent(), 1u);
}

TEST(PasswordHasherTest, AHashThatCannotGetASlotInTimeIsShedAsBusy) {
  PasswordHasher hasher({.opslimit = 3,
                         .memlimit_bytes = 64 * 1024 * 1024,
                         .max_concurrent = 1,
                         .max_wait = std::chrono::milliseconds(1)});
  std::thread slow([&] { EXPECT_TRUE(hasher.Hash("correct horse battery").ok()); });
  while (hasher.peak_concurrent() == 0) std::this_thread::yield();  // the slow hash holds the slot
  auto shed = hasher.Hash("another password");
  slow.join();
  ASSERT_FALSE(shed.ok());
  EXPECT_EQ(shed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(shed.error().reason, "auth_busy");
  ASSERT_TRUE(shed.error().retry_after);
  EXPECT_GE(shed.error().retry_after->count(), 1);
}

}  // namespace
}  // namespace ecom::auth
