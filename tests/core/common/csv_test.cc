// Tests for the streaming CSV reader and writer.
#include "ecom/common/csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ecom::csv {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// The reader documents that it reads its input in chunks of this size.
constexpr std::size_t kChunk = 64 * 1024;

// Reads every record of `text`, failing the test on any error.
Rows ReadAll(const std::string& text, Limits limits = {}) {
  std::istringstream in(text);
  Reader reader(in, "products.csv", limits);
  Rows rows;
  Record record;
  for (;;) {
    Result<bool> next = reader.Next(record);
    if (!next.ok()) {
      ADD_FAILURE() << "unexpected error: " << next.error().message;
      return rows;
    }
    if (!*next) return rows;
    rows.push_back(record.fields);
  }
}

// Reads `text` to the end and returns the error it must produce.
Error ReadError(const std::string& text, Limits limits = {}) {
  std::istringstream in(text);
  Reader reader(in, "products.csv", limits);
  Record record;
  for (;;) {
    Result<bool> next = reader.Next(record);
    if (!next.ok()) return next.error();
    if (!*next) {
      ADD_FAILURE() << "expected an error, reached the end of input";
      return {};
    }
  }
}

// Reads `text` and returns the line number of every record.
std::vector<std::uint64_t> RecordLines(const std::string& text) {
  std::istringstream in(text);
  Reader reader(in, "products.csv");
  std::vector<std::uint64_t> lines;
  Record record;
  for (;;) {
    Result<bool> next = reader.Next(record);
    if (!next.ok()) {
      ADD_FAILURE() << "unexpected error: " << next.error().message;
      return lines;
    }
    if (!*next) return lines;
    lines.push_back(record.line);
  }
}

// Produces `total` copies of one byte, a chunk at a time, without ever holding
// more than one chunk.
class RepeatingStreambuf : public std::streambuf {
 public:
  RepeatingStreambuf(char byte, std::uint64_t total) : chunk_(kChunk, byte), total_(total) {}
  std::uint64_t produced() const { return produced_; }

 protected:
  int_type underflow() override {
    if (produced_ >= total_) return traits_type::eof();
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(),
                                                                    total_ - produced_));
    setg(chunk_.data(), chunk_.data(), chunk_.data() + n);
    produced_ += n;
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  std::vector<char> chunk_;
  std::uint64_t total_;
  std::uint64_t produced_ = 0;
};

// A stream source that breaks on the first read.
class FailingStreambuf : public std::streambuf {
 protected:
  int_type underflow() override { throw std::runtime_error("disk gone"); }
};

// --- Well-formed input ------------------------------------------------------

TEST(CsvReaderTest, SimpleRecordsAreSplitOnCommas) {
  EXPECT_EQ(ReadAll("id,name,price\n1,Mug,9.50\n"),
            (Rows{{"id", "name", "price"}, {"1", "Mug", "9.50"}}));
}

TEST(CsvReaderTest, EmptyFieldsArePreserved) {
  EXPECT_EQ(ReadAll(",a,\n,,\n"), (Rows{{"", "a", ""}, {"", "", ""}}));
}

TEST(CsvReaderTest, CrlfLineEndingsEndRecords) {
  EXPECT_EQ(ReadAll("a,b\r\nc,d\r\n"), (Rows{{"a", "b"}, {"c", "d"}}));
}

TEST(CsvReaderTest, QuotedFieldKeepsCommas) {
  EXPECT_EQ(ReadAll("\"Mug, large\",9\n"), (Rows{{"Mug, large", "9"}}));
}

TEST(CsvReaderTest, QuotedFieldSpansLines) {
  EXPECT_EQ(ReadAll("\"line one\nline two\r\nline three\",x\n"),
            (Rows{{"line one\nline two\r\nline three", "x"}}));
}

