// docs/openapi.json, embedded at build time (see daemon/embed_openapi.cmake).
#pragma once

#include <string_view>

namespace ecom::daemon {

std::string_view OpenApiDocument();

}  // namespace ecom::daemon
