// `ecom`: the command-line front door of the engine. Parses `ecom <noun>
// <verb>`, opens the configured store and runs the chosen command.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/common/config.h"
#include "ecom/store/database.h"
#include "exit_codes.h"

#ifndef ECOM_VERSION
#define ECOM_VERSION "dev"
#endif

namespace ecom::cli {
namespace {

std::string RootFooter() {
  std::string text = ExitCodesHelp();
  text +=
      "\nSettings: defaults, then the file given by --config, then ECOM_* environment\n"
      "variables, then flags (--db). Keys:\n";
  for (const auto& key : ConfigKeys())
    text += fmt::format("  {:<28} {}\n", key.key, EnvNameFor(key.key));
  text += "\nRun 'ecom <noun> --help' or 'ecom <noun> <verb> --help' for details.\n";
  return text;
}

// The deepest subcommand the user named, e.g. `stock` for `ecom stock`.
CLI::App* DeepestSelected(CLI::App& app) {
  CLI::App* current = &app;
  for (;;) {
    auto selected = current->get_subcommands();
    if (selected.empty()) return current;
    current = selected.front();
  }
}

// "ecom stock adjust" for the adjust subcommand.
std::string CommandPath(CLI::App& root, CLI::App* where) {
  std::string path;
  for (CLI::App* app = where; app && app != &root; app = app->get_parent())
    path = " " + app->get_name() + path;
  return "ecom" + path;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "ecom: manage an ecom store from the command line (catalog, stock, API keys, staff, "
      "customers, orders, payments, schema).",
      "ecom"};
  app.footer(RootFooter());
  app.set_version_flag("--version", "ecom " ECOM_VERSION);
  app.fallthrough();  // global flags may come before or after the noun
  app.require_subcommand(0, 1);

  Invocation invocation;
  AddGlobalOptions(app, invocation.global);
  AddDbCommands(app, invocation);
  AddCatalogCommands(app, invocation);
  AddProductCommands(app, invocation);
  AddStockCommands(app, invocation);
  AddApiKeyCommands(app, invocation);
  AddStaffCommands(app, invocation);
  AddCustomerCommands(app, invocation);
  AddOrderCommands(app, invocation);
  AddPaymentCommands(app, invocation);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    CLI::App* where = DeepestSelected(app);
    std::vector<std::string> extras = app.remaining(true);
    std::string command = CommandPath(app, where);
    if (!where->get_subcommands([](CLI::App*) { return true; }).empty() && !extras.empty()) {
      // `ecom stock teleport`: a word where a noun or verb belongs.
      fmt::print(stderr, "ecom: '{}' is not an {} command\n", extras.front(), command);
    } else {
      std::string list;
      for (const auto& arg : extras) list += (list.empty() ? "" : " ") + arg;
      fmt::print(stderr, "ecom: unexpected arguments: {}\n", list.empty() ? e.what() : list);
    }
    fmt::print(stderr, "Run '{} --help' for usage.\n", command);
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "ecom: {}\n", e.what());
    fmt::print(stderr, "Run '{} --help' for usage.\n", CommandPath(app, DeepestSelected(app)));
    return kExitUsage;
  }

  if (!invocation.action) {
    // A noun without a verb (or nothing at all): show what can follow.
    CLI::App* where = DeepestSelected(app);
    std::cerr << (where == &app ? app.help() : where->help("ecom"));
    return kExitUsage;
  }

  auto context = Context::Open(invocation.global);
  if (!context.ok()) return ReportError(context.error());
  Context& ctx = **context;
  if (invocation.needs_schema) {
    if (Status ready = ctx.EnsureSchema(); !ready.ok()) return ReportError(ready.error());
  }
  int code = invocation.action(ctx);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return ReportFailure("cannot write to standard output");
  return code;
}

}  // namespace
}  // namespace ecom::cli

int main(int argc, char** argv) {
  try {
    return ecom::cli::Main(argc, argv);
  } catch (const ecom::store::DbError& e) {
    return ecom::cli::ReportFailure(fmt::format("database error: {}", e.what()));
  } catch (const std::exception& e) {
    return ecom::cli::ReportFailure(fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return ecom::cli::ReportFailure("internal error: unknown exception");
  }
}