TEST(CsvReaderTest, LoneCarriageReturnInQuotedFieldIsData) {
  EXPECT_EQ(ReadAll("\"a\rb\",c\n"), (Rows{{"a\rb", "c"}}));
}

TEST(CsvReaderTest, DoubledQuoteInQuotedFieldIsOneQuote) {
  EXPECT_EQ(ReadAll("\"say \"\"hi\"\"\",\"\"\"\"\n"), (Rows{{"say \"hi\"", "\""}}));
}

TEST(CsvReaderTest, QuotedEmptyFieldOnItsOwnLineIsARecord) {
  EXPECT_EQ(ReadAll("\"\"\n"), (Rows{{""}}));
}

TEST(CsvReaderTest, ByteOrderMarkAtStartIsSkipped) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFid,name\n1,Mug\n"), (Rows{{"id", "name"}, {"1", "Mug"}}));
}

TEST(CsvReaderTest, ByteOrderMarkAfterStartIsData) {
  EXPECT_EQ(ReadAll("a\n\xEF\xBB\xBF" "b\n"), (Rows{{"a"}, {"\xEF\xBB\xBF" "b"}}));
}

TEST(CsvReaderTest, FinalRecordWithoutNewlineIsAccepted) {
  EXPECT_EQ(ReadAll("a,b\nc,d"), (Rows{{"a", "b"}, {"c", "d"}}));
}

TEST(CsvReaderTest, FinalQuotedFieldWithoutNewlineIsAccepted) {
  EXPECT_EQ(ReadAll("a,\"b,c\""), (Rows{{"a", "b,c"}}));
}

TEST(CsvReaderTest, TrailingCommaAtEndOfInputYieldsEmptyLastField) {
  EXPECT_EQ(ReadAll("a,"), (Rows{{"a", ""}}));
}

TEST(CsvReaderTest, EmptyLinesBetweenRecordsAreSkipped) {
  EXPECT_EQ(ReadAll("\n\na\n\n\r\nb\r\n\n"), (Rows{{"a"}, {"b"}}));
}

TEST(CsvReaderTest, EmptyInputHasNoRecords) { EXPECT_EQ(ReadAll(""), Rows{}); }

TEST(CsvReaderTest, InputOfOnlyEmptyLinesHasNoRecords) {
  EXPECT_EQ(ReadAll("\n\r\n\n"), Rows{});
}

TEST(CsvReaderTest, InputOfOnlyByteOrderMarkHasNoRecords) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF"), Rows{});
}

