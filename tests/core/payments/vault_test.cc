// PaymentVault: sealing, opening, rotation, key specs and where keys come from.
#include "ecom/payments/vault.h"

#include <gmock/gmock.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/test_store.h"

namespace ecom::payments {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kKey1 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const std::string kKey2 = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";
const std::string kDetails = R"({"brand":"visa","last4":"4242"})";

PaymentVault Vault(const std::string& spec) {
  auto vault = PaymentVault::FromSpec(spec);
  EXPECT_TRUE(vault.ok()) << vault.error().message;
  return std::move(vault).value();
}

// Everything an error shows its caller.
std::string Shown(const Error& e) {
  std::string shown = e.reason + " " + e.message;
  for (const FieldError& f : e.fields) shown += " " + f.field + " " + f.message;
  return shown;
}

void ExpectUnreadable(const Result<std::string>& opened) {
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kInternal);
  EXPECT_EQ(opened.error().reason, "payment_details_unreadable");
  EXPECT_THAT(opened.error().message, Not(HasSubstr("4242")));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const fs::path& path, const std::string& content, fs::perms perms) {
  std::ofstream(path) << content;
  fs::permissions(path, perms);
}

TEST(PaymentVaultTest, SealedDetailsOpenForTheirRow) {
  PaymentVault vault = Vault("1:" + kKey1);
  std::string sealed = vault.Seal(kDetails, "pay_1");
  EXPECT_THAT(sealed, MatchesRegex("v1\\.[A-Za-z0-9_-]+"));
  EXPECT_THAT(sealed, Not(HasSubstr("4242")));
  auto opened = vault.Open(sealed, "pay_1");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, kDetails);
}

TEST(PaymentVaultTest, EachSealUsesAFreshNonce) {
  PaymentVault vault = Vault("1:" + kKey1);
  EXPECT_NE(vault.Seal(kDetails, "pay_1"), vault.Seal(kDetails, "pay_1"));
  EXPECT_EQ(*vault.Open(vault.Seal("", "pay_1"), "pay_1"), "");
}

TEST(PaymentVaultTest, DetailsCopiedToAnotherRowDoNotOpen) {
  PaymentVault vault = Vault("1:" + kKey1);
  std::string sealed = vault.Seal(kDetails, "pay_1");
  auto opened = vault.Open(sealed, "pay_2");
  ExpectUnreadable(opened);
  EXPECT_THAT(opened.error().message, HasSubstr("version 1"));
}

TEST(PaymentVaultTest, TamperedOrMalformedTextDoesNotOpen) {
  PaymentVault vault = Vault("1:" + kKey1);
  std::string sealed = vault.Seal(kDetails, "pay_1");
  std::string flipped = sealed;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  ExpectUnreadable(vault.Open(flipped, "pay_1"));
  ExpectUnreadable(vault.Open(sealed.substr(0, sealed.size() - 2), "pay_1"));
  ExpectUnreadable(vault.Open(sealed + "A", "pay_1"));
  for (const std::string& bad :
       std::vector<std::string>{"", "v1", "v1.", "v1.AAAA", "1." + sealed.substr(3),
                                "vx." + sealed.substr(3), "v01." + sealed.substr(3),
                                "v1." + sealed.substr(3) + "=", "v1." + sealed.substr(3) + "+/"})
    ExpectUnreadable(vault.Open(bad, "pay_1"));
}

TEST(PaymentVaultTest, AnUnknownKeyVersionDoesNotOpenAndIsNamed) {
  std::string sealed = Vault("1:" + kKey1).Seal(kDetails, "pay_1");
  auto opened = Vault("2:" + kKey2).Open(sealed, "pay_1");
  ExpectUnreadable(opened);
  EXPECT_THAT(opened.error().message, HasSubstr("version 1"));
  // The same version holding another key fails authentication instead.
  ExpectUnreadable(Vault("1:" + kKey2).Open(sealed, "pay_1"));
}

