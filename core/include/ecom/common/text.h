// Text helpers shared by the domains: UTF-8 checks, search folding, handles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecom {

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Splits text into search terms: runs of letters and digits, lower-cased and
// stripped of accents ("Crème Brûlée" -> {"creme", "brulee"}). HTML tags and
// entities in `text` are not special; callers strip markup first.
std::vector<std::string> FoldedTerms(std::string_view text);

// Removes HTML tags and decodes the common entities, for indexing descriptions.
std::string StripHtml(std::string_view html);

// A URL-safe handle: lower-case ASCII letters, digits and single dashes,
// not starting or ending with a dash, 1..255 bytes.
bool IsValidHandle(std::string_view handle);

// Makes a handle from a title: "Crème Brûlée Mug!" -> "creme-brulee-mug".
std::string HandleFromTitle(std::string_view title);

// ASCII lower-case copy.
std::string AsciiLower(std::string_view s);

// Trims ASCII white space at both ends.
std::string_view Trim(std::string_view s);

}  // namespace ecom
