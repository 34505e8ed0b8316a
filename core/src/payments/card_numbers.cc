// Raw card number detection: Luhn plus a strict "the whole value is the
// number" rule, over every key and scalar of a JSON document.
#include "ecom/payments/card_numbers.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "ecom/common/text.h"

namespace ecom::payments {
namespace {

using nlohmann::json;

constexpr std::size_t kMinDigits = 13;
constexpr std::size_t kMaxDigits = 19;

// The decimal text of a number value, or "" if it cannot be a card number
// (a fraction, infinity, or too large for 19 digits).
std::string NumberText(const json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  double d = value.get<double>();
  // 1e19 bounds every 19-digit number and keeps the cast below defined.
  if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) >= 1e19) return "";
  return std::to_string(static_cast<std::uint64_t>(std::fabs(d)));
}

bool ValueMatches(const json& value) {
  if (value.is_string()) return LooksLikeCardNumber(value.get_ref<const std::string&>());
  if (value.is_number()) return LooksLikeCardNumber(NumberText(value));
  return false;
}

// One container being walked; `it` points at the member or element whose
// subtree is being visited, so the stack of frames is the current path.
struct Frame {
  const json* container;
  json::const_iterator it;
  std::size_t index = 0;    // position of `it` in an array
  std::string_view member;  // the member name an array's elements inherit
};

std::string PathOf(const std::vector<Frame>& stack, bool last_key_redacted) {
  std::string path;
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const Frame& f = stack[i];
    if (f.container->is_array()) {
      path += "[" + std::to_string(f.index) + "]";
      continue;
    }
    if (!path.empty()) path += '.';
    path += (last_key_redacted && i + 1 == stack.size()) ? std::string("*") : f.it.key();
  }
  return path;
}

}  // namespace

bool PassesLuhn(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto c = digits.rbegin(); c != digits.rend(); ++c) {
    if (*c < '0' || *c > '9') return false;
    int d = *c - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool LooksLikeCardNumber(std::string_view value) {
  std::string digits;
  for (char c : Trim(value)) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9' || digits.size() == kMaxDigits) return false;
    digits += c;
  }
  return digits.size() >= kMinDigits && PassesLuhn(digits);
}

std::optional<std::string> FindCardNumber(const json& body,
                                          const std::vector<std::string>& identifier_fields) {
  if (!body.is_structured()) {
    if (ValueMatches(body)) return std::string();
    return std::nullopt;
  }
  auto is_identifier = [&](std::string_view name) {
    return std::find(identifier_fields.begin(), identifier_fields.end(), name) !=
           identifier_fields.end();
  };

  std::vector<Frame> stack{{&body, body.cbegin(), 0, {}}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.it == top.container->cend()) {
      stack.pop_back();
      if (!stack.empty()) {
        ++stack.back().it;
        ++stack.back().index;
      }
      continue;
    }
    std::string_view name = top.member;
    if (top.container->is_object()) {
      name = top.it.key();
      if (LooksLikeCardNumber(name)) return PathOf(stack, /*last_key_redacted=*/true);
    }
    const json& value = *top.it;
    if (value.is_structured()) {
      // `top` is invalidated by the push; copy what the child needs first.
      stack.push_back({&value, value.cbegin(), 0, name});
      continue;
    }
    if (!is_identifier(name) && ValueMatches(value)) return PathOf(stack, false);
    ++top.it;
    ++top.index;
  }
  return std::nullopt;
}

}  // namespace ecom::payments
