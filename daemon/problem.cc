// ErrorCode -> HTTP status and problem+json, once for the whole daemon.
#include "daemon/problem.h"

#include <algorithm>

#include "daemon/logging.h"
#include "ecom/store/database.h"

namespace ecom::daemon {
namespace {

const char* ReasonForStatus(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 411:
      return "length_required";
    case 412:
      return "precondition_failed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 416:
      return "range_not_satisfiable";
    case 428:
      return "precondition_required";
    case 429:
      return "too_many_requests";
    case 431:
      return "request_header_fields_too_large";
    case 500:
      return "internal";
    case 501:
      return "not_implemented";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

const char* DetailForStatus(int status) {
  switch (status) {
    case 400:
      return "The request could not be read.";
    case 404:
      return "There is nothing at this path.";
    case 413:
      return "The request body is larger than this server accepts.";
    case 414:
      return "The request target is too long.";
    case 431:
      return "The request headers are too large.";
    case 503:
      return "The service is unavailable; try again shortly.";
    default:
      return status >= 500 ? "An unexpected error occurred." : "The request was refused.";
  }
}

// "version_mismatch" -> "Version mismatch": one title per problem type.
std::string TitleFor(std::string_view reason) {
  std::string title(reason);
  for (char& c : title)
    if (c == '_' || c == '-') c = ' ';
  if (!title.empty() && title[0] >= 'a' && title[0] <= 'z')
    title[0] = static_cast<char>(title[0] - 'a' + 'A');
  return title;
}

Reply Render(int status, std::string_view reason, const std::string& detail,
             const std::vector<FieldError>& fields) {
  nlohmann::ordered_json body = nlohmann::ordered_json::object();
  body["type"] = ProblemType(reason);
  body["title"] = TitleFor(reason);
  body["status"] = status;
  body["detail"] = detail;
  body["reason"] = reason;
  if (!fields.empty()) {
    auto& errors = body["errors"] = nlohmann::ordered_json::array();
    for (const auto& f : fields) errors.push_back({{"field", f.field}, {"message", f.message}});
  }
  Reply reply;
  reply.status = status;
  reply.body = DumpJson(body);
  reply.content_type = kProblemContentType;
  return reply;
}

// RFC 6750 section 3: the realm always; an error code only when a token was
// presented and refused. A webhook is not a bearer client: it is told which
// scheme it failed.
std::string Challenge(std::string_view reason) {
  if (reason == "invalid_signature") return R"(Ecom-Signature realm="ecom")";
  if (reason == "invalid_token") return R"(Bearer realm="ecom", error="invalid_token")";
  return R"(Bearer realm="ecom")";
}

}  // namespace

std::string ProblemType(std::string_view reason) {
  std::string type = "https://ecom.dev/problems/";
  for (char c : reason) type.push_back(c == '_' ? '-' : c);
  return type;
}

int HttpStatus(const Error& error) {
  const std::string& r = error.reason;
  if (r == "version_mismatch") return 412;
  if (r == "precondition_required") return 428;
  if (r == "unsupported_media_type") return 415;
  if (r == "method_not_allowed") return 405;
  if (r == "payload_too_large") return 413;
  if (r == "idempotency_key_reused") return 422;
  if (r == "payment_declined") return 402;
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kFailedPrecondition:
      return 409;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kResourceExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Reply Problem(const Error& error) {
  int status = HttpStatus(error);
  std::string reason = error.reason.empty() ? ReasonForStatus(status) : error.reason;
  if (error.code == ErrorCode::kInternal) {
    // The message may name tables, files or hosts: it goes to the log only.
    Log(LogLevel::kError, "internal error", {{"reason", reason}, {"error", error.message}});
    return Render(status, "internal",
                  "An unexpected error occurred; quote the X-Request-Id header when reporting it.",
                  {});
  }
  Reply reply = Render(status, reason, error.message, error.fields);
  if (status == 401) reply.Header("WWW-Authenticate", Challenge(error.reason));
  // Throttles and shed load say when to come back; an outage guesses a second.
  if (error.retry_after)
    reply.Header("Retry-After",
                 std::to_string(std::max<std::int64_t>(1, error.retry_after->count())));
  else if (status == 503)
    reply.Header("Retry-After", "1");
  return reply;
}

Reply ProblemForStatus(int status) {
  Reply reply = Render(status, ReasonForStatus(status), DetailForStatus(status), {});
  if (status == 401) reply.Header("WWW-Authenticate", Challenge(""));
  return reply;
}

Reply InsufficientScope(const std::vector<std::string>& scopes) {
  std::string list;
  for (const auto& s : scopes) list += (list.empty() ? "" : " ") + s;
  std::string detail = scopes.size() == 1 ? "this request needs the '" + list + "' scope"
                                          : "this request needs one of the scopes: " + list;
  Reply reply = Render(403, "insufficient_scope", detail, {});
  reply.Header("WWW-Authenticate", R"(Bearer error="insufficient_scope", scope=")" + list + "\"");
  return reply;
}

Error ErrorFromException(std::exception_ptr exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const store::DbError& e) {
    if (e.kind() == store::DbError::Kind::kUnavailable || e.kind() == store::DbError::Kind::kBusy) {
      Log(LogLevel::kWarn, "store unavailable", {{"error", e.what()}});
      return Error{ErrorCode::kUnavailable,
                   "store_unavailable",
                   "The store is unavailable; try again shortly.",
                   {}};
    }
    return Error::Internal(std::string("store error: ") + e.what());
  } catch (const std::exception& e) {
    return Error::Internal(std::string("unhandled exception: ") + e.what());
  } catch (...) {
    return Error::Internal("unhandled non-standard exception");
  }
}

}  // namespace ecom::daemon
