// The one place where errors become HTTP: ErrorCode (and a few reasons) to a
// status, and every error reply rendered as RFC 9457 problem+json:
//   {"type":"https://ecom.dev/problems/<reason>","title","status","detail",
//    "reason","errors":[{"field","message"}]}
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/call.h"
#include "ecom/common/result.h"

namespace ecom::daemon {

// The HTTP status for an error. Mostly by code; a few reasons refine it
// (version_mismatch 412, precondition_required 428, unsupported_media_type 415,
// method_not_allowed 405, payload_too_large 413).
int HttpStatus(const Error& error);

// The problem+json reply for an error. Internal errors are logged with their
// message and answered with a generic detail; 401s carry WWW-Authenticate.
Reply Problem(const Error& error);

// The problem+json body for a bare status that cpp-httplib produced itself
// (413 on a large body, 400 on a malformed request, 404 for an unknown method).
Reply ProblemForStatus(int status);

// 403 for a valid key without the scope a route needs.
Reply InsufficientScope(const std::vector<std::string>& scopes);

// Turns an exception escaping a handler into an error: store outages become
// kUnavailable, anything else kInternal (logged, never shown).
Error ErrorFromException(std::exception_ptr exception);

// "https://ecom.dev/problems/version-mismatch" for reason "version_mismatch".
std::string ProblemType(std::string_view reason);

}  // namespace ecom::daemon
