// `ecom db`: schema migrations and where the database stands.
#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "context.h"
#include "ecom/store/migrate.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

nlohmann::json StatusJson(const store::SchemaStatus& status, const std::string& database) {
  nlohmann::json migrations = nlohmann::json::array();
  for (const auto& m : status.migrations) {
    migrations.push_back(
        {{"version", m.version},
         {"name", m.name},
         {"status", m.applied_at ? "applied" : "pending"},
         {"applied_at", m.applied_at ? nlohmann::json(*m.applied_at) : nlohmann::json()}});
  }
  return {{"database", database},
          {"current", status.current},
          {"latest", status.latest},
          {"up_to_date", status.up_to_date()},
          {"migrations", migrations}};
}

std::string NameOf(const store::SchemaStatus& status, int version) {
  for (const auto& m : status.migrations)
    if (m.version == version) return m.name;
  return "";
}

int RunMigrate(Context& ctx) {
  std::vector<int> applied = store::Migrate(ctx.db(), *ctx.clock());
  store::SchemaStatus after = store::GetSchemaStatus(ctx.db());
  if (ctx.json()) {
    nlohmann::json list = nlohmann::json::array();
    for (int v : applied) list.push_back({{"version", v}, {"name", NameOf(after, v)}});
    PrintJson({{"database", ctx.db().description()},
               {"applied", list},
               {"current", after.current},
               {"latest", after.latest}});
    return kExitOk;
  }
  if (applied.empty()) {
    fmt::print("{}: up to date at schema version {}\n", ctx.db().description(), after.current);
    return kExitOk;
  }
  for (int v : applied) fmt::print("applied {:>4}  {}\n", v, NameOf(after, v));
  fmt::print("{}: now at schema version {}\n", ctx.db().description(), after.current);
  return kExitOk;
}

int RunStatus(Context& ctx) {
  store::SchemaStatus status = store::GetSchemaStatus(ctx.db());
  if (ctx.json()) {
    PrintJson(StatusJson(status, ctx.db().description()));
    return kExitOk;
  }
  Table table({"VERSION", "NAME", "STATUS", "APPLIED AT"});
  table.AlignRight(0);
  int pending = 0;
  for (const auto& m : status.migrations) {
    if (!m.applied_at) ++pending;
    table.AddRow({std::to_string(m.version), m.name, m.applied_at ? "applied" : "pending",
                  m.applied_at.value_or("-")});
  }
  table.Print();
  if (status.current > status.latest) {
    fmt::print("\n{}: schema version {} is newer than this ecom knows ({})\n",
               ctx.db().description(), status.current, status.latest);
  } else if (pending > 0) {
    fmt::print("\n{}: schema version {} of {}, {} pending; run 'ecom db migrate'\n",
               ctx.db().description(), status.current, status.latest, pending);
  } else {
    fmt::print("\n{}: up to date at schema version {}\n", ctx.db().description(), status.current);
  }
  return kExitOk;
}

}  // namespace

void AddDbCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* db = app.add_subcommand("db", "Database schema: migrate, status");
  db->footer(ExitCodesHelp());

  CLI::App* migrate = AddVerb(*db, "migrate", "Apply every pending schema migration", invocation);
  migrate->callback([&invocation] {
    invocation.needs_schema = false;
    invocation.action = RunMigrate;
  });

  CLI::App* status = AddVerb(
      *db, "status", "Show each schema version and whether it is applied or pending", invocation);
  status->callback([&invocation] {
    invocation.needs_schema = false;
    invocation.action = RunStatus;
  });
}

}  // namespace ecom::cli
