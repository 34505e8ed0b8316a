// docs/openapi.json describes exactly the routes ecomd serves, with their
// access rules.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "daemon/router.h"
#include "daemon_fixture.h"

namespace ecom::daemon {
namespace {

using nlohmann::json;

json LoadDocument() {
  std::ifstream in(testing::SourcePath("docs/openapi.json"));
  EXPECT_TRUE(in) << "cannot read docs/openapi.json";
  if (!in) return json::object();
  return json::parse(in);
}

const std::set<std::string> kMethods = {"get",     "put",  "post",  "delete",
                                        "options", "head", "patch", "trace"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApiTest, DocumentIsOpenApi31) {
  json doc = LoadDocument();
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.1", 0), 0u);
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearerAuth"));
}

TEST(OpenApiTest, DocumentedOperationsAreExactlyTheRouteTable) {
  json doc = LoadDocument();
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items())
      if (kMethods.count(method)) documented.insert({Upper(method), path});
  for (const auto& route : Routes()) served.insert({route.method, OpenApiPath(route.pattern)});

  for (const auto& [method, path] : served)
    EXPECT_TRUE(documented.count({method, path}))
        << "served but not documented: " << method << " " << path;
  for (const auto& [method, path] : documented)
    EXPECT_TRUE(served.count({method, path}))
        << "documented but not served: " << method << " " << path;
}

TEST(OpenApiTest, EachOperationDocumentsItsAccessRule) {
  json doc = LoadDocument();
  for (const auto& route : Routes()) {
    std::string path = OpenApiPath(route.pattern);
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const json& op = doc["paths"][path][method];
    if (op.is_null()) continue;  // reported by the test above
    SCOPED_TRACE(route.method + " " + path);
    ASSERT_TRUE(op.contains("security")) << "no security requirement";
    const json& security = op["security"];
    if (route.access.is_public()) {
      // Anonymous calls are allowed: an empty requirement is among the options.
      bool anonymous = security.empty();
      for (const auto& requirement : security) anonymous = anonymous || requirement.empty();
      EXPECT_TRUE(anonymous) << security.dump();
    } else {
      ASSERT_EQ(security.size(), 1u) << security.dump();
      std::vector<std::string> scopes = security[0]["bearerAuth"];
      EXPECT_EQ(scopes, route.access.scopes());
    }
    EXPECT_TRUE(op.contains("operationId"));
    EXPECT_TRUE(op.contains("responses"));
  }
}

TEST(OpenApiTest, PathParametersAreDeclared) {
  json doc = LoadDocument();
  std::regex param(R"(\{([a-z_]+)\})");
  for (const auto& [path, item] : doc["paths"].items()) {
    std::set<std::string> in_path;
    for (std::sregex_iterator it(path.begin(), path.end(), param), end; it != end; ++it)
      in_path.insert((*it)[1]);
    for (const auto& [method, op] : item.items()) {
      if (!kMethods.count(method)) continue;
      std::set<std::string> declared;
      for (const json* list : {&item["parameters"], &op["parameters"]}) {
        if (!list->is_array()) continue;
        for (const auto& p : *list) {
          const json* resolved = &p;
          if (p.contains("$ref")) {
            std::string ref = p["$ref"];  // #/components/parameters/Name
            resolved = &doc["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
          }
          if ((*resolved)["in"] == "path") declared.insert((*resolved)["name"].get<std::string>());
        }
      }
      EXPECT_EQ(declared, in_path) << method << " " << path;
    }
  }
}

TEST(OpenApiTest, SchemaReferencesResolve) {
  json doc = LoadDocument();
  std::function<void(const json&)> walk = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("$ref") && node["$ref"].is_string()) {
        std::string ref = node["$ref"];
        ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
        json::json_pointer pointer(ref.substr(1));
        EXPECT_TRUE(doc.contains(pointer)) << "dangling " << ref;
      }
      for (const auto& [k, v] : node.items()) walk(v);
    } else if (node.is_array()) {
      for (const auto& v : node) walk(v);
    }
  };
  walk(doc);
}

TEST(RouterTest, SplitPathDecodesEachSegmentOnItsOwn) {
  std::vector<std::string> segments;
  ASSERT_TRUE(SplitPath("/v1/inventory/A%2FB/c%20d?x=1", &segments));
  EXPECT_EQ(segments, (std::vector<std::string>{"v1", "inventory", "A/B", "c d"}));
  EXPECT_FALSE(SplitPath("http://host/v1", &segments));
  EXPECT_EQ(OpenApiPath("/v1/inventory/{+sku}/history"), "/v1/inventory/{sku}/history");
}

}  // namespace
}  // namespace ecom::daemon
