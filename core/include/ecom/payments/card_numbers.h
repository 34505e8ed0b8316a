// Spotting raw payment card numbers in request bodies, so that the engine can
// refuse them: card numbers are never accepted or stored, only gateway tokens.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecom::payments {

// True if `digits` is non-empty, made of ASCII digits only, and passes the
// Luhn (mod 10) check that every payment card number passes.
bool PassesLuhn(std::string_view digits);

// True if the whole of `value` looks like a raw card number: once blanks at
// both ends are trimmed and the spaces and dashes between groups removed, it is
// 13 to 19 ASCII digits that pass the Luhn check ("4242 4242 4242 4242",
// "4242-4242-4242-4242", " 4111111111111111 "). Anything else in the value
// (letters, dots, a '+') means it is not one: free text such as
// "call 4242 4242 4242 4242 now" is never flagged, which keeps order notes
// and addresses from being refused by accident.
bool LooksLikeCardNumber(std::string_view value);

// The path of the first value in `body` (depth first, in document order;
// object members in the order nlohmann::json keeps them, i.e. by key) that
// looks like a raw card number, or nullopt if there is none.
//
// - Strings are checked with LooksLikeCardNumber; integers as their decimal
//   text (4242424242424242); floating-point numbers only when they hold a
//   whole value (4242424242424242.0). Booleans and null never match.
// - A value whose member name is in `identifier_fields` is skipped (declared
//   identifiers such as "token" or "idempotency_key" may be long digit runs);
//   the elements of an array held by such a member are skipped too. Objects
//   under such a member are still searched: their members have their own names.
// - Object keys are checked as well, since a number is no safer as a key.
//
// Paths are dotted member names with array indexes: `payment.number`,
// `lines[2].note`, `[0]` for an element of a top-level array, "" for a
// top-level scalar. A path never contains a card number (a key is checked
// before anything under it, and a key that matches is written `*`, as in
// `payment.*`), so the result is safe to show and to log.
//
// Iterative, so deeply nested documents cannot exhaust the stack.
std::optional<std::string> FindCardNumber(const nlohmann::json& body,
                                          const std::vector<std::string>& identifier_fields);

}  // namespace ecom::payments
