// `ecom staff`: create, list and disable staff accounts. A password is read
// from standard input (or prompted for without echo), never taken as a flag
// value, which would show in `ps` and shell history.
#include <fmt/core.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "context.h"
#include "ecom/auth/json.h"
#include "ecom/auth/roles.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

struct CreateFlags {
  std::string email;
  std::string name;
  std::string role;
  bool password_stdin = false;
};

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string RoleHelp() {
  std::string text = "The member's role:";
  for (const auto& role : auth::StaffRoles())
    text += "\n  " + role.name + ": " + role.description + " (" + Join(role.scopes) + ")";
  return text;
}

// One line of standard input without its line ending; nullopt at end of input.
std::optional<std::string> ReadLine() {
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Asks on the terminal with echo off.
std::optional<std::string> Prompt(const char* question) {
  fmt::print(stderr, "{}", question);
  std::fflush(stderr);
  termios saved{};
  bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::optional<std::string> line = ReadLine();
  if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  fmt::print(stderr, "\n");
  return line;
}

// The new member's password: the first line of standard input, or, at a
// terminal without --password-stdin, typed twice without echo.
Result<std::string> ReadPassword(bool from_stdin) {
  if (from_stdin || !IsTerminal(stdin)) {
    std::optional<std::string> line = ReadLine();
    if (!line)
      return UsageError("no password on standard input: pipe it in, e.g. with --password-stdin");
    return *line;
  }
  std::optional<std::string> first = Prompt("Password: ");
  std::optional<std::string> second = Prompt("Repeat password: ");
  if (!first || !second) return UsageError("no password was entered");
  if (*first != *second) return UsageError("the passwords do not match");
  return *first;
}

std::string StateOf(const auth::StaffMember& s) { return s.disabled_at ? "disabled" : "active"; }

int RunCreate(Context& ctx, const CreateFlags& flags) {
  Result<std::string> password = ReadPassword(flags.password_stdin);
  if (!password.ok()) return ReportError(password.error());
  auto created = ctx.staff().Create({flags.email, flags.name, flags.role, *password});
  if (!created.ok()) return ReportError(created.error());
  const auth::StaffMember& s = *created;
  if (ctx.json()) {
    PrintJson(auth::ToJson(s));
  } else {
    PrintFields({{"id", s.id},
                 {"email", s.email},
                 {"name", s.name},
                 {"role", s.role},
                 {"scopes", Join(s.scopes)}});
  }
  return kExitOk;
}

int RunList(Context& ctx) {
  auto staff = ctx.staff().List();
  if (!staff.ok()) return ReportError(staff.error());
  if (ctx.json()) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : *staff) items.push_back(auth::ToJson(s));
    PrintJson(items);
    return kExitOk;
  }
  if (staff->empty()) {
    fmt::print(stderr, "no staff accounts\n");
    return kExitOk;
  }
  Table table({"ID", "EMAIL", "NAME", "ROLE", "STATE", "CREATED", "LAST LOGIN"});
  for (const auto& s : *staff)
    table.AddRow({s.id, s.email, Truncate(s.name, 32), s.role, StateOf(s), s.created_at,
                  s.last_login_at.value_or("never")});
  table.Print();
  return kExitOk;
}

int RunDisable(Context& ctx, const std::string& who) {
  auto disabled = ctx.staff().Disable(who);
  if (!disabled.ok()) return ReportError(disabled.error());
  if (ctx.json())
    PrintJson(auth::ToJson(*disabled));
  else
    fmt::print("disabled {} ({})\n", disabled->id, disabled->email);
  return kExitOk;
}

}  // namespace

void AddStaffCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* staff = app.add_subcommand("staff", "Staff accounts that sign in to the admin");
  staff->footer(ExitCodesHelp());

  auto flags = std::make_shared<CreateFlags>();
  CLI::App* create =
      AddVerb(*staff, "create", "Create a staff account; the password is read from standard input",
              invocation);
  create->add_option("--email", flags->email, "The member's email, used to sign in (unique)")
      ->required();
  create->add_option("--name", flags->name, "The member's name")->required();
  std::vector<std::string> roles;
  for (const auto& role : auth::StaffRoles()) roles.push_back(role.name);
  create->add_option("--role", flags->role, RoleHelp())->required()->check(CLI::IsMember(roles));
  create->add_flag("--password-stdin", flags->password_stdin,
                   "Read the password from the first line of standard input without prompting "
                   "(the default when standard input is not a terminal)");
  create->callback([&invocation, flags] {
    invocation.action = [flags](Context& ctx) { return RunCreate(ctx, *flags); };
  });

  CLI::App* list =
      AddVerb(*staff, "list", "List staff accounts (never their passwords)", invocation);
  list->callback([&invocation] { invocation.action = RunList; });

  auto who = std::make_shared<std::string>();
  CLI::App* disable =
      AddVerb(*staff, "disable",
              "Disable a staff account: no more logins, its sessions stop working", invocation);
  disable->add_option("STAFF", *who, "The member's id (stf_...) or email")->required();
  disable->callback([&invocation, who] {
    invocation.action = [who](Context& ctx) { return RunDisable(ctx, *who); };
  });
}

}  // namespace ecom::cli
