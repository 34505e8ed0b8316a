// Plain-text tables, JSON output and the progress bar.
#include "output.h"

#include <fmt/core.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "ecom/common/money.h"

namespace ecom::cli {

bool IsTerminal(std::FILE* stream) { return isatty(fileno(stream)) == 1; }

bool UseColor(std::FILE* stream) {
  if (!IsTerminal(stream)) return false;
  if (const char* no_color = std::getenv("NO_COLOR"); no_color && *no_color) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return true;
}

std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++width;  // count lead bytes, not continuations
  return width;
}

std::string Truncate(std::string_view text, std::size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  std::size_t keep = width > 3 ? width - 3 : 0;
  std::size_t seen = 0, end = 0;
  for (; end < text.size(); ++end) {
    auto c = static_cast<unsigned char>(text[end]);
    if ((c & 0xC0) != 0x80) {
      if (seen == keep) break;
      ++seen;
    }
  }
  return std::string(text.substr(0, end)) + "...";
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

Table& Table::AlignRight(std::size_t index) {
  if (index < right_.size()) right_[index] = true;
  return *this;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::FILE* out) const {
  std::vector<std::size_t> widths(headers_.size(), 0);
  for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_)
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));

  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      bool last = i + 1 == cells.size();
      std::string pad(widths[i] - DisplayWidth(cells[i]), ' ');
      if (right_[i])
        text += pad + cells[i];
      else
        text += last ? cells[i] : cells[i] + pad;
      if (!last) text += "  ";
    }
    text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks from empty cells
    return text;
  };
  bool color = UseColor(out);
  std::string header = line(headers_);
  fmt::print(out, "{}{}{}\n", color ? "\033[1m" : "", header, color ? "\033[0m" : "");
  for (const auto& row : rows_) fmt::print(out, "{}\n", line(row));
  std::fflush(out);
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields, std::FILE* out) {
  std::size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, DisplayWidth(key) + 1);
  for (const auto& [key, value] : fields)
    fmt::print(out, "{}{}  {}\n", key + ":", std::string(width - DisplayWidth(key) - 1, ' '),
               value);
  std::fflush(out);
}

void PrintJson(const nlohmann::json& value) {
  std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string FormatAmount(std::int64_t amount, const std::string& currency) {
  return FormatDecimalAmount(amount, CurrencyExponent(currency).value_or(2));
}

std::string FormatMoney(std::int64_t amount, const std::string& currency) {
  return FormatAmount(amount, currency) + " " + currency;
}

namespace {

std::string Bytes(std::uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  if (n < 1024 * 1024) return fmt::format("{:.1f} KB", n / 1024.0);
  if (n < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MB", n / (1024.0 * 1024));
  return fmt::format("{:.2f} GB", n / (1024.0 * 1024 * 1024));
}

std::string Duration(double seconds) {
  auto s = static_cast<long long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

int TerminalColumns() {
  winsize ws{};
  if (ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

}  // namespace

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(IsTerminal(stderr)), start_(SteadyClock::now()) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  auto now = SteadyClock::now();
  bool complete = total > 0 && done >= total;
  if (drawn_ && !complete && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, total);
}

void ProgressBar::Draw(std::uint64_t done, std::uint64_t total) {
  double elapsed = std::chrono::duration<double>(SteadyClock::now() - start_).count();
  double rate = elapsed > 0 ? done / elapsed : 0;  // bytes per second
  std::string eta = "--:--";
  if (rate > 0 && total >= done) eta = Duration((total - done) / rate);
  std::string tail = fmt::format(" {}/{}  {:.1f} MB/s  ETA {}", Bytes(done), Bytes(total),
                                 rate / (1024 * 1024), eta);
  int columns = TerminalColumns();
  int bar_width = columns - static_cast<int>(DisplayWidth(label_) + tail.size()) - 4;
  std::string bar;
  if (bar_width >= 10) {
    bar_width = std::min(bar_width, 40);
    double fraction = total > 0 ? std::min(1.0, static_cast<double>(done) / total) : 0;
    int filled = static_cast<int>(fraction * bar_width);
    bar = " [" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]";
  }
  fmt::print(stderr, "\r{}{}{}\033[K", label_, bar, tail);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_ || !drawn_) return;
  fmt::print(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace ecom::cli
