// `ecom catalog`: import and export the whole catalog (Shopify CSV, JSON Lines).
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "context.h"
#include "ecom/catalog/import.h"
#include "exit_codes.h"
#include "output.h"

namespace ecom::cli {
namespace {

// How standard input appears in messages.
constexpr const char* kStdinName = "stdin";

struct ImportFlags {
  std::string file;
  std::string format;  // empty: from the file name
  bool dry_run = false;
  std::string on_error = "abort";
};

struct ExportFlags {
  std::string format;  // empty: from the output name
  std::string output;
};

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// --format if given, else JSON Lines for *.jsonl / *.ndjson, else Shopify CSV.
catalog::ImportFormat FormatFor(const std::string& flag, const std::string& file) {
  if (!flag.empty()) return *catalog::ParseImportFormat(flag);
  if (EndsWith(file, ".jsonl") || EndsWith(file, ".ndjson")) return catalog::ImportFormat::kJsonl;
  return catalog::ImportFormat::kShopify;
}

const char* FormatName(catalog::ImportFormat format) {
  return format == catalog::ImportFormat::kJsonl ? "jsonl" : "shopify";
}

// A copy of standard input in a temporary file (the importer reads files, and
// reads them twice: once to validate, once to apply). Removed on destruction.
class SpooledStdin {
 public:
  ~SpooledStdin() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

  Status Spool() {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/ecom-import-XXXXXX";
    int fd = mkstemp(pattern.data());
    if (fd < 0) return Failure("cannot create a temporary file for standard input");
    path_ = pattern;
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        close(fd);
        return Failure("cannot read standard input");
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(fd, buf + off, static_cast<std::size_t>(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          close(fd);
          return Failure("cannot spool standard input to " + path_);
        }
        off += w;
      }
    }
    if (close(fd) != 0) return Failure("cannot spool standard input to " + path_);
    return Ok();
  }

 private:
  static Error Failure(const std::string& what) {
    return Error{ErrorCode::kInternal, "stdin", what + ": " + std::strerror(errno), {}};
  }
  std::string path_;
};

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

nlohmann::json ReportJson(const catalog::ImportReport& r, bool dry_run) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : r.problems)
    problems.push_back(
        {{"file", p.file}, {"line", p.line}, {"column", p.column}, {"message", p.message}});
  return {{"applied", r.applied},
          {"dry_run", dry_run},
          {"products",
           {{"created", r.products_created},
            {"updated", r.products_updated},
            {"unchanged", r.products_unchanged},
            {"rejected", r.products_rejected}}},
          {"variants",
           {{"created", r.variants_created},
            {"updated", r.variants_updated},
            {"unchanged", r.variants_unchanged}}},
          {"stock_changes", r.stock_changes},
          {"problems", problems},
          {"ignored_columns", r.ignored_columns}};
}

// `file:line: column 'X': message`. A problem about the whole file (line 0)
// whose message already names its place is shown as that message alone.
std::string ProblemLine(const catalog::ImportProblem& p) {
  if (p.line == 0 && p.message.rfind(p.file + ":", 0) == 0) return p.message;
  return p.ToString();
}

void PrintReport(const catalog::ImportReport& r, const std::string& name, bool dry_run) {
  if (dry_run)
    fmt::print("Dry run of {}: nothing was changed.\n", name);
  else
    fmt::print("Imported {}.\n", name);
  Table table({"", "CREATED", "UPDATED", "UNCHANGED", "REJECTED"});
  for (std::size_t i = 1; i < 5; ++i) table.AlignRight(i);
  table.AddRow({"products", std::to_string(r.products_created), std::to_string(r.products_updated),
                std::to_string(r.products_unchanged), std::to_string(r.products_rejected)});
  table.AddRow({"variants", std::to_string(r.variants_created), std::to_string(r.variants_updated),
                std::to_string(r.variants_unchanged), ""});
  table.Print();
  fmt::print("stock changes: {}\n", r.stock_changes);
  std::fflush(stdout);
}

int RunImport(Context& ctx, const ImportFlags& flags) {
  SpooledStdin spool;
  std::string path = flags.file;
  std::string name = flags.file;
  if (flags.file == "-") {
    if (Status spooled = spool.Spool(); !spooled.ok()) return ReportError(spooled.error());
    path = spool.path();
    name = kStdinName;
  }

  catalog::ImportOptions options;
  options.format = FormatFor(flags.format, flags.file);
  options.dry_run = flags.dry_run;
  options.on_error = flags.on_error == "skip" ? catalog::OnError::kSkip : catalog::OnError::kAbort;
  options.actor = ctx.actor();
  ProgressBar bar(fmt::format("importing {}", name));
  if (bar.enabled())
    options.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.Update(done, total); };

  Result<catalog::ImportReport> result = catalog::ImportCatalog(
      ctx.db(), ctx.clock(), ctx.ids(), ctx.config().shop_currency, path, options);
  bar.Finish();
  if (!result.ok()) {
    Error error = std::move(result).error();
    if (name != path) ReplaceAll(error.message, path, name);
    return ReportError(error);
  }
  catalog::ImportReport& report = *result;
  if (name != path) {
    for (auto& p : report.problems) {
      if (p.file == path) p.file = name;
      ReplaceAll(p.message, path, name);
    }
  }

  if (!report.ignored_columns.empty()) {
    std::string list;
    for (const auto& c : report.ignored_columns) list += (list.empty() ? "" : ", ") + c;
    fmt::print(stderr, "ecom: note: ignored columns ecom does not keep: {}\n", list);
  }
  for (const auto& p : report.problems) fmt::print(stderr, "{}\n", ProblemLine(p));
  std::fflush(stderr);

  if (ctx.json())
    PrintJson(ReportJson(report, flags.dry_run));
  else if (report.applied || flags.dry_run)
    PrintReport(report, name, flags.dry_run);

  std::size_t problems = report.problems.size();
  if (problems == 0) {
    if (!flags.dry_run && !report.applied)
      return ReportFailure("the import was not applied", kExitFailure);
    return kExitOk;
  }
  if (flags.dry_run)
    return ReportFailure(
        fmt::format("dry run found {} problem{} in {}", problems, problems == 1 ? "" : "s", name),
        kExitInvalidInput);
  if (!report.applied)
    return ReportFailure(fmt::format("import aborted: {} problem{} in {}; nothing was changed",
                                     problems, problems == 1 ? "" : "s", name),
                         kExitInvalidInput);
  fmt::print(stderr, "ecom: warning: {} product{} rejected and left out\n",
             report.products_rejected, report.products_rejected == 1 ? "" : "s");
  return kExitOk;
}

