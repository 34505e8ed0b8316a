// Request helpers: path and query parameters and JSON bodies.
#include "daemon/call.h"

#include <charconv>

#include "daemon/logging.h"
#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

// Deeper documents are refused: no request shape nests anywhere near this.
constexpr int kMaxJsonDepth = 32;

struct TooDeep {};

bool IsJsonMediaType(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string type = AsciiLower(content_type.substr(0, semi));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  // application/json, and structured types such as application/merge-patch+json.
  return type == "application/json" || (type.rfind("application/", 0) == 0 && type.size() > 5 &&
                                        type.compare(type.size() - 5, 5, "+json") == 0);
}

Error InvalidParam(const std::string& name, std::string message) {
  return Error::Invalid("query parameter '" + name + "' " + message, {{name, message}});
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

}  // namespace

Reply Reply::Json(int status, const nlohmann::json& body) {
  Reply r;
  r.status = status;
  r.body = DumpJson(body);
  r.content_type = kJsonContentType;
  return r;
}

Reply Reply::RawJson(int status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = kJsonContentType;
  return r;
}

Reply Reply::Empty(int status) {
  Reply r;
  r.status = status;
  return r;
}

const std::string& Call::customer_id() const {
  static const std::string kNone;
  return caller_.principal && caller_.principal->is_customer() ? caller_.principal->id : kNone;
}

const std::string& Call::Param(std::string_view name) const {
  for (const auto& [key, value] : params_)
    if (key == name) return value;
  static const std::string kEmpty;
  return kEmpty;
}

std::optional<std::string> Call::Query(const std::string& name) const {
  if (!http_.has_param(name)) return std::nullopt;
  return http_.get_param_value(name);
}

Result<nlohmann::json> Call::JsonBody() const {
  std::string content_type = http_.get_header_value("Content-Type");
  if (!IsJsonMediaType(content_type)) {
    return Error{ErrorCode::kInvalidArgument,
                 "unsupported_media_type",
                 content_type.empty()
                     ? "the request body must be JSON: send Content-Type: application/json"
                     : "the request body must be JSON, not '" + content_type + "'",
                 {}};
  }
  if (http_.body.empty())
    return Error{ErrorCode::kInvalidArgument, "invalid_json", "the request body is empty", {}};
  try {
    return nlohmann::json::parse(http_.body,
                                 [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
                                   if (depth > kMaxJsonDepth) throw TooDeep{};
                                   return true;
                                 });
  } catch (const TooDeep&) {
    return Error{ErrorCode::kInvalidArgument,
                 "invalid_json",
                 "the request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                 {}};
  } catch (const nlohmann::json::parse_error& e) {
    return Error{ErrorCode::kInvalidArgument,
                 "invalid_json",
                 "the request body is not valid JSON (at byte " + std::to_string(e.byte) + ")",
                 {}};
  }
}

Result<int> LimitParam(const Call& call, int fallback, int max) {
  auto text = call.Query("limit");
  if (!text) return fallback;
  auto n = ParseInt(*text);
  if (!n || *n < 1 || *n > max)
    return InvalidParam("limit", "must be a whole number from 1 to " + std::to_string(max));
  return static_cast<int>(*n);
}

Result<std::optional<std::int64_t>> IntParam(const Call& call, const std::string& name,
                                             std::int64_t min) {
  auto text = call.Query(name);
  if (!text) return std::optional<std::int64_t>();
  auto n = ParseInt(*text);
  if (!n || *n < min)
    return InvalidParam(name, "must be a whole number of at least " + std::to_string(min));
  return std::optional<std::int64_t>(*n);
}

Result<std::optional<bool>> BoolParam(const Call& call, const std::string& name) {
  auto text = call.Query(name);
  if (!text) return std::optional<bool>();
  if (*text == "true") return std::optional<bool>(true);
  if (*text == "false") return std::optional<bool>(false);
  return InvalidParam(name, "must be true or false");
}

}  // namespace ecom::daemon
