// Stock over HTTP: levels, adjustments, counts and the ledger.
#include "daemon/inventory_handler.h"

#include "daemon/problem.h"

namespace ecom::daemon {
namespace {

nlohmann::json OptionalText(const std::optional<std::string>& s) {
  return s ? nlohmann::json(*s) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json StockLevelJson(const inventory::StockLevel& level) {
  return {
      {"variant_id", level.variant_id},
      {"sku", OptionalText(level.sku)},
      {"product_id", level.product_id},
      {"on_hand", level.on_hand},
      {"reserved", level.reserved},
      {"available", level.available},
      {"tracked", level.tracked},
      {"inventory_policy", level.allow_backorder ? "continue" : "deny"},
      {"low_stock_threshold", level.low_stock_threshold ? nlohmann::json(*level.low_stock_threshold)
                                                        : nlohmann::json(nullptr)},
      {"low_stock", level.low_stock},
      {"updated_at", level.updated_at},
  };
}

nlohmann::json LedgerEntryJson(const inventory::LedgerEntry& entry) {
  return {
      {"id", entry.id},
      {"variant_id", entry.variant_id},
      {"sku", OptionalText(entry.sku)},
      {"delta", entry.delta},
      {"on_hand_after", entry.on_hand_after},
      {"reason", inventory::ToString(entry.reason)},
      {"reference", entry.reference},
      {"actor", entry.actor},
      {"note", entry.note},
      {"created_at", entry.created_at},
  };
}

Reply InventoryHandler::GetLevel(const Call& call) {
  auto level = inventory_.GetLevel(call.Param("sku"));
  if (!level) return Problem(level.error());
  return Reply::Json(200, StockLevelJson(*level));
}

Reply InventoryHandler::Adjust(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  JsonFields fields(*body);
  auto delta = fields.Int("delta", /*required=*/true);
  auto reason_text = fields.String("reason", /*required=*/true);
  auto reference = fields.String("reference");
  auto note = fields.String("note");
  std::optional<inventory::StockReason> reason;
  if (reason_text) {
    reason = inventory::ParseStockReason(*reason_text);
    if (!reason)
      fields.Fail("reason",
                  "'" + *reason_text +
                      "' is not one of received, sold, returned, damaged, correction, count");
  }
  if (auto checked = fields.Check({"delta", "reason", "reference", "note"}); !checked)
    return Problem(checked.error());

  inventory::StockChange change;
  change.sku_or_id = call.Param("sku");
  change.delta = *delta;
  change.reason = *reason;
  change.reference = reference.value_or("");
  change.note = note.value_or("");
  auto level = inventory_.Adjust(change, call.caller().actor());
  if (!level) return Problem(level.error());
  return Reply::Json(201, StockLevelJson(*level));
}

Reply InventoryHandler::SetLevel(const Call& call) {
  auto body = call.JsonBody();
  if (!body) return Problem(body.error());
  JsonFields fields(*body);
  auto on_hand = fields.Int("on_hand", /*required=*/true);
  auto expect = fields.Int("expect");
  auto reason_text = fields.String("reason");
  auto note = fields.String("note");
  auto threshold = fields.NullableInt("low_stock_threshold");
  inventory::StockReason reason = inventory::StockReason::kCount;
  if (reason_text) {
    auto parsed = inventory::ParseStockReason(*reason_text);
    if (parsed == inventory::StockReason::kCount || parsed == inventory::StockReason::kCorrection)
      reason = *parsed;
    else
      fields.Fail("reason", "'" + *reason_text + "' is not one of count, correction");
  }
  if (auto checked = fields.Check({"on_hand", "expect", "reason", "note", "low_stock_threshold"});
      !checked)
    return Problem(checked.error());

  const std::string& sku = call.Param("sku");
  auto level =
      inventory_.SetOnHand(sku, *on_hand, expect, reason, note.value_or(""), call.caller().actor());
  if (!level) return Problem(level.error());
  if (threshold) {
    level = inventory_.SetLowStockThreshold(sku, *threshold, call.caller().actor());
    if (!level) return Problem(level.error());
  }
  return Reply::Json(200, StockLevelJson(*level));
}

Reply InventoryHandler::History(const Call& call) {
  auto limit = LimitParam(call, 50);
  if (!limit) return Problem(limit.error());
  auto page = inventory_.History(call.Param("sku"), *limit, call.Query("cursor").value_or(""));
  if (!page) return Problem(page.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : page->items) items.push_back(LedgerEntryJson(e));
  nlohmann::json next =
      page->next_cursor ? nlohmann::json(*page->next_cursor) : nlohmann::json(nullptr);
  return Reply::Json(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

}  // namespace ecom::daemon
