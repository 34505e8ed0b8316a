// docs/usage.md stays true to the tool: every verb `ecom --help` lists has a
// section naming each of its flags, and the exit codes and settings are all
// documented.
#include <gmock/gmock.h>

#include <regex>
#include <set>
#include <sstream>

#include "cli/cli_test.h"
#include "ecom/common/config.h"

namespace ecom::cli::testing {
namespace {

using ::testing::HasSubstr;

class DocsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    if (IsSkipped()) return;
    const char* source = std::getenv("ECOM_SOURCE_DIR");
#ifdef ECOM_DEFAULT_SOURCE_DIR
    if (!source || !*source) source = ECOM_DEFAULT_SOURCE_DIR;
#endif
    usage_ = ReadFile(std::string(source ? source : ".") + "/docs/usage.md");
    ASSERT_FALSE(usage_.empty()) << "docs/usage.md is missing";
  }

  // The names under "Subcommands:" in a CLI11 help text.
  static std::vector<std::string> Subcommands(const std::string& help) {
    std::vector<std::string> names;
    std::istringstream in(help);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
      if (line == "Subcommands:") {
        inside = true;
      } else if (inside) {
        if (line.empty()) break;
        std::istringstream words(line);
        std::string name;
        words >> name;
        names.push_back(name);
      }
    }
    return names;
  }

  // The long flags under "Options:" in a CLI11 help text.
  static std::set<std::string> Flags(const std::string& help) {
    std::set<std::string> flags;
    std::regex flag(R"(^\s+(?:-\w,)?(--[a-z][a-z-]*))");
    std::istringstream in(help);
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, flag)) flags.insert(m[1]);
    return flags;
  }

  // The text of the section that starts with `heading`, up to the next heading.
  std::string Section(const std::string& heading) {
    auto start = usage_.find(heading);
    if (start == std::string::npos) return "";
    auto end = usage_.find("\n#", start + heading.size());
    return usage_.substr(start, end == std::string::npos ? std::string::npos : end - start);
  }

  std::string usage_;
};

TEST_P(DocsTest, EveryVerbHasASectionNamingEachOfItsFlags) {
  const std::set<std::string> global = {"--help", "--db", "--config", "--json", "--actor"};
  std::vector<std::string> nouns = Subcommands(EcomRaw({"--help"}).out);
  ASSERT_FALSE(nouns.empty());
  for (const auto& noun : nouns) {
    std::vector<std::string> verbs = Subcommands(EcomRaw({noun, "--help"}).out);
    EXPECT_FALSE(verbs.empty()) << noun;
    for (const auto& verb : verbs) {
      std::string section = Section("### `ecom " + noun + " " + verb);
      EXPECT_FALSE(section.empty())
          << "docs/usage.md has no section for ecom " << noun << " " << verb;
      for (const auto& f : Flags(EcomRaw({noun, verb, "--help"}).out)) {
        if (global.count(f)) continue;
        EXPECT_THAT(section, HasSubstr(f))
            << "ecom " << noun << " " << verb << " " << f << " is not documented";
      }
    }
  }
}

TEST_P(DocsTest, GlobalFlagsAreDocumented) {
  for (const char* flag : {"--db", "--config", "--json", "--actor"})
    EXPECT_THAT(usage_, HasSubstr(flag));
}

TEST_P(DocsTest, EveryExitCodeIsDocumented) {
  std::string help = EcomRaw({"--help"}).out;
  for (const char* code : {"0", "1", "2", "3", "4", "65"}) {
    EXPECT_THAT(Section("## Exit codes"), HasSubstr(std::string("| ") + code + " |")) << code;
    EXPECT_THAT(help, HasSubstr(std::string("  ") + code + " ")) << code;
  }
}

TEST_P(DocsTest, EverySettingIsDocumentedWithItsVariable) {
  std::string section = Section("## Configuration");
  for (const auto& key : ConfigKeys()) {
    EXPECT_THAT(section, HasSubstr(std::string("`") + key.key + "`"));
    EXPECT_THAT(section, HasSubstr("`" + EnvNameFor(key.key) + "`"));
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DocsTest, ::testing::Values(Backend::kSqlite), BackendName);

}  // namespace
}  // namespace ecom::cli::testing
