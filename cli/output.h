// Terminal output shared by the commands: aligned tables, key/value blocks,
// JSON on stdout, money formatting and the progress bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecom::cli {

// True if `stream` is a terminal.
bool IsTerminal(std::FILE* stream);

// True if output to `stream` may use ANSI colour: a terminal, NO_COLOR unset,
// TERM not "dumb".
bool UseColor(std::FILE* stream);

// The width `text` takes on a terminal (UTF-8 code points).
std::size_t DisplayWidth(std::string_view text);

// `text` cut to at most `width` code points, ending in "..." when cut.
std::string Truncate(std::string_view text, std::size_t width);

// A plain-text table: a header row and columns padded to the widest cell,
// separated by two spaces. The header is bold on a colour terminal.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Right-aligns column `index` (numbers).
  Table& AlignRight(std::size_t index);
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  void Print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

// "key:   value" lines with the values aligned.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields,
                 std::FILE* out = stdout);

// Pretty-printed JSON and a newline on stdout; invalid UTF-8 is replaced
// rather than thrown on.
void PrintJson(const nlohmann::json& value);

// 2500 USD -> "25.00 USD", in the currency's own exponent.
std::string FormatMoney(std::int64_t amount, const std::string& currency);
// The amount alone: "25.00".
std::string FormatAmount(std::int64_t amount, const std::string& currency);

// A one-line progress bar on stderr, drawn only when stderr is a terminal:
// bytes done/total, rate in MB/s and time left, redrawn at most 10 times a
// second. Finish() (or the destructor) clears the line.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  void Update(std::uint64_t done, std::uint64_t total);
  void Finish();

 private:
  using SteadyClock = std::chrono::steady_clock;
  void Draw(std::uint64_t done, std::uint64_t total);

  std::string label_;
  bool enabled_ = false;
  bool drawn_ = false;
  SteadyClock::time_point start_;
  SteadyClock::time_point last_draw_;
};

}  // namespace ecom::cli
