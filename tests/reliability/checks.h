// The four reliability checks. Each runs on one store against real ecomd
// processes, adds a row to the report and its violations to the context.
#pragma once

#include <memory>
#include <string>

#include "harness.h"

namespace ecom::reliability {

// 200 concurrent guest checkouts for K in {1, 10, 50} units of one SKU.
void RunOversell(Context& ctx, const std::string& store);

// One Idempotency-Key and body replayed 100 times (50 at once).
void RunIdempotency(Context& ctx, const std::string& store);

// Random checkouts, cancels, fulfilments, refunds with restock and stock
// adjustments, with a sampler asserting the stock equations throughout.
void RunConservation(Context& ctx, const std::string& store);

// A checkout load with one ecomd killed (SIGKILL) and restarted per round.
// Load() runs every round; Settle() retries what waited on a dead
// process's idempotency lease (60 s) and checks the end state. Other checks
// may run between the two, so that the lease wait overlaps them.
class CrashCheck {
 public:
  CrashCheck(Context& ctx, std::string store);
  ~CrashCheck();
  void Load();
  void Settle();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace ecom::reliability
