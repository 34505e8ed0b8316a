// `ecom payment show`: one payment attempt of an order. Payment tokens are
// never shown: the core does not hand them out.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/orders/json.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

int RunShow(Context& ctx, const std::string& id) {
  auto service = ctx.orders();
  if (!service.ok()) return ReportError(service.error());
  auto payment = (*service)->GetPayment(id);
  if (!payment.ok()) {
    Error error = std::move(payment).error();
    if (error.code == ErrorCode::kNotFound) error.message = "no such payment: " + id;
    return ReportError(error);
  }
  const orders::Payment& p = *payment;
  if (ctx.json()) {
    PrintJson(orders::ToJson(p));
    return kExitOk;
  }
  const std::string& currency = p.amount.currency;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", p.id},
      {"order", p.order_id},
      {"gateway", p.gateway},
      {"status", p.status},
      {"amount", FormatMoney(p.amount.amount, currency)},
      {"refunded", FormatMoney(p.amount_refunded, currency)},
      {"card", p.brand.empty() && p.last4.empty()
                   ? "-"
                   : fmt::format("{} ending {}", p.brand.empty() ? "card" : p.brand,
                                 p.last4.empty() ? "-" : p.last4)},
      {"reference", p.reference.empty() ? "-" : p.reference},
      {"created", p.created_at},
      {"updated", p.updated_at},
      {"captured", p.captured_at.value_or("-")}};
  if (p.failure_code)
    fields.push_back({"failure", *p.failure_code + (p.failure_message && !p.failure_message->empty()
                                                        ? ": " + *p.failure_message
                                                        : "")});
  PrintFields(fields);
  return kExitOk;
}

}  // namespace

void AddPaymentCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* payment = app.add_subcommand("payment", "Payments of orders: show");
  payment->footer(ExitCodesHelp());

  auto id = std::make_shared<std::string>();
  CLI::App* show = AddVerb(*payment, "show",
                           "Show a payment: card brand and last 4 digits, status, amounts and the "
                           "gateway's reference (never the payment token)",
                           invocation);
  show->add_option("PAYMENT", *id, "The payment's id (pay_...)")->required();
  show->callback([&invocation, id] {
    invocation.action = [id](Context& ctx) { return RunShow(ctx, *id); };
  });
}

}  // namespace ecom::cli
