// Streaming RFC 4180 CSV reader and writer used by bulk imports and exports.
#include "ecom/common/csv.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace ecom::csv {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;
constexpr std::size_t kNoError = std::string_view::npos;

// Bytes that end a run of unquoted field data.
constexpr std::array<bool, 256> MakeUnquotedStops() {
  std::array<bool, 256> stops{};
  stops[static_cast<unsigned char>(',')] = true;
  stops[static_cast<unsigned char>('"')] = true;
  stops[static_cast<unsigned char>('\r')] = true;
  stops[static_cast<unsigned char>('\n')] = true;
  return stops;
}
constexpr std::array<bool, 256> kUnquotedStop = MakeUnquotedStops();

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Returns the offset of the first byte of the first malformed UTF-8 sequence
// in `s`, or kNoError if `s` is well-formed.
std::size_t FindInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, sizeof(word));
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c < 0xC2) return i;  // stray continuation byte or overlong 2-byte form
    if (c < 0xE0) {
      if (i + 1 >= n || !IsContinuation(p[i + 1])) return i;
      i += 2;
      continue;
    }
    if (c < 0xF0) {
      if (i + 2 >= n) return i;
      const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F is overlong
      const unsigned char hi = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF is a surrogate
      if (p[i + 1] < lo || p[i + 1] > hi || !IsContinuation(p[i + 2])) return i;
      i += 3;
      continue;
    }
    if (c < 0xF5) {
      if (i + 3 >= n) return i;
      const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80..8F is overlong
      const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. is above U+10FFFF
      if (p[i + 1] < lo || p[i + 1] > hi || !IsContinuation(p[i + 2]) ||
          !IsContinuation(p[i + 3])) {
        return i;
      }
      i += 4;
      continue;
    }
    return i;  // F5..FF never occur in UTF-8
  }
  return kNoError;
}

}  // namespace

Reader::Reader(std::istream& in, std::string file_name, Limits limits)
    : in_(in),
      file_name_(std::move(file_name)),
      limits_(limits),
      buf_(std::make_unique<char[]>(kChunkBytes)) {}

std::uint64_t Reader::bytes_read() const { return base_ + pos_; }

inline bool Reader::Ensure(std::size_t n) { return end_ - pos_ >= n || Refill(n); }

bool Reader::Refill(std::size_t n) {
  while (end_ - pos_ < n) {
    if (input_done_) return false;
    // Keep the unconsumed tail (at most a byte or two) and read after it.
    const std::size_t tail = end_ - pos_;
    if (pos_ != 0) {
      std::memmove(buf_.get(), buf_.get() + pos_, tail);
      base_ += pos_;
      pos_ = 0;
      end_ = tail;
    }
    const std::size_t want = kChunkBytes - end_;
    in_.read(buf_.get() + end_, static_cast<std::streamsize>(want));
    const auto got = static_cast<std::size_t>(in_.gcount());
    end_ += got;
    if (got < want) {
      input_done_ = true;
      read_failed_ = in_.bad();
    }
  }
  return true;
}

Error Reader::MakeError(const char* reason, std::uint64_t line, std::size_t column,
                        std::string_view what) const {
  std::string message = file_name_;
  message += ':';
  message += std::to_string(line);
  message += ": ";
  if (column != 0) {
    message += "column ";
    message += std::to_string(column);
    message += ": ";
  }
  message += what;
  return {ErrorCode::kInvalidArgument, reason, std::move(message), {}};
}

Error Reader::ReadFailedError() const {
  return {ErrorCode::kInternal, "read_failed",
          file_name_ + ":" + std::to_string(line_) + ": read failed", {}};
}

Error Reader::Fail(Error error) {
  // Running out of input because the stream broke is not the file's fault.
  error_ = read_failed_ ? ReadFailedError() : std::move(error);
  return *error_;
}

