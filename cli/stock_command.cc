// `ecom stock`: levels, adjustments, counts and the ledger of a SKU.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/common/csv.h"
#include "ecom/common/text.h"
#include "ecom/inventory/json.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

struct AdjustFlags {
  std::string sku;
  std::int64_t delta = 0;
  std::string reason;
  std::string note;
  std::string reference;
};

struct SetFlags {
  std::string sku;
  std::int64_t quantity = 0;
  std::int64_t expect = 0;
  bool has_expect = false;  // --expect given
  std::string reason = "count";
  std::string note;
};

struct HistoryFlags {
  std::string sku;
  int limit = 20;
  std::string cursor;
};

std::string Signed(std::int64_t n) { return n > 0 ? "+" + std::to_string(n) : std::to_string(n); }

// "SKU-1: on hand 7, reserved 2, available 5"
void PrintLevelLine(const inventory::StockLevel& l) {
  fmt::print("{}: on hand {}, reserved {}, available {}{}\n", l.sku.value_or(l.variant_id),
             l.on_hand, l.reserved, l.available, l.tracked ? "" : " (untracked)");
}

int PrintLevel(Context& ctx, const inventory::StockLevel& level) {
  if (ctx.json())
    PrintJson(inventory::ToJson(level));
  else
    PrintLevelLine(level);
  return kExitOk;
}

int RunShow(Context& ctx, const std::string& sku) {
  auto level = ctx.inventory().GetLevel(sku);
  if (!level.ok()) return ReportError(level.error());
  const auto& l = *level;
  if (ctx.json()) {
    PrintJson(inventory::ToJson(l));
    return kExitOk;
  }
  PrintFields(
      {{"sku", l.sku.value_or("-")},
       {"variant", l.variant_id},
       {"product", l.product_id},
       {"on hand", std::to_string(l.on_hand)},
       {"reserved", std::to_string(l.reserved)},
       {"available", std::to_string(l.available)},
       {"tracked", l.tracked ? "yes" : "no"},
       {"backorders", l.allow_backorder ? "allowed" : "no"},
       {"low stock at", l.low_stock_threshold ? std::to_string(*l.low_stock_threshold) : "-"},
       {"low stock", l.low_stock ? "yes" : "no"},
       {"updated", l.updated_at}});
  return kExitOk;
}

int RunAdjust(Context& ctx, const AdjustFlags& flags) {
  inventory::StockChange change;
  change.sku_or_id = flags.sku;
  change.delta = flags.delta;
  change.reason = *inventory::ParseStockReason(flags.reason);
  change.reference = flags.reference;
  change.note = flags.note;
  auto level = ctx.inventory().Adjust(change, ctx.actor());
  if (!level.ok()) return ReportError(level.error());
  return PrintLevel(ctx, *level);
}

int RunSet(Context& ctx, const SetFlags& flags) {
  std::optional<std::int64_t> expect;
  if (flags.has_expect) expect = flags.expect;
  auto level = ctx.inventory().SetOnHand(flags.sku, flags.quantity, expect,
                                         *inventory::ParseStockReason(flags.reason), flags.note,
                                         ctx.actor());
  if (!level.ok()) return ReportError(level.error());
  return PrintLevel(ctx, *level);
}

int RunHistory(Context& ctx, const HistoryFlags& flags) {
  auto page = ctx.inventory().History(flags.sku, flags.limit, flags.cursor);
  if (!page.ok()) return ReportError(page.error());
  if (ctx.json()) {
    PrintJson(inventory::ToJson(*page));
    return kExitOk;
  }
  if (page->items.empty()) {
    fmt::print(stderr, "no stock changes recorded for {}\n", flags.sku);
    return kExitOk;
  }
  Table table({"TIME", "DELTA", "ON HAND", "REASON", "ACTOR", "REFERENCE", "NOTE"});
  table.AlignRight(1).AlignRight(2);
  for (const auto& e : page->items)
    table.AddRow({e.created_at, Signed(e.delta), std::to_string(e.on_hand_after),
                  inventory::ToString(e.reason), e.actor, e.reference.empty() ? "-" : e.reference,
                  e.note.empty() ? "-" : Truncate(e.note, 40)});
  table.Print();
  if (page->next_cursor)
    fmt::print(stderr, "older changes follow: add --cursor {}\n", *page->next_cursor);
  return kExitOk;
}

