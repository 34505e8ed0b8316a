// The inventory's one JSON mapping, for the API and the CLI.
#include "ecom/inventory/json.h"

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace ecom::inventory {
namespace {

using nlohmann::json;

json OptionalText(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// Strict readers for the members of a request object. Each records a
// FieldError and returns nullopt when a member is present but of the wrong
// type; absent members give nullopt without an error.
class BodyReader {
 public:
  explicit BodyReader(const json& body) : body_(body) {
    if (!body_.is_object()) errors_.push_back({"body", "must be a JSON object"});
  }

  bool Has(const std::string& name) const { return body_.is_object() && body_.contains(name); }
  void Fail(const std::string& field, std::string message) {
    errors_.push_back({field, std::move(message)});
  }

  std::optional<std::int64_t> Int(const std::string& name, bool required = false) {
    if (!Has(name)) {
      if (required && body_.is_object()) Fail(name, "is required");
      return std::nullopt;
    }
    const auto& v = body_.at(name);
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
        Fail(name, "is too large");
        return std::nullopt;
      }
      return v.get<std::int64_t>();
    }
    Fail(name, "must be a whole number");
    return std::nullopt;
  }

  std::optional<std::string> String(const std::string& name, bool required = false) {
    if (!Has(name)) {
      if (required && body_.is_object()) Fail(name, "is required");
      return std::nullopt;
    }
    const auto& v = body_.at(name);
    if (v.is_string()) return v.get<std::string>();
    Fail(name, "must be a string");
    return std::nullopt;
  }

  // An integer or null: {} when absent or wrong, {{}} when null.
  std::optional<std::optional<std::int64_t>> NullableInt(const std::string& name) {
    if (!Has(name)) return std::nullopt;
    if (body_.at(name).is_null()) return std::optional<std::int64_t>();
    auto v = Int(name);
    if (!v) return std::nullopt;
    return std::optional<std::int64_t>(*v);
  }

  // kInvalidArgument naming every problem, unknown members included, or Ok.
  Status Check(std::initializer_list<std::string_view> known) {
    if (body_.is_object()) {
      for (const auto& [key, value] : body_.items()) {
        bool found = false;
        for (auto k : known) found = found || k == key;
        if (!found) errors_.push_back({key, "is not a known field"});
      }
    }
    if (errors_.empty()) return Ok();
    std::string message = "the request body has " + std::to_string(errors_.size()) +
                          (errors_.size() == 1 ? " problem" : " problems");
    return Error::Invalid(std::move(message), std::move(errors_));
  }

 private:
  const json& body_;
  std::vector<FieldError> errors_;
};

}  // namespace

json ToJson(const StockLevel& level) {
  return {
      {"variant_id", level.variant_id},
      {"sku", OptionalText(level.sku)},
      {"product_id", level.product_id},
      {"on_hand", level.on_hand},
      {"reserved", level.reserved},
      {"available", level.available},
      {"tracked", level.tracked},
      {"inventory_policy", level.allow_backorder ? "continue" : "deny"},
      {"low_stock_threshold",
       level.low_stock_threshold ? json(*level.low_stock_threshold) : json(nullptr)},
      {"low_stock", level.low_stock},
      {"updated_at", level.updated_at},
  };
}

json ToJson(const LedgerEntry& entry) {
  return {
      {"id", entry.id},
      {"variant_id", entry.variant_id},
      {"sku", OptionalText(entry.sku)},
      {"delta", entry.delta},
      {"on_hand_after", entry.on_hand_after},
      {"reason", ToString(entry.reason)},
      {"reference", entry.reference},
      {"actor", entry.actor},
      {"note", entry.note},
      {"created_at", entry.created_at},
  };
}

json ToJson(const LedgerPage& page) {
  json items = json::array();
  for (const auto& e : page.items) items.push_back(ToJson(e));
  return {{"items", std::move(items)}, {"next_cursor", OptionalText(page.next_cursor)}};
}

Result<StockChange> StockChangeFromJson(const json& j) {
  BodyReader r(j);
  auto delta = r.Int("delta", /*required=*/true);
  auto reason_text = r.String("reason", /*required=*/true);
  auto reference = r.String("reference");
  auto note = r.String("note");
  std::optional<StockReason> reason;
  if (reason_text) {
    reason = ParseStockReason(*reason_text);
    if (!reason)
      r.Fail("reason", "'" + *reason_text +
                           "' is not one of received, sold, returned, damaged, correction, count");
  }
  ECOM_TRY(r.Check({"delta", "reason", "reference", "note"}));
  StockChange change;
  change.delta = *delta;
  change.reason = *reason;
  change.reference = reference.value_or("");
  change.note = note.value_or("");
  return change;
}

Result<StockCount> StockCountFromJson(const json& j) {
  BodyReader r(j);
  StockCount count;
  auto on_hand = r.Int("on_hand", /*required=*/true);
  count.expect = r.Int("expect");
  auto reason_text = r.String("reason");
  count.note = r.String("note").value_or("");
  count.low_stock_threshold = r.NullableInt("low_stock_threshold");
  if (reason_text) {
    auto parsed = ParseStockReason(*reason_text);
    if (parsed == StockReason::kCount || parsed == StockReason::kCorrection)
      count.reason = *parsed;
    else
      r.Fail("reason", "'" + *reason_text + "' is not one of count, correction");
  }
  ECOM_TRY(r.Check({"on_hand", "expect", "reason", "note", "low_stock_threshold"}));
  count.quantity = *on_hand;
  return count;
}

}  // namespace ecom::inventory