TEST(PaymentVaultTest, RotationSealsWithTheNewestAndOpensTheOld) {
  std::string old_sealed = Vault("1:" + kKey1).Seal(kDetails, "pay_1");
  PaymentVault rotated = Vault("2:" + kKey2 + ",1:" + kKey1);
  EXPECT_EQ(rotated.current_version(), 2);
  std::string new_sealed = rotated.Seal(kDetails, "pay_2");
  EXPECT_THAT(new_sealed, StartsWith("v2."));
  EXPECT_EQ(*rotated.Open(old_sealed, "pay_1"), kDetails);
  EXPECT_EQ(*rotated.Open(new_sealed, "pay_2"), kDetails);
  ExpectUnreadable(Vault("1:" + kKey1).Open(new_sealed, "pay_2"));
}

TEST(PaymentVaultTest, AMovedVaultKeepsItsKeys) {
  PaymentVault first = Vault("1:" + kKey1);
  std::string sealed = first.Seal(kDetails, "pay_1");
  PaymentVault second = std::move(first);
  EXPECT_EQ(*second.Open(sealed, "pay_1"), kDetails);
  PaymentVault third = Vault("2:" + kKey2);
  third = std::move(second);
  EXPECT_EQ(*third.Open(sealed, "pay_1"), kDetails);
}

TEST(PaymentVaultSpecTest, BlanksAroundItemsAndATrailingNewlineAreFine) {
  PaymentVault vault = Vault("  1 : " + kKey1 + " ,\t3:" + kKey2 + "\n");
  EXPECT_EQ(vault.current_version(), 3);
}

