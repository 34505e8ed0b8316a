// `ecom apikey`: create, list and revoke API keys for staff tools and integrations.
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

struct CreateFlags {
  std::string name;
  std::vector<std::string> scopes;
  std::string expires;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// active, revoked or expired, as of `now` (RFC 3339 sorts as text).
std::string StateOf(const auth::ApiKey& k, const std::string& now) {
  if (k.revoked_at) return "revoked";
  if (k.expires_at && *k.expires_at <= now) return "expired";
  return "active";
}

int RunCreate(Context& ctx, const CreateFlags& flags) {
  std::optional<TimePoint> expires;
  if (!flags.expires.empty()) {
    TimePoint t;
    if (!ParseTime(flags.expires, &t))
      return ReportError(UsageError(
          fmt::format("--expires: '{}' is not an RFC 3339 UTC time such as 2027-01-31T00:00:00Z",
                      flags.expires)));
    expires = t;
  }
  auto created = ctx.api_keys().Create(flags.name, flags.scopes, expires);
  if (!created.ok()) return ReportError(created.error());
  const auth::ApiKey& k = created->key;
  if (ctx.json()) {
    nlohmann::json out = auth::ToJson(k);
    out["secret"] = created->secret;
    PrintJson(out);
  } else {
    PrintFields({{"id", k.id},
                 {"name", k.name},
                 {"scopes", Join(k.scopes)},
                 {"expires", k.expires_at.value_or("never")},
                 {"secret", created->secret}});
  }
  fmt::print(stderr,
             "ecom: warning: copy the secret now; it is not stored and will not be shown again\n");
  return kExitOk;
}

int RunList(Context& ctx) {
  auto keys = ctx.api_keys().List();
  if (!keys.ok()) return ReportError(keys.error());
  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& k : *keys) items.push_back(auth::ToJson(k));
    PrintJson(items);
    return kExitOk;
  }
  if (keys->empty()) {
    fmt::print(stderr, "no API keys\n");
    return kExitOk;
  }
  std::string now = FormatTime(ctx.clock()->Now());
  Table table({"ID", "NAME", "PREFIX", "SCOPES", "STATE", "CREATED", "EXPIRES", "LAST USED"});
  for (const auto& k : *keys)
    table.AddRow({k.id, k.name, k.prefix, Join(k.scopes), StateOf(k, now), k.created_at,
                  k.expires_at.value_or("never"), k.last_used_at.value_or("never")});
  table.Print();
  return kExitOk;
}

int RunRevoke(Context& ctx, const std::string& key) {
  auto revoked = ctx.api_keys().Revoke(key);
  if (!revoked.ok()) return ReportError(revoked.error());
  if (ctx.json())
    PrintJson(auth::ToJson(*revoked));
  else
    fmt::print("revoked {} ({})\n", revoked->id, revoked->name);
  return kExitOk;
}

}  // namespace

void AddApiKeyCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* apikey = app.add_subcommand("apikey", "API keys for staff tools and integrations");
  apikey->footer(ExitCodesHelp());

  auto flags = std::make_shared<CreateFlags>();
  CLI::App* create =
      AddVerb(*apikey, "create", "Create an API key and print its secret once (it is not stored)",
              invocation);
  create->add_option("--name", flags->name, "A name to recognise the key by (unique)")->required();
  create
      ->add_option(
          "--scope", flags->scopes,
          "A scope the key grants; repeat or separate with commas (known: " +
              [] { return Join(auth::KnownScopes()); }() + ")")
      ->required()
      ->delimiter(',')
      ->type_name("SCOPE");
  create
      ->add_option("--expires", flags->expires,
                   "Expiry time, RFC 3339 UTC (2027-01-31T00:00:00Z); default: never")
      ->type_name("TIME");
  create->callback([&invocation, flags] {
    invocation.action = [flags](Context& ctx) { return RunCreate(ctx, *flags); };
  });

  CLI::App* list = AddVerb(*apikey, "list", "List API keys (never their secrets)", invocation);
  list->callback([&invocation] { invocation.action = RunList; });

  auto key = std::make_shared<std::string>();
  CLI::App* revoke = AddVerb(*apikey, "revoke",
                             "Revoke an API key; requests using it fail from now on", invocation);
  revoke->add_option("KEY", *key, "The key's id (key_...) or name")->required();
  revoke->callback([&invocation, key] {
    invocation.action = [key](Context& ctx) { return RunRevoke(ctx, *key); };
  });
}

}  // namespace ecom::cli
