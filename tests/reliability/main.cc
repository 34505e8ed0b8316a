// ecom_reliability: proves the checkout guarantees against real ecomd
// processes over HTTP, on SQLite (one ecomd) and PostgreSQL (three ecomd on
// one database, when ECOM_TEST_PG_URL is set). Prints a table of figures per
// check and store; exits 1 if any invariant was violated.
//
//   ecom_reliability [--rounds N] [--only oversell|idempotency|crash|conservation]
//                    [--stores sqlite,postgres] [--seed S] [--keep]
//
// Uses $ECOM_BIN_DIR/ecomd (default: ../bin beside this program).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>

#include "checks.h"

namespace {

using namespace ecom::reliability;

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ','))
    if (!part.empty()) out.push_back(part);
  return out;
}

int Usage() {
  std::fprintf(stderr,
               "usage: ecom_reliability [--rounds N] [--only oversell|idempotency|crash|conservation[,...]]\n"
               "                        [--stores sqlite,postgres] [--seed S] [--keep]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Context ctx;
  Options& o = ctx.options;
  o.seed = std::random_device{}();
  bool stores_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rounds") o.rounds = std::atoi(value().c_str());
    else if (a == "--only") o.only = Split(value());
    else if (a == "--stores") {
      o.stores = Split(value());
      stores_given = true;
    } else if (a == "--seed") o.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--keep") o.keep = true;
    else return Usage();
  }
  if (o.rounds < 1) return Usage();
  for (const auto& c : o.only)
    if (c != "oversell" && c != "idempotency" && c != "crash" && c != "conservation") return Usage();
  const char* pg = std::getenv("ECOM_TEST_PG_URL");
  bool have_pg = pg && *pg;
  if (!stores_given) {
    o.stores = {"sqlite"};
    if (have_pg) o.stores.push_back("postgres");
  }
  for (const auto& s : o.stores) {
    if (s != "sqlite" && s != "postgres") return Usage();
    if (s == "postgres" && !have_pg) {
      std::fprintf(stderr, "ecom_reliability: --stores postgres needs ECOM_TEST_PG_URL\n");
      return 2;
    }
  }
  ctx.rng.seed(o.seed);
  auto wanted = [&](const std::string& c) {
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), c) != o.only.end();
  };
  std::printf("ecom_reliability: %d rounds, seed %llu, stores", o.rounds, static_cast<unsigned long long>(o.seed));
  for (const auto& s : o.stores) std::printf(" %s", s.c_str());
  std::printf("%s\n", have_pg ? "" : " (set ECOM_TEST_PG_URL for PostgreSQL)");
  std::fflush(stdout);
  auto started = Clock::now();

  // The crash check's load runs first: its keys held by killed processes
  // wait out their 60 s lease while the other checks run.
  std::vector<std::unique_ptr<CrashCheck>> crashes;
  if (wanted("crash"))
    for (const auto& s : o.stores) {
      crashes.push_back(std::make_unique<CrashCheck>(ctx, s));
      crashes.back()->Load();
    }
  for (const auto& s : o.stores) {
    if (wanted("oversell")) RunOversell(ctx, s);
    if (wanted("idempotency")) RunIdempotency(ctx, s);
    if (wanted("conservation")) RunConservation(ctx, s);
  }
  for (auto& c : crashes) c->Settle();

  ctx.report.Print(stdout);
  ctx.violations.Print(stdout);
  int total = ctx.violations.Total();
  std::printf("\n%s in %.1f s (seed %llu; reproduce with --seed %llu --rounds %d)\n",
              total == 0 ? "all invariants held" : Fmt("%d INVARIANT VIOLATIONS", total).c_str(), Seconds(started),
              static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.seed), o.rounds);
  if (total > 0 && !o.keep) std::printf("(add --keep to keep each check's store and ecomd logs for inspection)\n");
  return total == 0 ? 0 : 1;
}