TEST(PaymentVaultSpecTest, BadSpecsAreInvalidAndNeverEchoTheKey) {
  const std::string bad_hex = kKey1.substr(0, 62) + "zz";
  for (const std::string& spec :
       std::vector<std::string>{"", " , ", kKey1, "0:" + kKey1, "-1:" + kKey1, "x:" + kKey1,
                                "1:" + kKey1.substr(0, 62), "1:" + kKey1 + "00", "1:" + bad_hex,
                                "1:" + kKey1 + ",1:" + kKey2, "1:" + kKey1 + ",", kKey1 + ":1"}) {
    SCOPED_TRACE(spec.size());
    auto vault = PaymentVault::FromSpec(spec);
    ASSERT_FALSE(vault.ok());
    EXPECT_EQ(vault.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(vault.error().reason, "invalid_encryption_keys");
    std::string shown = Shown(vault.error());
    for (const std::string& key : {kKey1, kKey2})
      for (std::size_t i = 0; i + 8 <= key.size(); i += 4)
        EXPECT_THAT(shown, Not(HasSubstr(key.substr(i, 8))));
  }
}

TEST(PaymentVaultSpecTest, EveryProblemIsReportedByItem) {
  auto vault = PaymentVault::FromSpec("1:" + kKey1 + ",1:" + kKey2 + ",2:abc");
  ASSERT_FALSE(vault.ok());
  ASSERT_EQ(vault.error().fields.size(), 2u);
  EXPECT_EQ(vault.error().fields[0].field, "item 2");
  EXPECT_THAT(vault.error().fields[0].message, HasSubstr("version 1 is listed twice"));
  EXPECT_EQ(vault.error().fields[1].field, "item 3");
  EXPECT_THAT(vault.error().fields[1].message, HasSubstr("64 hex digits"));
}

class PaymentVaultLoadTest : public ::testing::Test {
 protected:
  std::string VarDir() const { return (dir_.path() / "var").string(); }
  fs::path KeyPath() const { return dir_.path() / "var" / "payment.key"; }

  testing::TempDir dir_;
  Config config_;
};

TEST_F(PaymentVaultLoadTest, ConfiguredKeysComeFirst) {
  config_.payments_encryption_keys = "1:" + kKey1;
  config_.payments_encryption_key_file = (dir_.path() / "missing.key").string();
  auto vault = PaymentVault::Load(config_, store::Dialect::kPostgres, VarDir());
  ASSERT_TRUE(vault.ok()) << vault.error().message;
  std::string sealed = vault->Seal(kDetails, "pay_1");
  EXPECT_EQ(*Vault("1:" + kKey1).Open(sealed, "pay_1"), kDetails);
  EXPECT_FALSE(fs::exists(KeyPath()));
}

TEST_F(PaymentVaultLoadTest, ConfiguredKeyErrorsNameTheirSource) {
  config_.payments_encryption_keys = "1:" + kKey1.substr(2);
  auto vault = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(vault.error().message, StartsWith("payments.encryption_keys: "));
  EXPECT_THAT(vault.error().message, Not(HasSubstr(kKey1.substr(2, 16))));
}

TEST_F(PaymentVaultLoadTest, AnOwnerOnlyKeyFileIsRead) {
  fs::path file = dir_.path() / "payment-keys";
  WriteFile(file, "2:" + kKey2 + ",1:" + kKey1 + "\n", fs::perms::owner_read);
  config_.payments_encryption_key_file = file.string();
  auto vault = PaymentVault::Load(config_, store::Dialect::kPostgres, VarDir());
  ASSERT_TRUE(vault.ok()) << vault.error().message;
  EXPECT_EQ(vault->current_version(), 2);
}

TEST_F(PaymentVaultLoadTest, AKeyFileOthersCanReadIsRefused) {
  fs::path file = dir_.path() / "payment-keys";
  WriteFile(file, "1:" + kKey1 + "\n",
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
  config_.payments_encryption_key_file = file.string();
  auto vault = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(vault.error().reason, "insecure_key_file");
  EXPECT_THAT(vault.error().message, HasSubstr("0644"));
  EXPECT_THAT(Shown(vault.error()), Not(HasSubstr(kKey1.substr(0, 16))));
}

TEST_F(PaymentVaultLoadTest, AMissingKeyFileIsAnError) {
  config_.payments_encryption_key_file = (dir_.path() / "missing.key").string();
  auto vault = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().reason, "unreadable_key_file");
  EXPECT_FALSE(fs::exists(KeyPath()));
}

TEST_F(PaymentVaultLoadTest, SqliteGeneratesAnOwnerOnlyKeyOnce) {
  auto first = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(KeyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string content = ReadFile(KeyPath());
  EXPECT_THAT(content, MatchesRegex("1:[0-9a-f]{64}\n"));
  std::string sealed = first->Seal(kDetails, "pay_1");

  auto second = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(ReadFile(KeyPath()), content);
  EXPECT_EQ(*second->Open(sealed, "pay_1"), kDetails);
  // Nothing but the key is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(VarDir()), fs::directory_iterator()), 1);
}

TEST_F(PaymentVaultLoadTest, ProcessesRacingToGenerateAgreeOnOneKey) {
  constexpr int kRacers = 8;
  std::vector<std::optional<PaymentVault>> vaults(kRacers);
  std::vector<std::thread> racers;
  for (int i = 0; i < kRacers; ++i)
    racers.emplace_back([&, i] {
      auto vault = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
      if (vault.ok()) vaults[i].emplace(std::move(vault).value());
    });
  for (std::thread& t : racers) t.join();
  ASSERT_TRUE(vaults[0].has_value());
  std::string sealed = vaults[0]->Seal(kDetails, "pay_1");
  for (const auto& vault : vaults) {
    ASSERT_TRUE(vault.has_value());
    EXPECT_EQ(*vault->Open(sealed, "pay_1"), kDetails);
  }
}

TEST_F(PaymentVaultLoadTest, AGeneratedKeyMadeReadableIsRefused) {
  ASSERT_TRUE(PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir()).ok());
  fs::permissions(KeyPath(), fs::perms::group_read, fs::perm_options::add);
  auto vault = PaymentVault::Load(config_, store::Dialect::kSqlite, VarDir());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().reason, "insecure_key_file");
}

TEST_F(PaymentVaultLoadTest, PostgresWithoutAKeyIsRefused) {
  auto vault = PaymentVault::Load(config_, store::Dialect::kPostgres, VarDir());
  ASSERT_FALSE(vault.ok());
  EXPECT_EQ(vault.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(vault.error().reason, "payment_key_required");
  EXPECT_THAT(vault.error().message, HasSubstr("replica"));
  EXPECT_THAT(vault.error().message, HasSubstr("payments.encryption_keys"));
  EXPECT_THAT(vault.error().message, HasSubstr("payments.encryption_key_file"));
  EXPECT_FALSE(fs::exists(KeyPath()));
}

}  // namespace
}  // namespace ecom::payments
