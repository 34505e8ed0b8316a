// Structured logs: one JSON object per line on stdout. Request lines are
// buffered and reach stdout within a second; every other line at once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ecom::daemon {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// Sets up the process logger. `level` is a config log.level value (trace,
// debug, info, warn, error). Call once, before any other thread logs.
void InitLogging(std::string_view level);
// Writes out what is queued; call before the process exits. Thread-safe.
void ShutdownLogging();

bool LogEnabled(LogLevel level);

// Logs {"time","level","msg", ...fields}. When the calling thread is serving
// a request, its request id is added. Thread-safe. Never pass secrets or
// request bodies.
void Log(LogLevel level, std::string_view msg,
         nlohmann::ordered_json fields = nlohmann::ordered_json::object());

// The line every request ends with.
struct RequestLogLine {
  std::string_view method;
  std::string_view route;  // the route's pattern, or a name for unmatched requests
  std::string_view path;   // without the query
  int status = 0;
  double duration_ms = 0;
  std::string_view request_id;
  std::size_t bytes = 0;  // of the response body
};

// Logs {"time","level":"info","msg":"request","method","route","path",
// "status","duration_ms","request_id","bytes"}: the same line as Log()
// would, written directly, since every request pays for it.
void LogRequest(const RequestLogLine& r);

// Names the request the calling thread is serving, for the lines it logs.
class RequestLogScope {
 public:
  explicit RequestLogScope(const std::string& request_id);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;

  // The request id of the calling thread, or nullptr outside a request.
  static const std::string* Current();

 private:
  const std::string* previous_;
};

// JSON text that never throws on invalid UTF-8 (bad bytes become U+FFFD).
std::string DumpJson(const nlohmann::json& j);
std::string DumpJson(const nlohmann::ordered_json& j);

}  // namespace ecom::daemon
