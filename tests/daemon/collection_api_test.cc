// Collections over HTTP: who sees which of their products.
#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class CollectionApiTest : public DaemonTest {
 protected:
  // Creates a collection and adds `product_ids` to it in order; its id.
  std::string CollectionOf(const std::string& title, const std::vector<std::string>& product_ids) {
    Response created = Post("/v1/collections", {{"title", title}}, catalog_write_key_);
    EXPECT_EQ(created.status, 201) << created.body;
    std::string id = created.json.value("id", "");
    for (const auto& pid : product_ids) {
      Response added = Send({.method = "PUT",
                             .path = "/v1/collections/" + id + "/products/" + pid,
                             .token = catalog_write_key_});
      EXPECT_EQ(added.status, 200) << added.body;
    }
    return id;
  }
};

TEST_P(CollectionApiTest, ADraftProductIsHiddenFromThePublicAndShownWithCatalogRead) {
  const std::string active = CreateProduct(ProductBody("Scarf", "SCARF-1", 3000))["id"];
  const std::string draft =
      CreateProduct(ProductBody("Secret scarf", "SCARF-2", 3000, {{"status", "draft"}}))["id"];
  const std::string cid = CollectionOf("Winter", {active, draft});

  for (const std::string& token : {std::string(), orders_key_}) {
    Response one = Get("/v1/collections/" + cid, token);
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(one.json["product_ids"], json::array({active}));
    Response all = Get("/v1/collections", token);
    ASSERT_EQ(all.status, 200) << all.body;
    ASSERT_EQ(all.json["items"].size(), 1u);
    EXPECT_EQ(all.json["items"][0]["product_ids"], json::array({active}));
  }

  Response one = Get("/v1/collections/" + cid, catalog_read_key_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json["product_ids"], json::array({active, draft}));
  Response all = Get("/v1/collections", catalog_read_key_);
  ASSERT_EQ(all.status, 200) << all.body;
  ASSERT_EQ(all.json["items"].size(), 1u);
  EXPECT_EQ(all.json["items"][0]["product_ids"], json::array({active, draft}));
}

INSTANTIATE_TEST_SUITE_P(Stores, CollectionApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
