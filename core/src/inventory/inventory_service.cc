// Stock rules: the ledger, cached levels, adjustments, counts and reservations.
#include "ecom/inventory/inventory_service.h"

#include <map>
#include <nlohmann/json.hpp>

#include "ecom/events/outbox.h"
#include "ecom/store/idempotency.h"
#include "events/outbox_bulk.h"
#include "inventory/initial_stock.h"

namespace ecom::inventory {
namespace {

using store::Transaction;
using store::Value;

constexpr const char* kReasonNames[] = {"received", "sold", "returned", "damaged", "correction", "count"};

constexpr const char* kLevelColumns =
    "SELECT v.id, v.sku, v.product_id, l.on_hand, l.reserved, l.tracked, l.allow_backorder, "
    "l.low_stock_threshold, l.updated_at FROM variants v JOIN inventory_levels l ON l.variant_id = v.id ";

StockLevel ReadLevel(const store::Rows& r) {
  StockLevel s;
  s.variant_id = r.Text(0);
  s.sku = r.OptText(1);
  s.product_id = r.Text(2);
  s.on_hand = r.Int(3);
  s.reserved = r.Int(4);
  s.available = s.on_hand - s.reserved;
  s.tracked = r.Bool(5);
  s.allow_backorder = r.Bool(6);
  s.low_stock_threshold = r.OptInt(7);
  s.low_stock = s.tracked && s.low_stock_threshold && s.available <= *s.low_stock_threshold;
  s.updated_at = r.Text(8);
  return s;
}

bool LooksLikeVariantId(std::string_view ref) { return ref.rfind("var_", 0) == 0; }

std::optional<StockLevel> FindLevel(Transaction& tx, std::string_view ref) {
  if (LooksLikeVariantId(ref)) {
    auto rows = tx.Query(std::string(kLevelColumns) + "WHERE v.id = $1", {ref});
    if (rows->Next()) return ReadLevel(*rows);
  }
  auto rows = tx.Query(std::string(kLevelColumns) + "WHERE v.sku = $1", {ref});
  if (rows->Next()) return ReadLevel(*rows);
  return std::nullopt;
}

Result<StockLevel> RequireLevel(Transaction& tx, std::string_view ref) {
  if (auto level = FindLevel(tx, ref)) return *level;
  return Error::NotFound("unknown_sku", "no variant with SKU or id '" + std::string(ref) + "'");
}

nlohmann::json LevelPayload(const StockLevel& s) {
  return {{"variant_id", s.variant_id},
          {"sku", s.sku ? nlohmann::json(*s.sku) : nlohmann::json(nullptr)},
          {"product_id", s.product_id},
          {"on_hand", s.on_hand},
          {"reserved", s.reserved},
          {"available", s.available}};
}

// Says why a deny-policy level cannot drop to `new_on_hand`.
Error BelowReservedOrZero(const StockLevel& s, std::int64_t new_on_hand) {
  if (new_on_hand < 0)
    return Error::Precondition("insufficient_stock",
                               "on hand would fall to " + std::to_string(new_on_hand) +
                                   "; the variant does not allow selling below zero");
  return Error::Precondition("reserved", "on hand would fall to " + std::to_string(new_on_hand) +
                                             ", below the " + std::to_string(s.reserved) +
                                             " units reserved for open checkouts");
}

bool GuardsAvailability(const StockLevel& s) { return s.tracked && !s.allow_backorder; }

// Adds the ledger row and the event of one on-hand change, and the low-stock
// event when this change crosses the threshold.
// Adds a ledger row explaining a change to `level` (already changed by
// `delta`); returns its id.
std::string AddLedgerRow(store::BulkInserter& out, IdGenerator& ids, const StockLevel& level, std::int64_t delta,
                         StockReason reason, std::string_view reference, std::string_view note, const Actor& actor) {
  std::string id = ids.Next("led");
  out.Add("stock_ledger",
          "id, variant_id, sku, delta, on_hand_after, reason, reference, actor, note, created_at",
          {id, level.variant_id, level.sku ? store::OwnedValue(*level.sku) : store::OwnedValue(nullptr), delta,
           level.on_hand, std::string(ToString(reason)), std::string(reference), actor.id, std::string(note),
           level.updated_at});
  return id;
}

void RecordChange(store::BulkInserter& out, IdGenerator& ids, const Clock& clock, const StockLevel& before,
                  const StockLevel& after, StockReason reason, std::string_view reference,
                  std::string_view note, const Actor& actor) {
  std::int64_t delta = after.on_hand - before.on_hand;
  std::string id = AddLedgerRow(out, ids, after, delta, reason, reference, note, actor);
  auto payload = LevelPayload(after);
  payload["delta"] = delta;
  payload["reason"] = ToString(reason);
  payload["reference"] = reference;
  payload["actor"] = actor.id;
  payload["ledger_entry_id"] = id;
  events::AddEvent(out, events::Make(ids, clock, "stock.adjusted", "variant", after.variant_id, std::move(payload)));
  if (after.low_stock && !before.low_stock)
    events::AddEvent(out, events::Make(ids, clock, "stock.low", "variant", after.variant_id, LevelPayload(after)));
}

void RecordChange(Transaction& tx, IdGenerator& ids, const Clock& clock, const StockLevel& before,
                  const StockLevel& after, StockReason reason, std::string_view reference,
                  std::string_view note, const Actor& actor) {
  store::BulkInserter out(tx, 1);
  RecordChange(out, ids, clock, before, after, reason, reference, note, actor);
}

Status CheckThreshold(std::optional<std::int64_t> threshold) {
  if (threshold && *threshold < 0)
    return Error::Invalid("threshold must not be negative", {{"low_stock_threshold", "must not be negative"}});
  return Ok();
}

// Sets the threshold of a level known to exist, with its event.
StockLevel SetThresholdInTx(Transaction& tx, IdGenerator& ids, const Clock& clock, std::string_view variant_id,
                            std::optional<std::int64_t> threshold, const Actor& actor) {
  tx.Send("UPDATE inventory_levels SET low_stock_threshold = $2 WHERE variant_id = $1",
          {variant_id, store::Nullable(threshold)});
  StockLevel after = *FindLevel(tx, variant_id);
  auto payload = LevelPayload(after);
  payload["low_stock_threshold"] = threshold ? nlohmann::json(*threshold) : nlohmann::json(nullptr);
  payload["actor"] = actor.id;
  events::Append(tx, ids, clock, "stock.threshold_changed", "variant", after.variant_id, std::move(payload));
  return after;
}

}  // namespace

const char* ToString(StockReason r) { return kReasonNames[static_cast<int>(r)]; }

std::optional<StockReason> ParseStockReason(std::string_view s) {
  for (int i = 0; i < 6; ++i)
    if (s == kReasonNames[i]) return static_cast<StockReason>(i);
  return std::nullopt;
}

InventoryService::InventoryService(store::Database& db, std::shared_ptr<Clock> clock,
                                   std::shared_ptr<IdGenerator> ids)
    : db_(db), clock_(std::move(clock)), ids_(std::move(ids)) {}

Result<StockLevel> InventoryService::GetLevel(std::string_view sku_or_id) {
  auto tx = db_.Begin(store::TxMode::kRead);
  return RequireLevel(*tx, sku_or_id);
}

Result<StockLevel> InventoryService::Adjust(const StockChange& change, const Actor& actor) {
  if (change.delta == 0) return Error::Invalid("delta must not be zero", {{"delta", "must not be zero"}});
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StockLevel> {
    return AdjustInTx(tx, *ids_, *clock_, change, actor);
  });
}