// Reads a `sku,quantity` counts file. Every problem is collected, each as
// `file:line: column 'X': message`; the lines are usable only if none is.
std::vector<inventory::CountLine> ReadCounts(std::istream& in, const std::string& name,
                                             std::vector<std::string>& problems) {
  std::vector<inventory::CountLine> lines;
  csv::Reader reader(in, name);
  csv::Record record;

  auto next = reader.Next(record);
  if (!next.ok()) {
    problems.push_back(next.error().message);
    return lines;
  }
  if (!*next) {
    problems.push_back(name + ": the file is empty; expected a header line 'sku,quantity'");
    return lines;
  }
  int sku_col = -1, quantity_col = -1;
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    std::string header = AsciiLower(Trim(record.fields[i]));
    int* slot = header == "sku" ? &sku_col : header == "quantity" ? &quantity_col : nullptr;
    if (!slot) {
      problems.push_back(
          fmt::format("{}:{}: column '{}': unknown column; the header must be sku,quantity", name,
                      record.line, record.fields[i]));
    } else if (*slot >= 0) {
      problems.push_back(
          fmt::format("{}:{}: column '{}': appears twice", name, record.line, header));
    } else {
      *slot = static_cast<int>(i);
    }
  }
  if (sku_col < 0)
    problems.push_back(fmt::format("{}:{}: missing column 'sku'", name, record.line));
  if (quantity_col < 0)
    problems.push_back(fmt::format("{}:{}: missing column 'quantity'", name, record.line));
  if (!problems.empty()) return lines;
  const std::size_t width = record.fields.size();

  for (;;) {
    next = reader.Next(record);
    if (!next.ok()) {
      problems.push_back(next.error().message);
      return lines;
    }
    if (!*next) break;
    if (record.fields.size() != width) {
      problems.push_back(fmt::format("{}:{}: expected {} fields, found {}", name, record.line,
                                     width, record.fields.size()));
      continue;
    }
    inventory::CountLine line;
    line.line = record.line;
    line.sku = std::string(Trim(record.fields[sku_col]));
    if (line.sku.empty())
      problems.push_back(fmt::format("{}:{}: column 'sku': empty", name, record.line));
    std::string_view quantity = Trim(record.fields[quantity_col]);
    auto [end, ec] =
        std::from_chars(quantity.data(), quantity.data() + quantity.size(), line.quantity);
    if (quantity.empty() || ec != std::errc() || end != quantity.data() + quantity.size()) {
      problems.push_back(fmt::format("{}:{}: column 'quantity': not a whole number: '{}'", name,
                                     record.line, record.fields[quantity_col]));
      continue;
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

int RunImport(Context& ctx, const std::string& file) {
  std::string name = file == "-" ? "stdin" : file;
  std::ifstream stream;
  std::istream* in = &std::cin;
  if (file != "-") {
    stream.open(file, std::ios::binary);
    if (!stream) return ReportFailure("cannot open " + file, kExitUsage);
    in = &stream;
  }
  std::vector<std::string> problems;
  std::vector<inventory::CountLine> lines = ReadCounts(*in, name, problems);
  if (!problems.empty()) {
    for (const auto& p : problems) fmt::print(stderr, "{}\n", p);
    return ReportFailure(
        fmt::format("stock import aborted: {} problem{} in {}; nothing was changed",
                    problems.size(), problems.size() == 1 ? "" : "s", name),
        kExitInvalidInput);
  }
  auto summary = ctx.inventory().ImportCounts(lines, ctx.actor());
  if (!summary.ok()) {
    // Problems the service pins to a line ("line 3") are shown in the same
    // `file:line: message` form as the parse problems above.
    const Error& error = summary.error();
    bool located = false;
    for (const auto& field : error.fields) {
      std::string_view where = field.field;
      if (where.rfind("line ", 0) != 0) continue;
      fmt::print(stderr, "{}:{}: {}\n", name, where.substr(5), field.message);
      located = true;
    }
    if (!located) ReportError(error);
    fmt::print(stderr, "ecom: stock import aborted; nothing was changed\n");
    return ExitCodeFor(error);
  }
  if (ctx.json()) {
    PrintJson({{"lines", summary->lines},
               {"changed", summary->changed},
               {"unchanged", summary->unchanged}});
  } else {
    fmt::print("counted {} SKU{} from {}: {} changed, {} unchanged\n", summary->lines,
               summary->lines == 1 ? "" : "s", name, summary->changed, summary->unchanged);
  }
  return kExitOk;
}

std::string CheckReason(const std::string& value) {
  if (inventory::ParseStockReason(value)) return "";
  return "unknown reason '" + value + "'";
}

}  // namespace

void AddStockCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* stock = app.add_subcommand("stock", "Stock levels, adjustments, counts and history");
  stock->footer(ExitCodesHelp());

  auto show_sku = std::make_shared<std::string>();
  CLI::App* show = AddVerb(*stock, "show", "Show the stock level of a SKU", invocation);
  show->add_option("SKU", *show_sku, "The SKU (or variant id)")->required();
  show->callback([&invocation, show_sku] {
    invocation.action = [show_sku](Context& ctx) { return RunShow(ctx, *show_sku); };
  });

  auto adjust_flags = std::make_shared<AdjustFlags>();
  CLI::App* adjust = AddVerb(*stock, "adjust",
                             "Add DELTA to the on-hand stock of a SKU (negative to remove: "
                             "ecom stock adjust SKU -3 --reason damaged)",
                             invocation);
  adjust->add_option("SKU", adjust_flags->sku, "The SKU (or variant id)")->required();
  adjust->add_option("DELTA", adjust_flags->delta, "Units to add; negative removes")->required();
  adjust
      ->add_option("--reason", adjust_flags->reason,
                   "Why: received, sold, returned, damaged, correction or count")
      ->required()
      ->check(CheckReason, "REASON");
  adjust->add_option("--note", adjust_flags->note, "Free text kept in the ledger")
      ->type_name("TEXT");
  adjust
      ->add_option("--reference", adjust_flags->reference,
                   "A reference kept in the ledger (PO number, ...)")
      ->type_name("REF");
  adjust->callback([&invocation, adjust_flags] {
    invocation.action = [adjust_flags](Context& ctx) { return RunAdjust(ctx, *adjust_flags); };
  });

  auto set_flags = std::make_shared<SetFlags>();
  CLI::App* set =
      AddVerb(*stock, "set", "Set the on-hand stock of a SKU to QTY (a count)", invocation);
  set->add_option("SKU", set_flags->sku, "The SKU (or variant id)")->required();
  set->add_option("QTY", set_flags->quantity, "The new on-hand quantity")->required();
  CLI::Option* expect =
      set->add_option(
             "--expect", set_flags->expect,
             "Refuse (exit 4) unless on-hand is exactly N now, so a concurrent change is not lost")
          ->type_name("N");
  set->add_option("--reason", set_flags->reason, "count (default) or correction")
      ->check(CLI::IsMember({"count", "correction"}));
  set->add_option("--note", set_flags->note, "Free text kept in the ledger")->type_name("TEXT");
  set->callback([&invocation, set_flags, expect] {
    set_flags->has_expect = expect->count() > 0;
    invocation.action = [set_flags](Context& ctx) { return RunSet(ctx, *set_flags); };
  });

  auto history_flags = std::make_shared<HistoryFlags>();
  CLI::App* history =
      AddVerb(*stock, "history", "Show the ledger of a SKU, newest first", invocation);
  history->add_option("SKU", history_flags->sku, "The SKU (or variant id)")->required();
  history->add_option("--limit", history_flags->limit, "Entries to show, 1-250 (default 20)")
      ->check(CLI::Range(1, 250));
  history->add_option("--cursor", history_flags->cursor,
                      "Continue after a previous page (its next_cursor)");
  history->callback([&invocation, history_flags] {
    invocation.action = [history_flags](Context& ctx) { return RunHistory(ctx, *history_flags); };
  });

  auto import_file = std::make_shared<std::string>();
  CLI::App* import =
      AddVerb(*stock, "import",
              "Apply absolute counts from a CSV with the header sku,quantity (any order); "
              "all or nothing",
              invocation);
  import->add_option("FILE", *import_file, "The counts file, or - for standard input")
      ->required()
      ->check(CheckInputFile, "FILE or -");
  import->callback([&invocation, import_file] {
    invocation.action = [import_file](Context& ctx) { return RunImport(ctx, *import_file);
};
}  // namespace ecom::cli
);
}

}  // namespace ecom::cli
