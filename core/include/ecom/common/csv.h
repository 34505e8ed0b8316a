// Streaming RFC 4180 CSV reading and writing for bulk imports and exports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecom/common/result.h"

namespace ecom::csv {

// Bounds on one record, so a hostile or broken file cannot exhaust memory.
struct Limits {
  // Raw bytes of one record (quotes and commas included, line terminator
  // excluded) above which the record is rejected.
  std::size_t max_record_bytes = 1 << 20;  // 1 MiB
  // Fields in one record above which the record is rejected.
  std::size_t max_fields = 512;
};

// One parsed record.
struct Record {
  std::vector<std::string> fields;  // unquoted, unescaped field values
  std::uint64_t line = 0;           // 1-based physical line where the record starts
};

// Reads RFC 4180 records from a stream, one at a time.
//
// Format: fields are separated by commas and may be enclosed in double quotes;
// inside quotes, "" stands for one quote and commas, CR and LF are data.
// Records end in LF or CRLF; the last record may lack a line terminator. A
// UTF-8 byte order mark at the very start is skipped. Empty lines are skipped
// and never reported as records (a record holding one empty field must be
// written as ""). Outside quotes a CR must be followed by LF. Every field must
// be well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
// Line numbers count LF characters, so a CRLF is one line break.
//
// Next() returns true and fills `out`, false at the clean end of input (and on
// every later call), or an Error. Syntax, encoding and size errors have code
// kInvalidArgument and one of these reasons:
//   "csv_syntax"        stray quote, unexpected character after closing quote,
//                       CR not followed by LF, unterminated quoted field
//   "invalid_utf8"      a field is not well-formed UTF-8
//   "record_too_large"  the record exceeds Limits::max_record_bytes or
//                       Limits::max_fields
// A failing input stream yields code kInternal, reason "read_failed".
// Messages name the file, the line and, when known, the 1-based column (field
// number), e.g. "products.csv:12: column 5: unterminated quoted field". The line
// is the one holding the offending byte, except for unterminated quoted fields
// and oversized records, which name the line where the record starts. After an
// error the reader is finished: every later call returns the same error, and
// the contents of `out` are unspecified.
//
// Memory: the input is read in 64 KiB chunks, never as a whole; an oversized
// record is rejected as soon as it passes the limit, so at most about
// max_record_bytes plus one chunk is held. The strings in `out.fields` are
// cleared and refilled, so passing the same Record to every call reuses their
// capacity.
//
// Thread-safety: a Reader is not thread-safe; use one from one thread at a
// time. The stream must outlive the Reader and must not be read by others
// while the Reader is in use.
class Reader {
 public:
  // `file_name` is used only in error messages.
  Reader(std::istream& in, std::string file_name, Limits limits = {});
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  Result<bool> Next(Record& out);

  // Input bytes consumed so far: through the end of the last record returned
  // (byte order mark and skipped empty lines included). Equals the input size
  // once Next() has returned false.
  std::uint64_t bytes_read() const;

 private:
  // Makes at least `n` unconsumed bytes available in the buffer; false if the
  // input ends (or fails) first.
  bool Ensure(std::size_t n);
  bool Refill(std::size_t n);
  // Makes `error` (or a read failure, if the stream broke) sticky and returns it.
  Error Fail(Error error);
  Error ReadFailedError() const;
  Error MakeError(const char* reason, std::uint64_t line, std::size_t column,
                  std::string_view what) const;

  std::istream& in_;
  std::string file_name_;
  Limits limits_;
  std::unique_ptr<char[]> buf_;
  std::size_t pos_ = 0;        // next unconsumed byte in buf_
  std::size_t end_ = 0;        // end of valid bytes in buf_
  std::uint64_t base_ = 0;     // input offset of buf_[0]
  std::uint64_t line_ = 1;     // physical line of buf_[pos_]
  bool started_ = false;       // byte order mark handled
  bool input_done_ = false;    // the stream has no more bytes
  bool read_failed_ = false;   // the stream reported an error
  bool finished_ = false;      // Next() returned false
  std::optional<Error> error_;  // sticky error
};

// Appends `field` to `out`, enclosed in double quotes (with inner quotes
// doubled) only if it contains a comma, quote, CR or LF, starts or ends with a
// space or tab, or starts with a UTF-8 byte order mark.
void WriteField(std::string& out, std::string_view field);

// Appends `fields` joined by commas and followed by "\n". A lone empty field is
// written as "" so that it reads back as a record rather than an empty line; a
// record with no fields is written as an empty line, which readers skip.
void WriteRecord(std::string& out, const std::vector<std::string>& fields);

}  // namespace ecom::csv