Result<AdjustOutcome> InventoryService::Adjust(const StockChange& change, const Actor& actor,
                                               const store::IdempotencyRequest& idempotency) {
  if (change.delta == 0) return Error::Invalid("delta must not be zero", {{"delta", "must not be zero"}});
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<AdjustOutcome> {
    AdjustOutcome out;
    out.claim = store::ClaimIdempotencyKey(tx, idempotency, change.sku_or_id, *clock_);
    using Kind = store::IdempotencyClaim::Kind;
    if (out.claim.kind == Kind::kTakenOver) {
      // The first attempt's adjustment committed with its claim: answer with
      // the level as it is, never adjust twice.
      ECOM_ASSIGN_OR_RETURN(out.level, RequireLevel(tx, change.sku_or_id));
      return out;
    }
    if (out.claim.kind != Kind::kClaimed) return out;  // nothing written: rolls back
    ECOM_ASSIGN_OR_RETURN(out.level, AdjustInTx(tx, *ids_, *clock_, change, actor));
    return out;
  });
}

Result<StockLevel> InventoryService::AdjustInTx(Transaction& tx, IdGenerator& ids, const Clock& clock,
                                                const StockChange& change, const Actor& actor) {
  if (change.delta == 0) return Error::Invalid("delta must not be zero", {{"delta", "must not be zero"}});
  ECOM_ASSIGN_OR_RETURN(StockLevel before, RequireLevel(tx, change.sku_or_id));
  std::string now = FormatTime(clock.Now());
  // One conditional update settles concurrent adjusters: a deny-policy level
  // never drops below what is reserved.
  auto rows = tx.Query(
      "UPDATE inventory_levels SET on_hand = on_hand + $2, updated_at = $3 "
      "WHERE variant_id = $1 AND (tracked = 0 OR allow_backorder = 1 OR on_hand + $2 >= reserved) "
      "RETURNING on_hand, reserved",
      {std::string_view(before.variant_id), change.delta, std::string_view(now)});
  if (!rows->Next()) {
    rows.reset();
    ECOM_ASSIGN_OR_RETURN(StockLevel current, RequireLevel(tx, before.variant_id));
    return BelowReservedOrZero(current, current.on_hand + change.delta);
  }
  StockLevel after = before;
  after.on_hand = rows->Int(0);
  after.reserved = rows->Int(1);
  rows.reset();
  after.available = after.on_hand - after.reserved;
  after.low_stock = after.tracked && after.low_stock_threshold && after.available <= *after.low_stock_threshold;
  after.updated_at = now;
  before.on_hand = after.on_hand - change.delta;
  RecordChange(tx, ids, clock, before, after, change.reason, change.reference, change.note, actor);
  return after;
}

