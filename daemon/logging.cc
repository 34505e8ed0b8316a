// JSON log lines through a synchronous spdlog logger over a buffered stdout.
#include "daemon/logging.h"

#include <cstdio>
#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ecom/common/clock.h"
#include "ecom/common/json_writer.h"
#include "ecom/common/text.h"

namespace ecom::daemon {
namespace {

thread_local const std::string* t_request_id = nullptr;

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* Name(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

// Request lines wait in stdout's buffer for at most this long.
constexpr std::chrono::seconds kRequestLinesAtMost{1};

// Lines go into stdout's buffer, which reaches the kernel when it fills or is
// flushed. A request line is only buffered: a write and a wake-up of a
// logging thread per request had cost the request path more than the line
// itself. Every other line is flushed at once (Log() below), and the buffer
// at least every kRequestLinesAtMost.
class BufferedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedStdoutSink() { std::setvbuf(stdout, buffer_, _IOFBF, sizeof buffer_); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::fwrite(msg.payload.data(), 1, msg.payload.size(), stdout);
    std::fputc('\n', stdout);
  }
  void flush_() override { std::fflush(stdout); }

 private:
  static inline char buffer_[64 * 1024];  // stdout's from now on; glibc sizes its own by the file
};

std::shared_ptr<spdlog::logger>& Logger() {
  // Until InitLogging runs (and in tests that never call it), a synchronous
  // logger keeps Log() usable.
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = std::make_shared<spdlog::logger>("ecomd",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
    l->set_pattern("%v");
    return l;
  }();
  return logger;
}

}  // namespace

void InitLogging(std::string_view level) {
  auto logger = std::make_shared<spdlog::logger>("ecomd", std::make_shared<BufferedStdoutSink>());
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::from_str(std::string(level)));
  Logger() = logger;
  spdlog::register_logger(logger);
  spdlog::flush_every(kRequestLinesAtMost);
}

void ShutdownLogging() {
  // Writes out what is buffered and stops the periodic flush. The logger
  // itself stays in place, so a thread that still logs afterwards does no harm.
  Logger()->flush();
  spdlog::shutdown();
}

bool LogEnabled(LogLevel level) {
  auto& logger = Logger();
  return logger && logger->should_log(ToSpd(level));
}

void Log(LogLevel level, std::string_view msg, nlohmann::ordered_json fields) {
  auto& logger = Logger();
  if (!logger || !logger->should_log(ToSpd(level))) return;
  nlohmann::ordered_json line = nlohmann::ordered_json::object();
  line["time"] = FormatTime(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
  line["level"] = Name(level);
  line["msg"] = msg;
  if (fields.is_object())
    for (auto& [key, value] : fields.items()) line[key] = std::move(value);
  if (t_request_id && !line.contains("request_id")) line["request_id"] = *t_request_id;
  logger->log(ToSpd(level), DumpJson(line));
  logger->flush();
}

void LogRequest(const RequestLogLine& r) {
  auto& logger = Logger();
  if (!logger || !logger->should_log(spdlog::level::info)) return;
  // Bad bytes (a raw path may hold any) go through Log(), which replaces them.
  if (!IsValidUtf8(r.method) || !IsValidUtf8(r.route) || !IsValidUtf8(r.path) || !IsValidUtf8(r.request_id)) {
    Log(LogLevel::kInfo, "request",
        {{"method", r.method},
         {"route", r.route},
         {"path", r.path},
         {"status", r.status},
         {"duration_ms", r.duration_ms},
         {"request_id", r.request_id},
         {"bytes", r.bytes}});
    return;
  }
  std::string line;
  line.reserve(160 + r.path.size() + r.route.size());
  JsonWriter w(line);
  w.Begin('{');
  w.Key("time");
  w.Value(FormatTime(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now())));
  w.Key("level");
  w.Value(std::string_view(Name(LogLevel::kInfo)));
  w.Key("msg");
  w.Value(std::string_view("request"));
  w.Key("method");
  w.Value(r.method);
  w.Key("route");
  w.Value(r.route);
  w.Key("path");
  w.Value(r.path);
  w.Key("status");
  w.Value(std::int64_t{r.status});
  w.Key("duration_ms");
  w.ValueDouble(r.duration_ms);
  w.Key("request_id");
  w.Value(r.request_id);
  w.Key("bytes");
  w.Value(static_cast<std::int64_t>(r.bytes));
  w.End('}');
  logger->log(spdlog::level::info, spdlog::string_view_t(line));
}

RequestLogScope::RequestLogScope(const std::string& request_id) : previous_(t_request_id) {
  t_request_id = &request_id;
}

RequestLogScope::~RequestLogScope() { t_request_id = previous_; }

const std::string* RequestLogScope::Current() { return t_request_id; }

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string DumpJson(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace ecom::daemon
