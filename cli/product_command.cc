// `ecom product`: list and show products.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/catalog/json.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

constexpr int kMaxPage = 250;

struct ListFlags {
  std::vector<std::string> statuses;  // empty: every status
  std::string text;
  std::string sort;
  int limit = 0;  // 0: 20, or 250 per page with --all
  bool all = false;
  std::string cursor;
};

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string PriceRange(const catalog::Product& p) {
  if (p.variants.empty()) return "-";
  auto [lo, hi] = std::minmax_element(
      p.variants.begin(), p.variants.end(),
      [](const auto& a, const auto& b) { return a.price.amount < b.price.amount; });
  const std::string& currency = lo->price.currency;
  if (lo->price.amount == hi->price.amount) return FormatMoney(lo->price.amount, currency);
  return FormatAmount(lo->price.amount, currency) + "-" + FormatMoney(hi->price.amount, currency);
}

int RunList(Context& ctx, const ListFlags& flags) {
  catalog::ProductQuery query;
  query.text = flags.text;
  query.statuses.clear();
  if (flags.statuses.empty()) {
    query.statuses = {catalog::ProductStatus::kActive, catalog::ProductStatus::kDraft,
                      catalog::ProductStatus::kArchived};
  } else {
    for (const auto& s : flags.statuses) query.statuses.push_back(*catalog::ParseProductStatus(s));
  }
  if (!flags.sort.empty()) query.sort = catalog::ParseSortOrder(flags.sort);
  query.limit = flags.limit > 0 ? flags.limit : (flags.all ? kMaxPage : 20);
  query.cursor = flags.cursor;

  std::vector<catalog::Product> products;
  std::optional<std::string> next;
  for (;;) {
    Result<catalog::ProductPage> page = ctx.catalog().ListProducts(query);
    if (!page.ok()) return ReportError(page.error());
    for (auto& p : page->items) products.push_back(std::move(p));
    next = page->next_cursor;
    if (!flags.all || !next) break;
    query.cursor = *next;
  }

  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& p : products) items.push_back(catalog::ToJson(p, {.staff = true}));
    PrintJson({{"items", items}, {"next_cursor", next ? nlohmann::json(*next) : nlohmann::json()}});
    return kExitOk;
  }
  if (products.empty()) {
    fmt::print(stderr, "no products found\n");
    return kExitOk;
  }
  Table table({"HANDLE", "TITLE", "STATUS", "VARIANTS", "PRICE"});
  table.AlignRight(3).AlignRight(4);
  for (const auto& p : products)
    table.AddRow({p.handle, Truncate(p.title, 48), catalog::ToString(p.status),
                  std::to_string(p.variants.size()), PriceRange(p)});
  table.Print();
  if (next) fmt::print(stderr, "more products follow: add --all, or --cursor {}\n", *next);
  return kExitOk;
}

int RunShow(Context& ctx, const std::string& key) {
  Result<catalog::Product> found = ctx.catalog().GetProduct(key);
  if (!found.ok()) return ReportError(found.error());
  const catalog::Product& p = *found;
  if (ctx.json()) {
    PrintJson(catalog::ToJson(p, {.staff = true}));
    return kExitOk;
  }
  PrintFields({{"id", p.id},
               {"handle", p.handle},
               {"title", p.title},
               {"status", catalog::ToString(p.status)},
               {"vendor", p.vendor.empty() ? "-" : p.vendor},
               {"type", p.product_type.empty() ? "-" : p.product_type},
               {"tags", p.tags.empty() ? "-" : Join(p.tags, ", ")},
               {"options", p.option_names.empty() ? "-" : Join(p.option_names, ", ")},
               {"published", p.published ? "yes" : "no"},
               {"gift card", p.gift_card ? "yes" : "no"},
               {"images", std::to_string(p.images.size())},
               {"version", std::to_string(p.version)},
               {"created", p.created_at},
               {"updated", p.updated_at}});
  fmt::print("\n");
  Table table(
      {"SKU", "VARIANT", "PRICE", "COMPARE AT", "ON HAND", "RESERVED", "AVAILABLE", "POLICY"});
  for (std::size_t i = 2; i < 7; ++i) table.AlignRight(i);
  for (const auto& v : p.variants) {
    std::string on_hand = "-", reserved = "-", available = "-";
    if (!v.inventory_tracked) {
      available = "untracked";
    } else if (auto level = ctx.inventory().GetLevel(v.id); level.ok()) {
      on_hand = std::to_string(level->on_hand);
      reserved = std::to_string(level->reserved);
      available = std::to_string(level->available);
    }
    table.AddRow({v.sku.value_or("-"), v.Title(), FormatMoney(v.price.amount, v.price.currency),
                  v.compare_at_price ? FormatMoney(*v.compare_at_price, v.price.currency) : "-",
                  on_hand, reserved, available, catalog::ToString(v.inventory_policy)});
  }
  table.Print();
  return kExitOk;
}

}  // namespace

void AddProductCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* product = app.add_subcommand("product", "List and show products");
  product->footer(ExitCodesHelp());

  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = AddVerb(
      *product, "list", "List products: handle, title, status, variants, price range", invocation);
  list->add_option("--status", list_flags->statuses,
                   "Only these statuses (draft, active, archived; repeat or separate with commas); "
                   "default: all")
      ->delimiter(',')
      ->check(CLI::IsMember({"draft", "active", "archived"}));
  list->add_option("--q", list_flags->text,
                   "Full-text search (title, vendor, type, tags, description)")
      ->type_name("TEXT");
  list->add_option("--sort", list_flags->sort,
                   "title, price, newest or relevance (default: relevance with --q, else title)")
      ->check(CLI::IsMember({"title", "price", "newest", "relevance"}));
  list->add_option("--limit", list_flags->limit,
                   "Products per page, 1-250 (default 20; with --all, 250)")
      ->check(CLI::Range(1, kMaxPage));
  list->add_flag("--all", list_flags->all, "Walk every page");
  list->add_option("--cursor", list_flags->cursor,
                   "Continue after a previous page (its next_cursor)");
  list->callback([&invocation, list_flags] {
    invocation.action = [list_flags](Context& ctx) { return RunList(ctx, *list_flags); };
  });

  auto key = std::make_shared<std::string>();
  CLI::App* show =
      AddVerb(*product, "show", "Show a product and its variants with stock", invocation);
  show->add_option("PRODUCT", *key, "The product's handle or id (prod_...)")->required();
  show->callback([&invocation, key] {
    invocation.action = [key](Context& ctx) { return RunShow(ctx, *key); };
  });
}

}  // namespace ecom::cli