std::size_t InventoryService::PrefetchReserve(Transaction& tx, std::string_view variant_id, std::int64_t quantity,
                                              std::string_view now) {
  return tx.Prefetch(
      "UPDATE inventory_levels SET reserved = reserved + $2, updated_at = $3 "
      "WHERE variant_id = $1 AND tracked = 1 AND (allow_backorder = 1 OR on_hand - reserved >= $2)",
      {variant_id, quantity, now});
}

Result<bool> InventoryService::TakeReserve(Transaction& tx, std::size_t ticket, std::string_view variant_id) {
  if (tx.Take(ticket).changed == 1) return true;
  auto level = FindLevel(tx, variant_id);
  if (!level) return Error::NotFound("unknown_sku", "no variant '" + std::string(variant_id) + "'");
  if (!level->tracked) return false;
  Error e = Error::Precondition("insufficient_stock",
                                "only " + std::to_string(std::max<std::int64_t>(level->available, 0)) + " of " +
                                    (level->sku ? *level->sku : level->variant_id) + " available");
  e.fields.push_back({level->sku ? *level->sku : level->variant_id,
                      "only " + std::to_string(std::max<std::int64_t>(level->available, 0)) + " available"});
  return e;
}

Status InventoryService::ReleaseInTx(Transaction& tx, std::string_view variant_id, std::int64_t quantity,
                                     std::string_view now) {
  std::int64_t changed = tx.Exec(
      "UPDATE inventory_levels SET reserved = reserved - $2, updated_at = $3 WHERE variant_id = $1 AND reserved >= $2",
      {variant_id, quantity, now});
  if (changed == 0)
    return Error::Internal("the reservation of " + std::string(variant_id) + " is larger than what is reserved");
  return Ok();
}