Result<bool> Reader::Next(Record& out) {
  if (error_) return *error_;
  if (finished_) return false;
  const char* const data = buf_.get();

  if (!started_) {
    started_ = true;
    if (Ensure(3) && std::memcmp(data + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
  }

  // Skip empty lines.
  for (;;) {
    if (!Ensure(1)) {
      if (read_failed_) return Fail(ReadFailedError());
      finished_ = true;
      return false;
    }
    const char c = data[pos_];
    if (c == '\n') {
      ++pos_;
      ++line_;
    } else if (c == '\r' && Ensure(2) && data[pos_ + 1] == '\n') {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }

  out.line = line_;
  std::vector<std::string>& fields = out.fields;
  const std::size_t max_bytes = limits_.max_record_bytes;
  std::size_t count = 0;          // fields started so far
  std::uint64_t record_bytes = 0;  // raw bytes of the record consumed so far
  auto too_large = [&] {
    return Fail(MakeError("record_too_large", out.line, 0,
                          "record longer than " + std::to_string(max_bytes) + " bytes"));
  };

  for (;;) {
    if (count == limits_.max_fields) {
      return Fail(MakeError("record_too_large", out.line, 0,
                            "record has more than " + std::to_string(limits_.max_fields) +
                                " fields"));
    }
    if (count < fields.size()) {
      fields[count].clear();
    } else {
      fields.emplace_back();
    }
    std::string& field = fields[count++];
    const std::uint64_t field_line = line_;
    bool input_ended = false;  // no byte follows this field

    if (!Ensure(1)) {
      input_ended = true;  // a trailing comma at the end of input: empty last field
    } else if (data[pos_] == '"') {
      ++pos_;
      ++record_bytes;
      for (;;) {
        const char* p = data + pos_;
        const char* e = data + end_;
        const auto* q = static_cast<const char*>(std::memchr(p, '"', e - p));
        if (q == nullptr) q = e;
        const auto span = static_cast<std::size_t>(q - p);
        if (record_bytes + span > max_bytes) return too_large();
        line_ += static_cast<std::uint64_t>(std::count(p, q, '\n'));
        field.append(p, span);
        record_bytes += span;
        pos_ += span;
        if (q == e) {
          if (!Ensure(1)) {
            return Fail(MakeError("csv_syntax", out.line, count, "unterminated quoted field"));
          }
          continue;
        }
        ++pos_;  // the quote
        ++record_bytes;
        if (!Ensure(1)) {
          input_ended = true;
          break;
        }
        if (data[pos_] != '"') break;  // closing quote
        field.push_back('"');
        ++pos_;
        ++record_bytes;
      }
      if (!input_ended) {
        const char c = data[pos_];
        if (c != ',' && c != '\n' && c != '\r') {
          return Fail(MakeError("csv_syntax", line_, count,
                                "unexpected character after closing quote"));
        }
      }
    } else {
      for (;;) {
        const char* p = data + pos_;
        const char* e = data + end_;
        const char* q = p;
        while (q != e && !kUnquotedStop[static_cast<unsigned char>(*q)]) ++q;
        const auto span = static_cast<std::size_t>(q - p);
        if (record_bytes + span > max_bytes) return too_large();
        field.append(p, span);
        record_bytes += span;
        pos_ += span;
        if (q == e) {
          if (!Ensure(1)) {
            input_ended = true;
            break;
          }
          continue;
        }
        if (*q == '"') return Fail(MakeError("csv_syntax", line_, count, "stray quote"));
        break;
      }
    }
    if (record_bytes > max_bytes) return too_large();

    if (const std::size_t bad = FindInvalidUtf8(field); bad != kNoError) {
      const auto breaks = std::count(field.begin(), field.begin() + bad, '\n');
      return Fail(MakeError("invalid_utf8", field_line + static_cast<std::uint64_t>(breaks),
                            count, "invalid UTF-8"));
    }

    if (input_ended) {
      if (read_failed_) return Fail(ReadFailedError());
      break;
    }
    const char c = data[pos_];
    if (c == ',') {
      ++pos_;
      ++record_bytes;
      continue;
    }
    if (c == '\n') {
      ++pos_;
      ++line_;
      break;
    }
    if (Ensure(2) && data[pos_ + 1] == '\n') {  // c is CR
      pos_ += 2;
      ++line_;
      break;
    }
    return Fail(MakeError("csv_syntax", line_, count, "carriage return not followed by line feed"));
  }

  fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(count), fields.end());
  return true;
}

void WriteField(std::string& out, std::string_view field) {
  bool quote = false;
  if (!field.empty()) {
    const char first = field.front();
    const char last = field.back();
    quote = first == ' ' || first == '\t' || last == ' ' || last == '\t' ||
            field.substr(0, 3) == "\xEF\xBB\xBF" ||
            field.find_first_of(",\"\r\n") != std::string_view::npos;
  }
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (;;) {
    const std::size_t q = field.find('"');
    if (q == std::string_view::npos) break;
    out.append(field.substr(0, q + 1));
    out.push_back('"');
    field.remove_prefix(q + 1);
  }
  out.append(field);
  out.push_back('"');
}

void WriteRecord(std::string& out, const std::vector<std::string>& fields) {
  if (fields.size() == 1 && fields.front().empty()) {
    out.append("\"\"\n");
    return;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i != 0) out.push_back(',');
    WriteField(out, fields[i]);
  }
  out.push_back('\n');
}

}  // namespace ecom::csv
