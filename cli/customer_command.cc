// `ecom customer`: list, show, disable and enable customer accounts.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/auth/json.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

constexpr int kMaxPage = 250;

struct ListFlags {
  std::string status;  // empty: every status
  int limit = 0;       // 0: 50, or 250 per page with --all
  bool all = false;
  std::string cursor;
};

int RunList(Context& ctx, const ListFlags& flags) {
  auth::CustomerQuery query;
  if (!flags.status.empty()) query.status = auth::ParseCustomerStatus(flags.status);
  query.limit = flags.limit > 0 ? flags.limit : (flags.all ? kMaxPage : 50);
  query.cursor = flags.cursor;

  std::vector<auth::Customer> customers;
  std::optional<std::string> next;
  for (;;) {
    auto page = ctx.customers().List(query);
    if (!page.ok()) return ReportError(page.error());
    for (auto& c : page->items) customers.push_back(std::move(c));
    next = page->next_cursor;
    if (!flags.all || !next) break;
    query.cursor = *next;
  }

  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : customers) items.push_back(auth::ToJson(c));
    PrintJson({{"items", items}, {"next_cursor", next ? nlohmann::json(*next) : nlohmann::json()}});
    return kExitOk;
  }
  if (customers.empty()) {
    fmt::print(stderr, "no customers found\n");
    return kExitOk;
  }
  Table table({"ID", "EMAIL", "NAME", "STATUS", "CREATED", "LAST LOGIN"});
  for (const auto& c : customers)
    table.AddRow({c.id, c.email.value_or("-"), Truncate(c.name.empty() ? "-" : c.name, 32),
                  auth::ToString(c.status), c.created_at, c.last_login_at.value_or("never")});
  table.Print();
  if (next) fmt::print(stderr, "more customers follow: add --all, or --cursor {}\n", *next);
  return kExitOk;
}

void PrintCustomer(Context& ctx, const auth::Customer& c) {
  if (ctx.json()) {
    PrintJson(auth::ToJson(c));
    return;
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", c.id},
      {"email", c.email.value_or("-")},
      {"name", c.name.empty() ? "-" : c.name},
      {"status", auth::ToString(c.status)},
      {"created", c.created_at},
      {"updated", c.updated_at},
      {"last login", c.last_login_at.value_or("never")}};
  if (c.deleted_at) fields.push_back({"deleted", *c.deleted_at});
  PrintFields(fields);
}

int RunShow(Context& ctx, const std::string& who) {
  auto found = ctx.customers().Find(who);
  if (!found.ok()) return ReportError(found.error());
  PrintCustomer(ctx, *found);
  return kExitOk;
}

int RunSetEnabled(Context& ctx, const std::string& who, bool enabled) {
  auto changed = enabled ? ctx.customers().Enable(who) : ctx.customers().Disable(who);
  if (!changed.ok()) return ReportError(changed.error());
  if (ctx.json())
    PrintJson(auth::ToJson(*changed));
  else
    fmt::print("{} {} ({})\n", enabled ? "enabled" : "disabled", changed->id,
               changed->email.value_or("-"));
  return kExitOk;
}

// Adds a verb taking one CUSTOMER argument (id or email).
CLI::App* AddCustomerVerb(CLI::App& noun, const std::string& name, const std::string& description,
                          Invocation& invocation,
                          std::function<int(Context&, const std::string&)> run) {
  auto who = std::make_shared<std::string>();
  CLI::App* verb = AddVerb(noun, name, description, invocation);
  verb->add_option("CUSTOMER", *who, "The customer's id (cus_...) or email")->required();
  verb->callback([&invocation, who, run] {
    invocation.action = [who, run](Context& ctx) { return run(ctx, *who); };
  });
  return verb;
}

}  // namespace

void AddCustomerCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* customer =
      app.add_subcommand("customer", "Customer accounts: list, show, disable, enable");
  customer->footer(ExitCodesHelp());

  auto list_flags = std::make_shared<ListFlags>();
  CLI::App* list = AddVerb(*customer, "list", "List customers, newest first", invocation);
  list->add_option("--status", list_flags->status,
                   "Only customers in this status: active, disabled or deleted")
      ->check(CLI::IsMember({"active", "disabled", "deleted"}));
  list->add_option("--limit", list_flags->limit,
                   "Customers per page, 1-250 (default 50; with --all, 250)")
      ->check(CLI::Range(1, kMaxPage));
  list->add_flag("--all", list_flags->all, "Walk every page");
  list->add_option("--cursor", list_flags->cursor,
                   "Continue after a previous page (its next_cursor)");
  list->callback([&invocation, list_flags] {
    invocation.action = [list_flags](Context& ctx) { return RunList(ctx, *list_flags); };
  });

  AddCustomerVerb(*customer, "show", "Show a customer's account", invocation, RunShow);
  AddCustomerVerb(
      *customer, "disable", "Disable a customer: no more logins, their sessions stop working",
      invocation,
      [](Context& ctx, const std::string& who) { return RunSetEnabled(ctx, who, false); });
  AddCustomerVerb(
      *customer, "enable", "Enable a disabled customer again", invocation,
      [](Context& ctx, const std::string& who) { return RunSetEnabled(ctx, who, true); });
}

}  // namespace ecom::cli
