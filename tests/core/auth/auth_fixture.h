// Customers, staff and sessions on a fresh store, with a fake clock and the
// cheapest argon2 parameters, and helpers that keep each test a short story.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ecom/auth/customer_service.h"
#include "ecom/auth/password_reset_service.h"
#include "ecom/auth/session_service.h"
#include "ecom/auth/staff_service.h"
#include "ecom/events/outbox.h"
#include "support/test_store.h"

namespace ecom::auth {

// libsodium's minimum: tests pay microseconds, not 30 ms, per hash.
inline PasswordHashOptions CheapHashing() {
  return {.opslimit = 1, .memlimit_bytes = 8192, .max_concurrent = 2};
}

inline ResetTokenKey TestResetKey() {
  ResetTokenKey key;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
  return key;
}

class AuthTest : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr const char* kPassword = "correct horse battery";
  static constexpr const char* kAddr = "203.0.113.7";

  Customer Register(const std::string& email, const std::string& password = kPassword,
                    const std::string& name = "Ann Example", const std::string& addr = kAddr) {
    auto r = customers_.Register({email, password, name}, addr);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Customer{};
  }

  IssuedSession Login(const std::string& email, const std::string& password = kPassword,
                      const std::string& addr = kAddr) {
    auto r = sessions_.Login(email, password, addr);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason + ": " + r.error().message);
    return r.ok() ? *r : IssuedSession{};
  }

  StaffMember CreateStaff(const std::string& email, const std::string& role,
                          const std::string& password = kPassword) {
    auto r = staff_.Create({email, "Sam Staff", role, password});
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : StaffMember{};
  }

  // A column of one row, or "" for NULL / no row.
  std::string Column(const std::string& sql, const std::string& key) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(sql, {std::string_view(key)});
    if (!rows->Next() || rows->IsNull(0)) return "";
    return rows->Text(0);
  }

  std::int64_t Count(const std::string& sql) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query(sql);
    rows->Next();
    return rows->Int(0);
  }

  std::vector<events::Event> Events(const std::string& type) {
    auto tx = db_->Begin(store::TxMode::kRead);
    std::vector<events::Event> out;
    for (auto& e : events::ReadUnpublished(*tx, 1000))
      if (e.type == type) out.push_back(std::move(e));
    return out;
  }

  // Every column of every row of `table`, as one text, to search for secrets.
  std::string Dump(const std::string& table, int columns) {
    auto tx = db_->Begin(store::TxMode::kRead);
    auto rows = tx->Query("SELECT * FROM " + table);
    std::string out;
    while (rows->Next())
      for (int c = 0; c < columns; ++c)
        if (!rows->IsNull(c)) out += rows->Text(c) + "\n";
    return out;
  }

  testing::TestStore store_{GetParam()};
  std::unique_ptr<store::Database> db_ = store_.OpenMigrated(4);
  std::shared_ptr<testing::FakeClock> clock_ = std::make_shared<testing::FakeClock>();
  std::shared_ptr<IdGenerator> ids_ = MakeIdGenerator(clock_);
  std::shared_ptr<PasswordHasher> hasher_ = std::make_shared<PasswordHasher>(CheapHashing());
  AuthOptions options_;
  SessionService sessions_{*db_, clock_, ids_, hasher_, options_};
  CustomerService customers_{*db_, clock_, ids_, hasher_, options_};
  StaffService staff_{*db_, clock_, ids_, hasher_};
  PasswordResetService resets_{*db_, clock_, ids_, hasher_, TestResetKey(), options_};
};

#define ECOM_AUTH_INSTANTIATE(suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(Stores, suite, ::testing::ValuesIn(::ecom::testing::StoreKinds()), \
                           [](const auto& info) { return info.param; })

}  // namespace ecom::auth
