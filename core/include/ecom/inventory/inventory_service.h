// Stock: a ledger of every change, cached levels that always equal the
// ledger's sum, and atomic reservations.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ecom/common/actor.h"
#include "ecom/common/clock.h"
#include "ecom/common/result.h"
#include "ecom/store/database.h"
#include "ecom/store/idempotency.h"

namespace ecom::inventory {

enum class StockReason { kReceived, kSold, kReturned, kDamaged, kCorrection, kCount };
const char* ToString(StockReason r);
std::optional<StockReason> ParseStockReason(std::string_view s);

struct StockLevel {
  std::string variant_id;
  std::optional<std::string> sku;
  std::string product_id;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;  // on_hand - reserved
  bool tracked = true;
  bool allow_backorder = false;  // inventory policy `continue`
  std::optional<std::int64_t> low_stock_threshold;
  bool low_stock = false;  // tracked and available <= threshold
  std::string updated_at;
};

struct LedgerEntry {
  std::string id;  // led_...
  std::string variant_id;
  std::optional<std::string> sku;
  std::int64_t delta = 0;
  std::int64_t on_hand_after = 0;
  StockReason reason = StockReason::kCorrection;
  std::string reference;
  std::string actor;
  std::string note;
  std::string created_at;
};

struct LedgerPage {
  std::vector<LedgerEntry> items;  // newest first
  std::optional<std::string> next_cursor;
};

struct StockChange {
  std::string sku_or_id;
  std::int64_t delta = 0;
  StockReason reason = StockReason::kCorrection;
  std::string reference;
  std::string note;
};

// An absolute count for SetOnHand, and the threshold to set with it.
struct StockCount {
  std::int64_t quantity = 0;
  // When set, the count is refused unless on-hand is exactly this now.
  std::optional<std::int64_t> expect;
  StockReason reason = StockReason::kCount;  // count or correction
  std::string note;
  // When set, the low-stock threshold becomes this (an inner nullopt clears
  // it), in the same transaction as the count.
  std::optional<std::optional<std::int64_t>> low_stock_threshold;
};

struct CountLine {
  std::string sku;
  std::int64_t quantity = 0;
  std::uint64_t line = 0;  // source line, for error messages
};

struct CountImportSummary {
  std::int64_t lines = 0;
  std::int64_t changed = 0;    // variants whose on-hand changed (one ledger row each)
  std::int64_t unchanged = 0;
};

// An adjustment made once per Idempotency-Key. When claim.kind is kClaimed
// the adjustment was made; kTakenOver: an earlier attempt made it (level is
// the level now); otherwise nothing was written and level is unset.
struct AdjustOutcome {
  store::IdempotencyClaim claim;
  std::optional<StockLevel> level;
};

// Thread-safe. Every call is one transaction; races are settled by one
// conditional UPDATE, correct with many processes on one store.
class InventoryService {
 public:
  InventoryService(store::Database& db, std::shared_ptr<Clock> clock, std::shared_ptr<IdGenerator> ids);

  // By SKU or variant id. kNotFound (`unknown_sku`) if no such variant.
  Result<StockLevel> GetLevel(std::string_view sku_or_id);

  // Adds `delta` to on-hand with a ledger row. For a deny-policy tracked
  // variant, refused with kFailedPrecondition `reserved` (would go below what
  // is reserved) or `insufficient_stock` (would go below zero).
  Result<StockLevel> Adjust(const StockChange& change, const Actor& actor);
  // The same, at most once per idempotency key: the key is claimed in the
  // adjustment's own transaction.
  Result<AdjustOutcome> Adjust(const StockChange& change, const Actor& actor,
                               const store::IdempotencyRequest& idempotency);
  // Within a caller's transaction.
  static Result<StockLevel> AdjustInTx(store::Transaction& tx, IdGenerator& ids, const Clock& clock,
                                       const StockChange& change, const Actor& actor);

  // Checkout's side of a reservation, within the caller's transaction (the
  // caller keeps the record of who holds what): one conditional update,
  // issued with Transaction::Prefetch so that a checkout's lines are held in
  // one round trip. TakeReserve tells how it went: true if held; false for
  // an untracked variant (nothing to hold); kFailedPrecondition
  // `insufficient_stock` (Error::fields names the SKU).
  static std::size_t PrefetchReserve(store::Transaction& tx, std::string_view variant_id, std::int64_t quantity,
                                     std::string_view now);
  static Result<bool> TakeReserve(store::Transaction& tx, std::size_t ticket, std::string_view variant_id);
  // Gives back what a reservation held.
  static Status ReleaseInTx(store::Transaction& tx, std::string_view variant_id, std::int64_t quantity,
                            std::string_view now);
  // Held stock leaves the shop: on-hand and reserved both drop, with a
  // `sold` ledger row (reference: the order) and its stock.adjusted event.
  static Result<StockLevel> SellReservedInTx(store::Transaction& tx, IdGenerator& ids, const Clock& clock,
                                             std::string_view variant_id, std::int64_t quantity,
                                             std::string_view reference, const Actor& actor);

  // Sets on-hand to `quantity` (a `count` or `correction` row of the
  // difference; none if equal). With `expect`, kConflict (`on_hand_changed`)
  // unless on-hand is exactly that now.
  Result<StockLevel> SetOnHand(std::string_view sku_or_id, std::int64_t quantity,
                               std::optional<std::int64_t> expect, StockReason reason,
                               std::string note, const Actor& actor);
  // The same, and with `count.low_stock_threshold` also sets the threshold:
  // one transaction, so a refused count leaves the threshold unchanged too.
  // kInvalidArgument for a negative threshold or a reason other than count or
  // correction, before anything changes.
  Result<StockLevel> SetOnHand(std::string_view sku_or_id, const StockCount& count,
                               const Actor& actor);

  // Holds `quantity` for a checkout: one conditional update; kFailedPrecondition
  // `insufficient_stock` if not enough is available. Untracked variants are
  // never reserved (returns their level unchanged).
  Result<StockLevel> Reserve(std::string_view sku_or_id, std::int64_t quantity);
  // Gives back a reservation; kFailedPrecondition if more than is reserved.
  Result<StockLevel> Release(std::string_view sku_or_id, std::int64_t quantity);

  Result<StockLevel> SetLowStockThreshold(std::string_view sku_or_id,
                                          std::optional<std::int64_t> threshold, const Actor& actor);

  Result<LedgerPage> History(std::string_view sku_or_id, int limit, std::string_view cursor);

  // Applies absolute counts for many SKUs, all or nothing: an unknown SKU or a
  // count below what is reserved rejects the whole file, naming its line.
  Result<CountImportSummary> ImportCounts(const std::vector<CountLine>& lines, const Actor& actor);

  // Within a caller's transaction (catalog create/import): sets on-hand to
  // `quantity` with a `count` row if it differs. Returns whether it changed.
  static Result<bool> SetOnHandInTx(store::Transaction& tx, IdGenerator& ids, const Clock& clock,
                                    std::string_view variant_id, std::int64_t quantity,
                                    StockReason reason, std::string_view reference,
                                    std::string_view note, const Actor& actor);

 private:
  store::Database& db_;
  std::shared_ptr<Clock> clock_;
  std::shared_ptr<IdGenerator> ids_;
};

}  // namespace ecom::inventory