Result<StockLevel> InventoryService::SellReservedInTx(Transaction& tx, IdGenerator& ids, const Clock& clock,
                                                      std::string_view variant_id, std::int64_t quantity,
                                                      std::string_view reference, const Actor& actor) {
  std::string now = FormatTime(clock.Now());
  auto before = FindLevel(tx, variant_id);
  if (!before) return Error::NotFound("unknown_sku", "no variant '" + std::string(variant_id) + "'");
  std::int64_t changed = tx.Exec(
      "UPDATE inventory_levels SET on_hand = on_hand - $2, reserved = reserved - $2, updated_at = $3 "
      "WHERE variant_id = $1 AND reserved >= $2",
      {variant_id, quantity, std::string_view(now)});
  if (changed == 0)
    return Error::Internal("the reservation of " + std::string(variant_id) + " is larger than what is reserved");
  StockLevel after = *before;
  after.on_hand -= quantity;
  after.reserved -= quantity;
  after.updated_at = now;
  RecordChange(tx, ids, clock, *before, after, StockReason::kSold, reference, "", actor);
  return after;
}

Result<bool> InventoryService::SetOnHandInTx(Transaction& tx, IdGenerator& ids, const Clock& clock,
                                             std::string_view variant_id, std::int64_t quantity,
                                             StockReason reason, std::string_view reference,
                                             std::string_view note, const Actor& actor) {
  for (;;) {
    ECOM_ASSIGN_OR_RETURN(StockLevel before, RequireLevel(tx, variant_id));
    if (before.on_hand == quantity) return false;
    if (GuardsAvailability(before) && quantity < before.reserved) return BelowReservedOrZero(before, quantity);
    if (GuardsAvailability(before) && quantity < 0) return BelowReservedOrZero(before, quantity);
    std::string now = FormatTime(clock.Now());
    // Compare-and-set on the value just read, so a concurrent change makes
    // this loop read again instead of writing a wrong delta to the ledger.
    std::int64_t changed = tx.Exec(
        "UPDATE inventory_levels SET on_hand = $2, updated_at = $3 WHERE variant_id = $1 AND on_hand = $4 "
        "AND (tracked = 0 OR allow_backorder = 1 OR $2 >= reserved)",
        {std::string_view(before.variant_id), quantity, std::string_view(now), before.on_hand});
    if (changed == 0) continue;
    StockLevel after = before;
    after.on_hand = quantity;
    after.available = quantity - before.reserved;
    after.low_stock = after.tracked && after.low_stock_threshold && after.available <= *after.low_stock_threshold;
    after.updated_at = now;
    RecordChange(tx, ids, clock, before, after, reason, reference, note, actor);
    return true;
  }
}

Result<StockLevel> InventoryService::SetOnHand(std::string_view sku_or_id, std::int64_t quantity,
                                               std::optional<std::int64_t> expect, StockReason reason,
                                               std::string note, const Actor& actor) {
  return SetOnHand(sku_or_id, StockCount{quantity, expect, reason, std::move(note), std::nullopt}, actor);
}

Result<StockLevel> InventoryService::SetOnHand(std::string_view sku_or_id, const StockCount& count,
                                               const Actor& actor) {
  if (count.reason != StockReason::kCount && count.reason != StockReason::kCorrection)
    return Error::Invalid("an absolute count is recorded as count or correction",
                          {{"reason", "must be count or correction"}});
  if (count.low_stock_threshold) ECOM_TRY(CheckThreshold(*count.low_stock_threshold));
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StockLevel> {
    ECOM_ASSIGN_OR_RETURN(StockLevel before, RequireLevel(tx, sku_or_id));
    if (count.expect && before.on_hand != *count.expect)
      return Error::Conflict("on_hand_changed", "on hand is " + std::to_string(before.on_hand) +
                                                    ", not the expected " + std::to_string(*count.expect));
    ECOM_TRY(SetOnHandInTx(tx, *ids_, *clock_, before.variant_id, count.quantity, count.reason, "", count.note,
                           actor));
    if (count.low_stock_threshold)
      return SetThresholdInTx(tx, *ids_, *clock_, before.variant_id, *count.low_stock_threshold, actor);
    return RequireLevel(tx, before.variant_id);
  });
}

