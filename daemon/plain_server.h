// The plain-HTTP server: cpp-httplib's request handling over a connection
// loop that costs fewer system calls and wake-ups than cpp-httplib's own.
#pragma once

#include <httplib.h>

namespace ecom::daemon {

// cpp-httplib 0.11's connection loop, per request on a keep-alive
// connection: it polls an idle connection every 10 ms and sleeps 1 ms
// between polls (an idle connection woke about 90 times a second, and a
// request arriving in the sleep waited for it), polls again before every
// read and write, asks the kernel for both addresses, and sends the head and
// the body of a response separately. This loop waits for a request with one
// poll, reads it with one recv, answers it with one send and looks up the
// connection's addresses once. Requests are still parsed, routed and
// answered by cpp-httplib (`process_request`), with the same limits and
// timeouts. TLS connections keep cpp-httplib's SSLServer.
class PlainServer final : public httplib::Server {
 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace ecom::daemon
