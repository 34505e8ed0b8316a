// ecom's JSON Lines catalog format: one product with its variants per line.
#include <nlohmann/json.hpp>

#include "catalog/product_source.h"
#include "ecom/catalog/json.h"
#include "ecom/common/text.h"

namespace ecom::catalog {
namespace {

constexpr std::size_t kMaxLineBytes = 16 << 20;

class JsonlSource final : public ProductSource {
 public:
  JsonlSource(std::istream& in, std::string file, std::string currency)
      : in_(in), file_(std::move(file)), currency_(std::move(currency)) {}

  std::uint64_t bytes_read() const override { return bytes_; }

  Result<bool> Next(ParsedProduct& out) override {
    std::string line;
    for (;;) {
      ECOM_ASSIGN_OR_RETURN(bool more, ReadLine(line));
      if (!more) return false;
      if (!Trim(line).empty()) break;
    }
    out = ParsedProduct{};
    out.line = line_no_;
    if (!IsValidUtf8(line)) {
      out.problems.push_back({file_, line_no_, "", "the line is not valid UTF-8"});
      return true;
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      out.problems.push_back({file_, line_no_, "", std::string("invalid JSON: ") + e.what()});
      return true;
    }
    auto input = ProductInputFromJson(j, currency_);
    if (!input.ok()) {
      for (const auto& f : input.error().fields) out.problems.push_back({file_, line_no_, f.field, f.message});
      return true;
    }
    out.input = std::move(*input);
    return true;
  }

 private:
  // Reads one line without its newline; refuses lines over the limit without
  // buffering them.
  Result<bool> ReadLine(std::string& line) {
    line.clear();
    std::streambuf* buf = in_.rdbuf();
    bool any = false;
    for (;;) {
      int c = buf->sbumpc();
      if (c == std::char_traits<char>::eof()) {
        if (!any) return false;
        break;
      }
      any = true;
      ++bytes_;
      if (c == '\n') break;
      if (line.size() >= kMaxLineBytes)
        return Error{ErrorCode::kInvalidArgument, "record_too_large",
                     file_ + ":" + std::to_string(line_no_ + 1) + ": line longer than " +
                         std::to_string(kMaxLineBytes) + " bytes",
                     {}};
      line.push_back(static_cast<char>(c));
    }
    ++line_no_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  std::istream& in_;
  std::string file_;
  std::string currency_;
  std::uint64_t line_no_ = 0;
  std::uint64_t bytes_ = 0;
};

}  // namespace

std::unique_ptr<ProductSource> MakeJsonlSource(std::istream& in, const std::string& file_name,
                                               const std::string& currency) {
  return std::make_unique<JsonlSource>(in, file_name, currency);
}

}  // namespace ecom::catalog