Result<StockLevel> InventoryService::Reserve(std::string_view sku_or_id, std::int64_t quantity) {
  if (quantity <= 0) return Error::Invalid("quantity must be positive", {{"quantity", "must be positive"}});
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StockLevel> {
    ECOM_ASSIGN_OR_RETURN(StockLevel level, RequireLevel(tx, sku_or_id));
    if (!level.tracked) return level;
    std::string now = FormatTime(clock_->Now());
    std::int64_t changed = tx.Exec(
        "UPDATE inventory_levels SET reserved = reserved + $2, updated_at = $3 "
        "WHERE variant_id = $1 AND (allow_backorder = 1 OR on_hand - reserved >= $2)",
        {std::string_view(level.variant_id), quantity, std::string_view(now)});
    if (changed == 0)
      return Error::Precondition("insufficient_stock", "only " + std::to_string(std::max<std::int64_t>(level.available, 0)) +
                                                           " available");
    ECOM_ASSIGN_OR_RETURN(StockLevel after, RequireLevel(tx, level.variant_id));
    auto payload = LevelPayload(after);
    payload["quantity"] = quantity;
    events::Append(tx, *ids_, *clock_, "stock.reserved", "variant", after.variant_id, std::move(payload));
    if (after.low_stock && !level.low_stock)
      events::Append(tx, *ids_, *clock_, "stock.low", "variant", after.variant_id, LevelPayload(after));
    return after;
  });
}

Result<StockLevel> InventoryService::Release(std::string_view sku_or_id, std::int64_t quantity) {
  if (quantity <= 0) return Error::Invalid("quantity must be positive", {{"quantity", "must be positive"}});
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StockLevel> {
    ECOM_ASSIGN_OR_RETURN(StockLevel level, RequireLevel(tx, sku_or_id));
    if (!level.tracked) return level;
    std::string now = FormatTime(clock_->Now());
    std::int64_t changed = tx.Exec(
        "UPDATE inventory_levels SET reserved = reserved - $2, updated_at = $3 "
        "WHERE variant_id = $1 AND reserved >= $2",
        {std::string_view(level.variant_id), quantity, std::string_view(now)});
    if (changed == 0)
      return Error::Precondition("not_reserved", "only " + std::to_string(level.reserved) + " reserved");
    ECOM_ASSIGN_OR_RETURN(StockLevel after, RequireLevel(tx, level.variant_id));
    auto payload = LevelPayload(after);
    payload["quantity"] = quantity;
    events::Append(tx, *ids_, *clock_, "stock.released", "variant", after.variant_id, std::move(payload));
    return after;
  });
}

Result<StockLevel> InventoryService::SetLowStockThreshold(std::string_view sku_or_id,
                                                          std::optional<std::int64_t> threshold,
                                                          const Actor& actor) {
  ECOM_TRY(CheckThreshold(threshold));
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<StockLevel> {
    ECOM_ASSIGN_OR_RETURN(StockLevel level, RequireLevel(tx, sku_or_id));
    return SetThresholdInTx(tx, *ids_, *clock_, level.variant_id, threshold, actor);
  });
}