// Makes a finished file durable before and after it takes its final name.
bool SyncPath(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags);
  if (fd < 0) return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

int RunExport(Context& ctx, const ExportFlags& flags) {
  catalog::ImportFormat format = FormatFor(flags.format, flags.output);
  if (flags.output.empty() || flags.output == "-") {
    Status done = catalog::ExportCatalog(ctx.db(), ctx.config().shop_currency, format, std::cout);
    std::cout.flush();
    if (!done.ok()) return ReportError(done.error());
    if (!std::cout) return ReportFailure("cannot write to standard output");
    return kExitOk;
  }

  // Written beside the target and renamed over it only when complete, so a
  // crash or an error never leaves half a file under the real name. The guard
  // removes the partial file on every early exit, exceptions included.
  const std::string tmp = flags.output + ".tmp";
  struct RemoveUnlessKept {
    const std::string& path;
    bool keep = false;
    ~RemoveUnlessKept() {
      if (!keep) unlink(path.c_str());
    }
  } partial{tmp};
  std::uint64_t bytes = 0;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return ReportFailure(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
    Status done = catalog::ExportCatalog(ctx.db(), ctx.config().shop_currency, format, out);
    if (!done.ok()) return ReportError(done.error());
    out.flush();
    if (!out) return ReportFailure(fmt::format("cannot write {}", tmp));
    bytes = static_cast<std::uint64_t>(out.tellp());
  }
  if (!SyncPath(tmp, O_RDONLY))
    return ReportFailure(fmt::format("cannot sync {}: {}", tmp, std::strerror(errno)));
  if (rename(tmp.c_str(), flags.output.c_str()) != 0)
    return ReportFailure(
        fmt::format("cannot rename {} to {}: {}", tmp, flags.output, std::strerror(errno)));
  partial.keep = true;
  SyncPath(DirectoryOf(flags.output), O_RDONLY | O_DIRECTORY);

  if (ctx.json())
    PrintJson({{"file", flags.output}, {"format", FormatName(format)}, {"bytes", bytes}});
  else
    fmt::print("exported the catalog to {} ({}, {} bytes)\n", flags.output, FormatName(format),
               bytes);
  return kExitOk;
}

}  // namespace

void AddCatalogCommands(CLI::App& app, Invocation& invocation) {
  CLI::App* catalog = app.add_subcommand("catalog", "Import and export the whole catalog");
  catalog->footer(ExitCodesHelp());

  auto import_flags = std::make_shared<ImportFlags>();
  CLI::App* import = AddVerb(
      *catalog, "import",
      "Import products from a Shopify product CSV or ecom JSON Lines file. All or nothing unless "
      "--on-error skip; problems are listed as file:line: column 'X': message on stderr",
      invocation);
  import->add_option("FILE", import_flags->file, "The file to import, or - for standard input")
      ->required()
      ->check(CheckInputFile, "FILE or -");
  import
      ->add_option("--format", import_flags->format,
                   "shopify (product CSV) or jsonl (one product per line); default: jsonl for "
                   "*.jsonl and *.ndjson, otherwise shopify")
      ->check(CLI::IsMember({"shopify", "jsonl"}));
  import->add_flag("--dry-run", import_flags->dry_run,
                   "Check the file and report what would change; change nothing");
  import
      ->add_option(
          "--on-error", import_flags->on_error,
          "abort: any problem rejects the whole file (default); skip: leave out the products "
          "with problems and import the rest")
      ->check(CLI::IsMember({"abort", "skip"}));
  import->callback([&invocation, import_flags] {
    invocation.action = [import_flags](Context& ctx) { return RunImport(ctx, *import_flags);
};
}  // namespace ecom::cli
);

auto export_flags = std::make_shared<ExportFlags>();
CLI::App* exp = AddVerb(*catalog, "export",
                        "Write the whole catalog (every status) to stdout or a file; importing it "
                        "into an empty store gives the same catalog",
                        invocation);
exp->add_option(
       "--format", export_flags->format,
       "shopify (product CSV) or jsonl; default: jsonl when -o ends in .jsonl, otherwise shopify")
    ->check(CLI::IsMember({"shopify", "jsonl"}));
exp->add_option("-o,--output", export_flags->output,
                "Write to FILE (via FILE.tmp and a rename, so FILE is never half-written); "
                "default: standard output")
    ->type_name("FILE");
exp->callback([&invocation, export_flags] {
  invocation.action = [export_flags](Context& ctx) { return RunExport(ctx, *export_flags); };
});
}

}  // namespace ecom::cli
