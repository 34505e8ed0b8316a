// Folding for search, UTF-8 checks and handles.
#include <gtest/gtest.h>

#include "ecom/common/text.h"

namespace ecom {
namespace {

using Terms = std::vector<std::string>;

TEST(TextTest, FoldsCaseAndAccents) {
  EXPECT_EQ(FoldedTerms("Crème Brûlée"), (Terms{"creme", "brulee"}));
  EXPECT_EQ(FoldedTerms("AÇAÍ Bowl"), (Terms{"acai", "bowl"}));
  EXPECT_EQ(FoldedTerms("Straße Œuvre"), (Terms{"strasse", "oeuvre"}));
}

TEST(TextTest, DecomposedAccentsFoldLikeComposedOnes) {
  EXPECT_EQ(FoldedTerms("Cafe\xCC\x81"), FoldedTerms("Café"));
}

TEST(TextTest, PunctuationSeparatesWords) {
  EXPECT_EQ(FoldedTerms("T-Shirt, 100% cotton!"), (Terms{"t", "shirt", "100", "cotton"}));
}

TEST(TextTest, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("Café ☕ 😀"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(TextTest, StripsHtml) { EXPECT_EQ(StripHtml("<p>Tom &amp; Jerry</p>"), " Tom & Jerry "); }

TEST(TextTest, HandlesAreUrlSafe) {
  EXPECT_TRUE(IsValidHandle("example-shirt"));
  EXPECT_FALSE(IsValidHandle("Example"));
  EXPECT_FALSE(IsValidHandle("a--b"));
  EXPECT_FALSE(IsValidHandle("-a"));
  EXPECT_FALSE(IsValidHandle("a b"));
  EXPECT_EQ(HandleFromTitle("Crème Brûlée Mug!"), "creme-brulee-mug");
}

}  // namespace
}  // namespace ecom