TEST(CsvReaderTest, ValidMultiByteTextIsAccepted) {
  EXPECT_EQ(ReadAll("Crème brûlée,日本語,\xF0\x9F\x98\x80,\xF4\x8F\xBF\xBF\n"),
            (Rows{{"Crème brûlée", "日本語", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"}}));
}

TEST(CsvReaderTest, RecordLinesAreOneBased) {
  EXPECT_EQ(RecordLines("a\nb\nc\n"), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(CsvReaderTest, RecordLinesCountPastMultiLineFields) {
  EXPECT_EQ(RecordLines("h\n\"a\nb\r\nc\",x\nnext\n\"\n\"\nlast"),
            (std::vector<std::uint64_t>{1, 2, 5, 6, 8}));
}

TEST(CsvReaderTest, RecordLinesCountSkippedEmptyLines) {
  EXPECT_EQ(RecordLines("\na\n\n\r\nb\n"), (std::vector<std::uint64_t>{2, 5}));
}

TEST(CsvReaderTest, EndOfInputIsReportedOnEveryLaterCall) {
  std::istringstream in("a\n");
  Reader reader(in, "products.csv");
  Record record;
  ASSERT_TRUE(*reader.Next(record));
  for (int i = 0; i < 3; ++i) {
    Result<bool> next = reader.Next(record);
    ASSERT_TRUE(next.ok());
    EXPECT_FALSE(*next);
  }
}

TEST(CsvReaderTest, BytesReadCountsConsumedInput) {
  std::istringstream in("\xEF\xBB\xBF" "a,b\n\nc\n\n");
  Reader reader(in, "products.csv");
  Record record;
  EXPECT_EQ(reader.bytes_read(), 0u);
  ASSERT_TRUE(*reader.Next(record));
  EXPECT_EQ(reader.bytes_read(), 7u);
  ASSERT_TRUE(*reader.Next(record));
  EXPECT_EQ(reader.bytes_read(), 10u);
  ASSERT_FALSE(*reader.Next(record));
  EXPECT_EQ(reader.bytes_read(), 11u);
}

TEST(CsvReaderTest, FieldCountShrinksForShorterRecord) {
  std::istringstream in("a,b,c\nd\n");
  Reader reader(in, "products.csv");
  Record record;
  ASSERT_TRUE(*reader.Next(record));
  ASSERT_TRUE(*reader.Next(record));
  EXPECT_EQ(record.fields, (std::vector<std::string>{"d"}));
}

TEST(CsvReaderTest, FieldStringsKeepCapacityAcrossRecords) {
  const std::string long_value(1000, 'x');
  std::istringstream in(long_value + ",y\nshort,z\n");
  Reader reader(in, "products.csv");
  Record record;
  ASSERT_TRUE(*reader.Next(record));
  const char* storage = record.fields[0].data();
  ASSERT_TRUE(*reader.Next(record));
  EXPECT_EQ(record.fields[0], "short");
  EXPECT_GE(record.fields[0].capacity(), long_value.size());
  EXPECT_EQ(record.fields[0].data(), storage);
}

TEST(CsvReaderTest, RecordAtByteLimitIsAccepted) {
  Limits limits;
  limits.max_record_bytes = 8;
  EXPECT_EQ(ReadAll("abc,defg\n\"ab\",\"c\"\n", limits), (Rows{{"abc", "defg"}, {"ab", "c"}}));
}

TEST(CsvReaderTest, RecordAtFieldLimitIsAccepted) {
  Limits limits;
  limits.max_fields = 3;
  EXPECT_EQ(ReadAll("a,b,c\n", limits), (Rows{{"a", "b", "c"}}));
}

// --- Errors -----------------------------------------------------------------

TEST(CsvReaderTest, UnterminatedQuotedFieldNamesRecordStartLine) {
  Error error = ReadError("id,name\n1,\"Mug\n2,Cup\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "csv_syntax");
  EXPECT_EQ(error.message, "products.csv:2: column 2: unterminated quoted field");
}

TEST(CsvReaderTest, StrayQuoteInUnquotedFieldIsError) {
  Error error = ReadError("a,b\nc,d\"e\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "csv_syntax");
  EXPECT_EQ(error.message, "products.csv:2: column 2: stray quote");
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteIsError) {
  Error error = ReadError("\"a\"b,c\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "csv_syntax");
  EXPECT_EQ(error.message, "products.csv:1: column 1: unexpected character after closing quote");
}

TEST(CsvReaderTest, CharacterAfterMultiLineClosingQuoteNamesItsLine) {
  EXPECT_EQ(ReadError("x\ny,\"a\nb\" \n").message,
            "products.csv:3: column 2: unexpected character after closing quote");
}

TEST(CsvReaderTest, BareCarriageReturnIsError) {
  Error error = ReadError("a\rb\n");
  EXPECT_EQ(error.reason, "csv_syntax");
  EXPECT_EQ(error.message, "products.csv:1: column 1: carriage return not followed by line feed");
}

TEST(CsvReaderTest, CarriageReturnAtEndOfInputIsError) {
  EXPECT_EQ(ReadError("a,b\r").message,
            "products.csv:1: column 2: carriage return not followed by line feed");
}

TEST(CsvReaderTest, RecordLongerThanByteLimitIsError) {
  Limits limits;
  limits.max_record_bytes = 8;
  Error error = ReadError("ok\nabc,defgh\n", limits);
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "record_too_large");
  EXPECT_EQ(error.message, "products.csv:2: record longer than 8 bytes");
}

TEST(CsvReaderTest, QuotesCountTowardByteLimit) {
  Limits limits;
  limits.max_record_bytes = 8;
  EXPECT_EQ(ReadError("\"abc\",\"d\"\n", limits).message,
            "products.csv:1: record longer than 8 bytes");
}

TEST(CsvReaderTest, RecordWithTooManyFieldsIsError) {
  Limits limits;
  limits.max_fields = 3;
  Error error = ReadError("a,b,c,d\n", limits);
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "record_too_large");
  EXPECT_EQ(error.message, "products.csv:1: record has more than 3 fields");
}

TEST(CsvReaderTest, ErrorIsReturnedOnEveryLaterCall) {
  std::istringstream in("a\"\nb\n");
  Reader reader(in, "products.csv");
  Record record;
  for (int i = 0; i < 3; ++i) {
    Result<bool> next = reader.Next(record);
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.error().message, "products.csv:1: column 1: stray quote");
  }
}

TEST(CsvReaderTest, FailingStreamIsReadFailure) {
  FailingStreambuf source;
  std::istream in(&source);
  Reader reader(in, "products.csv");
  Record record;
  Result<bool> next = reader.Next(record);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, ErrorCode::kInternal);
  EXPECT_EQ(next.error().reason, "read_failed");
  EXPECT_EQ(next.error().message, "products.csv:1: read failed");
}

// --- Invalid UTF-8 ----------------------------------------------------------

TEST(CsvReaderTest, OverlongEncodingIsInvalidUtf8) {
  Error error = ReadError("a,b\nc,d\ne,\xC0\xAF\n");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.reason, "invalid_utf8");
  EXPECT_EQ(error.message, "products.csv:3: column 2: invalid UTF-8");
}

TEST(CsvReaderTest, OverlongThreeByteEncodingIsInvalidUtf8) {
  EXPECT_EQ(ReadError("\xE0\x80\xAF\n").message, "products.csv:1: column 1: invalid UTF-8");
}

TEST(CsvReaderTest, LoneContinuationByteIsInvalidUtf8) {
  EXPECT_EQ(ReadError("abc,de\x80" "f\n").message, "products.csv:1: column 2: invalid UTF-8");
}

TEST(CsvReaderTest, TruncatedSequenceAtEndOfInputIsInvalidUtf8) {
  EXPECT_EQ(ReadError("a,caf\xC3").message, "products.csv:1: column 2: invalid UTF-8");
}

TEST(CsvReaderTest, TruncatedSequenceBeforeCommaIsInvalidUtf8) {
  EXPECT_EQ(ReadError("\xE2\x82,x\n").message, "products.csv:1: column 1: invalid UTF-8");
}

TEST(CsvReaderTest, SurrogateIsInvalidUtf8) {
  EXPECT_EQ(ReadError("a,\xED\xA0\x80\n").message, "products.csv:1: column 2: invalid UTF-8");
}

TEST(CsvReaderTest, CodePointAboveMaximumIsInvalidUtf8) {
  EXPECT_EQ(ReadError("a,\xF4\x90\x80\x80\n").message,
            "products.csv:1: column 2: invalid UTF-8");
}

TEST(CsvReaderTest, ByteNeverUsedInUtf8IsInvalidUtf8) {
  EXPECT_EQ(ReadError("\xFF\n").message, "products.csv:1: column 1: invalid UTF-8");
}

TEST(CsvReaderTest, InvalidUtf8InMultiLineFieldNamesItsLine) {
  EXPECT_EQ(ReadError("h\n\"line one\nline \xFF two\"\n").message,
            "products.csv:3: column 1: invalid UTF-8");
}

// --- Streaming and chunk boundaries -----------------------------------------

// The source would produce 300 MB; the reader must stop pulling bytes right
// after the 1 MiB limit, which is also what makes this test finish quickly.
TEST(CsvReaderTest, HugeLazilyGeneratedLineFailsFastAsRecordTooLarge) {
  RepeatingStreambuf source('a', std::uint64_t{300} << 20);
  std::istream in(&source);
  Reader reader(in, "huge.csv");
  Record record;
  Result<bool> next = reader.Next(record);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(next.error().reason, "record_too_large");
  EXPECT_EQ(next.error().message, "huge.csv:1: record longer than 1048576 bytes");
  EXPECT_LT(source.produced(), std::uint64_t{2} << 20);
  std::size_t held = 0;
  for (const std::string& field : record.fields) held += field.capacity();
  EXPECT_LT(held, std::size_t{3} << 20);
}

TEST(CsvReaderTest, QuotedFieldStraddlingChunkEdgeIsIntact) {
  const std::string awkward = "\"ab,\"\"c\"\"\r\nd\",e\r\n";
  for (std::size_t shift = 0; shift <= awkward.size() + 2; ++shift) {
    const std::string first(kChunk - awkward.size() + shift - 1, 'x');
    const std::string text = first + "\n" + awkward + "last\n";
    SCOPED_TRACE("shift " + std::to_string(shift));
    EXPECT_EQ(ReadAll(text), (Rows{{first}, {"ab,\"c\"\r\nd", "e"}, {"last"}}));
    EXPECT_EQ(RecordLines(text), (std::vector<std::uint64_t>{1, 2, 4}));
  }
}

TEST(CsvReaderTest, UnquotedFieldsAndCrlfStraddlingChunkEdgeAreIntact) {
  const std::string awkward = "alpha,beta,,gamma\r\n\r\n";
  for (std::size_t shift = 0; shift <= awkward.size() + 2; ++shift) {
    const std::string first(kChunk - awkward.size() + shift - 1, 'x');
    SCOPED_TRACE("shift " + std::to_string(shift));
    EXPECT_EQ(ReadAll(first + "\n" + awkward + "last"),
              (Rows{{first}, {"alpha", "beta", "", "gamma"}, {"last"}}));
  }
}

TEST(CsvReaderTest, MultiByteCharacterStraddlingChunkEdgeIsAccepted) {
  const std::string awkward = "a\xF0\x9F\x98\x80" "b,\"\xE6\x97\xA5\"\n";
  for (std::size_t shift = 0; shift <= awkward.size() + 2; ++shift) {
    const std::string first(kChunk - awkward.size() + shift - 1, 'x');
    SCOPED_TRACE("shift " + std::to_string(shift));
    EXPECT_EQ(ReadAll(first + "\n" + awkward),
              (Rows{{first}, {"a\xF0\x9F\x98\x80" "b", "\xE6\x97\xA5"}}));
  }
}

TEST(CsvReaderTest, CharacterAfterClosingQuoteAtChunkEdgeIsError) {
  const std::string awkward = "\"ab\"x\n";
  for (std::size_t shift = 0; shift <= awkward.size() + 2; ++shift) {
    const std::string first(kChunk - awkward.size() + shift - 1, 'x');
    SCOPED_TRACE("shift " + std::to_string(shift));
    EXPECT_EQ(ReadError(first + "\n" + awkward).message,
              "products.csv:2: column 1: unexpected character after closing quote");
  }
}

TEST(CsvReaderTest, QuotedFieldSpanningManyChunksKeepsLineCount) {
  std::string quoted;    // as written between the quotes
  std::string expected;  // as read back
  for (int i = 0; i < 12000; ++i) {
    const std::string line = "line " + std::to_string(i) + ", more text\n";
    quoted += line + "\"\"";
    expected += line + "\"";
  }
  ASSERT_GT(quoted.size(), 3 * kChunk);
  const std::string text = "h\n\"" + quoted + "\",end\nnext\n";
  EXPECT_EQ(ReadAll(text), (Rows{{"h"}, {expected, "end"}, {"next"}}));
  EXPECT_EQ(RecordLines(text), (std::vector<std::uint64_t>{1, 2, 12003}));
}

// --- Writer -----------------------------------------------------------------

TEST(CsvWriterTest, PlainFieldIsWrittenUnquoted) {
  std::string out;
  WriteField(out, "Mug 9.50");
  EXPECT_EQ(out, "Mug 9.50");
}

TEST(CsvWriterTest, EmptyFieldIsWrittenAsNothing) {
  std::string out;
  WriteField(out, "");
  EXPECT_EQ(out, "");
}

TEST(CsvWriterTest, FieldWithSeparatorOrLineBreakIsQuoted) {
  std::string out;
  WriteField(out, "a,b");
  out += '|';
  WriteField(out, "a\nb");
  out += '|';
  WriteField(out, "a\rb");
  EXPECT_EQ(out, "\"a,b\"|\"a\nb\"|\"a\rb\"");
}

TEST(CsvWriterTest, QuotesInFieldAreDoubled) {
  std::string out;
  WriteField(out, "say \"hi\"");
  EXPECT_EQ(out, "\"say \"\"hi\"\"\"");
}

TEST(CsvWriterTest, LeadingOrTrailingSpaceIsQuoted) {
  std::string out;
  WriteField(out, " lead");
  out += '|';
  WriteField(out, "trail ");
  out += '|';
  WriteField(out, "in side");
  EXPECT_EQ(out, "\" lead\"|\"trail \"|in side");
}

TEST(CsvWriterTest, FieldIsAppendedToExistingOutput) {
  std::string out = "prefix:";
  WriteField(out, "x,y");
  EXPECT_EQ(out, "prefix:\"x,y\"");
}

TEST(CsvWriterTest, RecordIsJoinedWithCommasAndEndsInNewline) {
  std::string out;
  WriteRecord(out, {"1", "Mug, large", "", "9.50"});
  EXPECT_EQ(out, "1,\"Mug, large\",,9.50\n");
}

TEST(CsvWriterTest, LoneEmptyFieldIsWrittenAsQuotes) {
  std::string out;
  WriteRecord(out, {""});
  EXPECT_EQ(out, "\"\"\n");
}

TEST(CsvWriterTest, AwkwardFieldsRoundTrip) {
  const Rows rows = {
      {"\xEF\xBB\xBF" "starts with a mark", "x"},
      {""},
      {"", ""},
      {" lead", "trail ", "\ttab"},
      {"a,b", "say \"hi\"", "\"", "\"\""},
      {"line\nbreak", "lone\rreturn", "crlf\r\n", "\r\n"},
      {"Crème brûlée", "日本語", "\xF0\x9F\x98\x80"},
  };
  std::string text;
  for (const auto& row : rows) WriteRecord(text, row);
  EXPECT_EQ(ReadAll(text), rows);
}

TEST(CsvWriterTest, RandomRecordsRoundTripAcrossManyChunks) {
  std::mt19937 rng(12345);
  const std::vector<std::string> pieces = {"a", "bc", ",", "\"", "\r", "\n", "\r\n", " ",
                                           "é", "日", "\xF0\x9F\x98\x80", "xyz"};
  Rows rows;
  std::string text;
  while (text.size() < 5 * kChunk) {
    std::vector<std::string> row(1 + rng() % 8);
    for (std::string& field : row) {
      const std::size_t n = rng() % 12;
      for (std::size_t i = 0; i < n; ++i) field += pieces[rng() % pieces.size()];
    }
    WriteRecord(text, row);
    rows.push_back(std::move(row));
  }
  EXPECT_EQ(ReadAll(text), rows);
}

}  // namespace
}  // namespace ecom::csv
