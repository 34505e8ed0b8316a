// A direct JSON writer: appends a document to a string as it is described,
// without building a tree. For the hot answers (products, carts, orders),
// which write their keys in the order nlohmann sorts them, so that both
// roads produce the same bytes, and for log lines. Strings are written as
// given: callers pass well-formed UTF-8.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace ecom {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void String(std::string_view s) {
    out_.push_back('"');
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_.push_back(kHex[c >> 4]);
          out_.push_back(kHex[c & 15]);
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_.push_back('"');
  }
  void Int(std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void Double(double v) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string_view s(buf, static_cast<std::size_t>(end - buf));
    out_.append(s);
    if (s.find_first_of(".eEn") == std::string_view::npos) out_ += ".0";  // as nlohmann prints doubles
  }
  void Bool(bool v) { out_ += v ? "true" : "false"; }
  void Null() { out_ += "null"; }
  void Key(std::string_view k) {
    Comma();
    String(k);
    out_.push_back(':');
    after_key_ = true;  // the value follows without a comma
  }
  void Begin(char c) {
    Comma();
    out_.push_back(c);
    first_ = true;
  }
  void End(char c) {
    out_.push_back(c);
    first_ = false;
  }
  // Called before every value or key: a comma unless first in its container.
  void Comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  void Value(std::string_view s) { Comma(), String(s); }
  void Value(std::int64_t v) { Comma(), Int(v); }
  void Value(bool v) { Comma(), Bool(v); }
  void ValueDouble(double v) { Comma(), Double(v); }
  void ValueNull() { Comma(), Null(); }
  void Money(std::int64_t amount, std::string_view currency) {
    Begin('{');
    Key("amount");
    Value(amount);
    Key("currency");
    Value(currency);
    End('}');
  }

 private:
  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace ecom
