// UTF-8 checks, accent and case folding for search, HTML stripping, handles.
#include "ecom/common/text.h"

#include <cstdint>

namespace ecom {
namespace {

// Decodes one code point at s[i]; returns its length, or 0 if malformed.
int DecodeUtf8(std::string_view s, std::size_t i, char32_t* cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  int len;
  char32_t v;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    v = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    v = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (int k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Base letters of U+00C0..U+017F, lower case, accents removed ("" keeps the
// character: ×, ÷). Two-letter foldings (æ, ß, œ, ĳ) use the table below.
constexpr const char* kLatin1Fold =
    "aaaaaaaceeeeiiii"  // C0-CF  (C6 Æ handled separately)
    "dnooooo*ouuuuyts"  // D0-DF  (D7 ×, DE Þ, DF ß handled separately)
    "aaaaaaaceeeeiiii"  // E0-EF
    "dnooooo*ouuuuyty"  // F0-FF
    "aaaaaaccccccccdd"  // 100-10F
    "ddeeeeeeeeeegggg"  // 110-11F
    "gggghhhhiiiiiiii"  // 120-12F
    "iiiijjkkklllllll"  // 130-13F (132/133 ĳ separately)
    "lllnnnnnnnnnoooo"  // 140-14F
    "oooorrrrrrssssss"  // 150-15F (152/153 œ separately)
    "ssttttttuuuuuuuu"  // 160-16F
    "uuuuwwyyyzzzzzzs";  // 170-17F

bool FoldLatin(char32_t cp, std::string& out) {
  switch (cp) {
    case 0xC6: case 0xE6: out += "ae"; return true;
    case 0xDF: out += "ss"; return true;
    case 0xDE: case 0xFE: out += "th"; return true;
    case 0x132: case 0x133: out += "ij"; return true;
    case 0x152: case 0x153: out += "oe"; return true;
    default: break;
  }
  if (cp >= 0xC0 && cp <= 0x17F) {
    char c = kLatin1Fold[cp - 0xC0];
    if (c == '*') return false;
    out.push_back(c);
    return true;
  }
  return false;
}

bool IsCombiningMark(char32_t cp) {
  return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE20 && cp <= 0xFE2F);
}

// Letters and digits outside ASCII that form words: Latin, Greek, Cyrillic,
// and everything from U+0370 up that is not punctuation or symbols we know.
bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;
  return true;
}

// Simple lower-casing for Greek and Cyrillic capitals.
char32_t LowerNonLatin(char32_t cp) {
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;  // Greek
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;                  // Cyrillic А..Я
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;                  // Ѐ..Џ
  return cp;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    // Fast path over ASCII.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    int len = DecodeUtf8(s, i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::vector<std::string> FoldedTerms(std::string_view text) {
  std::vector<std::string> terms;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) terms.push_back(std::move(current));
    current.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    char32_t cp;
    int len = DecodeUtf8(text, i, &cp);
    if (len == 0) {  // malformed byte: a separator
      flush();
      ++i;
      continue;
    }
    i += len;
    if (IsCombiningMark(cp)) continue;  // decomposed accents vanish, keeping the word whole
    if (!IsWordCodePoint(cp)) {
      flush();
      continue;
    }
    if (cp < 0x80) {
      current.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    } else if (!FoldLatin(cp, current)) {
      AppendUtf8(current, LowerNonLatin(cp));
    }
  }
  flush();
  return terms;
}

std::string StripHtml(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  bool in_tag = false;
  for (std::size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (in_tag) {
      if (c == '>') {
        in_tag = false;
        out.push_back(' ');
      }
      continue;
    }
    if (c == '<') {
      in_tag = true;
      continue;
    }
    if (c == '&') {
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''},
          {"&apos;", '\''}, {"&nbsp;", ' '}};
      bool matched = false;
      for (auto [name, ch] : kEntities) {
        if (html.substr(i, name.size()) == name) {
          out.push_back(ch);
          i += name.size() - 1;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    out.push_back(c);
  }
  return out;
}

bool IsValidHandle(std::string_view handle) {
  if (handle.empty() || handle.size() > 255) return false;
  if (handle.front() == '-' || handle.back() == '-') return false;
  char prev = 0;
  for (char c : handle) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && prev == '-')) return false;
    prev = c;
  }
  return true;
}

std::string HandleFromTitle(std::string_view title) {
  std::string out;
  for (const auto& term : FoldedTerms(title)) {
    bool ascii = true;
    for (unsigned char c : term) ascii = ascii && c < 0x80;
    if (!ascii) continue;
    if (!out.empty()) out.push_back('-');
    out += term;
  }
  if (out.size() > 255) out.resize(255);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace ecom