Result<LedgerPage> InventoryService::History(std::string_view sku_or_id, int limit, std::string_view cursor) {
  if (limit < 1 || limit > 500) return Error::Invalid("limit must be 1..500", {{"limit", "must be between 1 and 500"}});
  auto tx = db_.Begin(store::TxMode::kRead);
  ECOM_ASSIGN_OR_RETURN(StockLevel level, RequireLevel(*tx, sku_or_id));
  // The cursor is the id of the last entry seen; ids sort by time.
  auto rows = tx->Query(
      "SELECT id, variant_id, sku, delta, on_hand_after, reason, reference, actor, note, created_at "
      "FROM stock_ledger WHERE variant_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
      {std::string_view(level.variant_id), cursor, std::int64_t{limit + 1}});
  LedgerPage page;
  while (rows->Next()) {
    LedgerEntry e;
    e.id = rows->Text(0);
    e.variant_id = rows->Text(1);
    e.sku = rows->OptText(2);
    e.delta = rows->Int(3);
    e.on_hand_after = rows->Int(4);
    e.reason = ParseStockReason(rows->View(5)).value_or(StockReason::kCorrection);
    e.reference = rows->Text(6);
    e.actor = rows->Text(7);
    e.note = rows->Text(8);
    e.created_at = rows->Text(9);
    page.items.push_back(std::move(e));
  }
  if (static_cast<int>(page.items.size()) > limit) {
    page.items.pop_back();
    page.next_cursor = page.items.back().id;
  }
  return page;
}

Result<CountImportSummary> InventoryService::ImportCounts(const std::vector<CountLine>& lines,
                                                          const Actor& actor) {
  // Every problem is reported, each as {"line N", message}, and any problem
  // rejects the whole file.
  std::vector<FieldError> problems;
  auto where = [](const CountLine& l) { return "line " + std::to_string(l.line); };
  std::map<std::string, std::uint64_t> first_line;
  for (const auto& line : lines) {
    if (line.quantity < 0) problems.push_back({where(line), "quantity must not be negative"});
    auto [it, fresh] = first_line.emplace(line.sku, line.line);
    if (!fresh)
      problems.push_back({where(line), "SKU '" + line.sku + "' is also counted on line " + std::to_string(it->second)});
  }
  auto summarize = [](std::vector<FieldError> errors) {
    std::string message = "the counts were not applied:";
    for (const auto& e : errors) message += "\n  " + e.field + ": " + e.message;
    return Error{ErrorCode::kInvalidArgument, "invalid_counts", message, std::move(errors)};
  };
  if (!problems.empty()) return summarize(std::move(problems));
  return store::InWriteTransaction(db_, [&](Transaction& tx) -> Result<CountImportSummary> {
    CountImportSummary summary;
    std::vector<FieldError> errors;
    bool unknown_only = true;
    for (const auto& line : lines) {
      ++summary.lines;
      auto level = FindLevel(tx, line.sku);
      if (!level) {
        errors.push_back({where(line), "no variant with SKU '" + line.sku + "'"});
        continue;
      }
      if (!errors.empty()) continue;  // keep finding problems; write nothing more
      auto changed = SetOnHandInTx(tx, *ids_, *clock_, level->variant_id, line.quantity, StockReason::kCorrection,
                                   "stock import", "", actor);
      if (!changed.ok()) {
        errors.push_back({where(line), "SKU '" + line.sku + "': " + changed.error().message});
        unknown_only = false;
        continue;
      }
      ++(*changed ? summary.changed : summary.unchanged);
    }
    if (!errors.empty()) {
      Error e = summarize(std::move(errors));
      if (unknown_only) {
        e.code = ErrorCode::kNotFound;
        e.reason = "unknown_sku";
      }
      return e;  // rolls back every count already written
    }
    return summary;
  });
}

std::string AddInitialStock(store::BulkInserter& out, IdGenerator& ids, const InitialStock& stock,
                            const Actor& actor) {
  StockLevel level;
  level.variant_id = stock.variant_id;
  level.sku = stock.sku;
  level.product_id = stock.product_id;
  level.tracked = true;
  level.on_hand = level.available = stock.on_hand;
  level.updated_at = stock.now;
  return AddLedgerRow(out, ids, level, stock.on_hand, StockReason::kCount, stock.reference, "", actor);
}

}  // namespace ecom::inventory
