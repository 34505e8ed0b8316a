# Writes a C++ source holding docs/openapi.json, so /openapi.json serves the
# document the binary was built with. Run by daemon/CMakeLists.txt:
#   cmake -DINPUT=docs/openapi.json -DOUTPUT=openapi_document.cc -P embed_openapi.cmake
file(READ "${INPUT}" document)
string(FIND "${document}" ")ecom_openapi\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw-string delimiter )ecom_openapi\"")
endif()
file(WRITE "${OUTPUT}.tmp"
"// Generated from docs/openapi.json by daemon/embed_openapi.cmake. Do not edit.
#include \"daemon/openapi.h\"

namespace ecom::daemon {

std::string_view OpenApiDocument() {
  static constexpr char kDocument[] = R\"ecom_openapi(${document})ecom_openapi\";
  return {kDocument, sizeof(kDocument) - 1};
}

}  // namespace ecom::daemon
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
