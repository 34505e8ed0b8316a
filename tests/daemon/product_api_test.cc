// Products, variants, categories and collections over HTTP.
#include <set>

#include "daemon_fixture.h"

namespace ecom::daemon::testing {
namespace {

using nlohmann::json;

class ProductApiTest : public DaemonTest {};

TEST_P(ProductApiTest, CreatedProductIsReadableByIdAndByHandle) {
  Response created =
      Post("/v1/products", ProductBody("Blue Shirt", "SHIRT-BLUE", 2500), catalog_write_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"];
  EXPECT_EQ(created.Header("Location"), "/v1/products/" + id);
  EXPECT_EQ(created.Header("ETag"),
            "\"" + std::to_string(created.json["version"].get<int>()) + "\"");
  EXPECT_EQ(created.Header("Content-Type"), "application/json; charset=utf-8");

  Response by_id = Get("/v1/products/" + id);
  ASSERT_EQ(by_id.status, 200) << by_id.body;
  EXPECT_EQ(by_id.json["title"], "Blue Shirt");
  EXPECT_EQ(by_id.json["variants"][0]["price"], json({{"amount", 2500}, {"currency", "USD"}}));
  EXPECT_EQ(by_id.Header("ETag"), created.Header("ETag"));

  Response by_handle = Get("/v1/products/" + created.json["handle"].get<std::string>());
  ASSERT_EQ(by_handle.status, 200);
  EXPECT_EQ(by_handle.json["id"], id);
}

TEST_P(ProductApiTest, PublicCallersSeeActiveProductsOnlyAndNoStaffFields) {
  json draft = CreateProduct(ProductBody("Secret Draft", "DRAFT-1", 100, {{"status", "draft"}}));
  const std::string id = draft["id"];

  Response anonymous = Get("/v1/products/" + id);
  EXPECT_EQ(anonymous.status, 404);
  EXPECT_EQ(anonymous.json["reason"], "product_not_found");

  Response staff = Get("/v1/products/" + id, catalog_read_key_);
  ASSERT_EQ(staff.status, 200);
  EXPECT_EQ(staff.json["status"], "draft");
  EXPECT_TRUE(staff.json["variants"][0].contains("cost"));

  json active = CreateProduct(ProductBody("Open Product", "OPEN-1", 100));
  Response shown = Get("/v1/products/" + active["id"].get<std::string>());
  ASSERT_EQ(shown.status, 200);
  EXPECT_FALSE(shown.json["variants"][0].contains("cost"));

  Response list = Get("/v1/products");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["items"].size(), 1u);
  EXPECT_EQ(list.json["items"][0]["title"], "Open Product");
}

TEST_P(ProductApiTest, ConditionalGetAnswers304ForTheCurrentETag) {
  json p = CreateProduct(ProductBody("Mug", "MUG-1", 900));
  Request r{.path = "/v1/products/" + p["id"].get<std::string>()};
  r.headers.emplace("If-None-Match", "\"" + std::to_string(p["version"].get<int>()) + "\"");
  Response res = Send(r);
  EXPECT_EQ(res.status, 304);
  EXPECT_TRUE(res.body.empty());
}

TEST_P(ProductApiTest, CursorPaginationWalksEveryProductExactlyOnce) {
  std::set<std::string> created;
  for (int i = 0; i < 11; ++i) {
    json p = CreateProduct(
        ProductBody("Item " + std::to_string(100 + i), "ITEM-" + std::to_string(i), 100 + i));
    created.insert(p["id"].get<std::string>());
  }
  for (const std::string sort : {"title", "price", "newest"}) {
    std::set<std::string> seen;
    std::string cursor;
    int pages = 0;
    while (true) {
      std::string path = "/v1/products?limit=4&sort=" + sort +
                         (cursor.empty() ? "" : "&cursor=" + EncodePath(cursor));
      Response page = Get(path);
      ASSERT_EQ(page.status, 200) << page.body;
      ++pages;
      for (const auto& item : page.json["items"])
        EXPECT_TRUE(seen.insert(item["id"].get<std::string>()).second)
            << "duplicate " << item["id"];
      if (page.json["next_cursor"].is_null()) break;
      cursor = page.json["next_cursor"];
      ASSERT_LT(pages, 10) << "pagination does not end";
    }
    EXPECT_EQ(seen, created) << "sort=" << sort;
    EXPECT_EQ(pages, 3) << "sort=" << sort;
  }
}

TEST_P(ProductApiTest, SearchFindsProductsByWordsOfTheirTitle) {
  CreateProduct(ProductBody("Crème Brûlée Mug", "MUG-CB", 1500));
  CreateProduct(ProductBody("Espresso Cup", "CUP-E", 900));
  Response res = Get("/v1/products?q=creme%20brulee");
  ASSERT_EQ(res.status, 200) << res.body;
  ASSERT_EQ(res.json["items"].size(), 1u);
  EXPECT_EQ(res.json["items"][0]["title"], "Crème Brûlée Mug");

  Response none = Get("/v1/products?q=teapot");
  ASSERT_EQ(none.status, 200);
  EXPECT_TRUE(none.json["items"].empty());
}

TEST_P(ProductApiTest, FiltersNarrowTheList) {
  CreateProduct(ProductBody("Cheap Tee", "TEE-C", 500,
                            {{"vendor", "Acme"}, {"tags", {"summer"}}, {"product_type", "Shirt"}}));
  CreateProduct(
      ProductBody("Dear Tee", "TEE-D", 5000, {{"vendor", "Acme"}, {"product_type", "Shirt"}}));
  CreateProduct(ProductBody("Hat", "HAT-1", 1500, {{"vendor", "Other"}, {"tags", {"summer"}}}));

  auto titles = [&](const std::string& query) {
    Response r = Get("/v1/products?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::set<std::string> out;
    for (const auto& item : r.json["items"]) out.insert(item["title"].get<std::string>());
    return out;
  };
  EXPECT_EQ(titles("vendor=Acme"), (std::set<std::string>{"Cheap Tee", "Dear Tee"}));
  EXPECT_EQ(titles("tag=summer"), (std::set<std::string>{"Cheap Tee", "Hat"}));
  EXPECT_EQ(titles("type=Shirt&price_max=1000"), (std::set<std::string>{"Cheap Tee"}));
  EXPECT_EQ(titles("price_min=1000&price_max=2000"), (std::set<std::string>{"Hat"}));
  EXPECT_EQ(titles("price_min=1000&sort=price&limit=1").size(), 1u);
}

TEST_P(ProductApiTest, InStockFilterShowsOnlySellableProducts) {
  CreateProduct(ProductBody("Stocked", "STOCKED-1", 100));
  CreateProduct(ProductBody("Empty", "EMPTY-1", 100));
  ASSERT_EQ(PostOnce("/v1/inventory/STOCKED-1/adjustments", {{"delta", 3}, {"reason", "received"}},
                 inventory_write_key_)
                .status,
            201);
  Response r = Get("/v1/products?in_stock=true");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["items"].size(), 1u);
  EXPECT_EQ(r.json["items"][0]["title"], "Stocked");
  EXPECT_EQ(Get("/v1/products?in_stock=maybe").status, 400);
}

TEST_P(ProductApiTest, StatusFilterNeedsCatalogRead) {
  CreateProduct(ProductBody("Draft One", "D-1", 100, {{"status", "draft"}}));
  CreateProduct(ProductBody("Active One", "A-1", 100));

  Response anonymous = Get("/v1/products?status=draft");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.Header("WWW-Authenticate"), R"(Bearer realm="ecom")");

  Response wrong_scope = Get("/v1/products?status=draft", orders_key_);
  EXPECT_EQ(wrong_scope.status, 403);
  EXPECT_EQ(wrong_scope.json["reason"], "insufficient_scope");

  Response staff = Get("/v1/products?status=draft,active", catalog_read_key_);
  ASSERT_EQ(staff.status, 200) << staff.body;
  EXPECT_EQ(staff.json["items"].size(), 2u);

  Response bad = Get("/v1/products?status=deleted", catalog_read_key_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json["errors"][0]["field"], "status");
}

TEST_P(ProductApiTest, UpdateWithoutIfMatchIs428) {
  json p = CreateProduct(ProductBody("Lamp", "LAMP-1", 4000));
  Response r = Patch("/v1/products/" + p["id"].get<std::string>(), {{"title", "Desk Lamp"}},
                     catalog_write_key_);
  EXPECT_EQ(r.status, 428);
  EXPECT_EQ(r.json["reason"], "precondition_required");
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
}

TEST_P(ProductApiTest, UpdateWithStaleETagIs412AndWithCurrentETagSucceeds) {
  json p = CreateProduct(ProductBody("Lamp", "LAMP-1", 4000));
  const std::string path = "/v1/products/" + p["id"].get<std::string>();
  const std::string etag = "\"" + std::to_string(p["version"].get<int>()) + "\"";

  Response first = Patch(path, {{"title", "Desk Lamp"}}, catalog_write_key_, etag);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json["title"], "Desk Lamp");
  EXPECT_NE(first.Header("ETag"), etag);

  Response stale = Patch(path, {{"title", "Floor Lamp"}}, catalog_write_key_, etag);
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.json["reason"], "version_mismatch");
  EXPECT_EQ(Get(path).json["title"], "Desk Lamp");

  Response fresh = Patch(path, {{"title", "Floor Lamp"}}, catalog_write_key_, first.Header("ETag"));
  EXPECT_EQ(fresh.status, 200) << fresh.body;
}

TEST_P(ProductApiTest, DeleteRemovesAnUnstockedProductAndArchivesAStockedOne) {
  json plain = CreateProduct(ProductBody("Plain", "PLAIN-1", 100));
  Response deleted = Delete("/v1/products/" + plain["id"].get<std::string>(), catalog_write_key_);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.json["outcome"], "deleted");
  EXPECT_EQ(Get("/v1/products/" + plain["id"].get<std::string>(), admin_key_).status, 404);

  json stocked = CreateProduct(ProductBody("Stocked", "STOCK-1", 100));
  ASSERT_EQ(PostOnce("/v1/inventory/STOCK-1/adjustments", {{"delta", 5}, {"reason", "received"}},
                 inventory_write_key_)
                .status,
            201);
  Response archived =
      Delete("/v1/products/" + stocked["id"].get<std::string>(), catalog_write_key_);
  ASSERT_EQ(archived.status, 200) << archived.body;
  EXPECT_EQ(archived.json["outcome"], "archived");
  Response after = Get("/v1/products/" + stocked["id"].get<std::string>(), catalog_read_key_);
  EXPECT_EQ(after.json["status"], "archived");
}

TEST_P(ProductApiTest, UnknownAndMistypedFieldsAreNamedInA400) {
  json body = ProductBody("Odd", "ODD-1", 100);
  body["colour"] = "red";
  body["tags"] = "not-a-list";
  Response r = Post("/v1/products", body, catalog_write_key_);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "application/problem+json");
  EXPECT_EQ(r.json["type"], "https://ecom.dev/problems/invalid-input");
  std::set<std::string> fields;
  for (const auto& e : r.json["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_TRUE(fields.count("colour")) << r.body;
  EXPECT_TRUE(fields.count("tags")) << r.body;
}

TEST_P(ProductApiTest, DuplicateHandleIs409) {
  CreateProduct(ProductBody("Same", "SAME-1", 100, {{"handle", "same"}}));
  Response r = Post("/v1/products", ProductBody("Same again", "SAME-2", 100, {{"handle", "same"}}),
                    admin_key_);
  EXPECT_EQ(r.status, 409) << r.body;
}

TEST_P(ProductApiTest, VariantsAreAddressedBySkusThatContainSlashes) {
  json p = CreateProduct(
      ProductBody("Tee", "TEE/RED/M", 2000,
                  {{"options", {"Size"}},
                   {"variants", {{{"sku", "TEE/RED/M"}, {"price", 2000}, {"options", {"M"}}}}}}));
  Response v = Get("/v1/variants/TEE/RED/M");
  ASSERT_EQ(v.status, 200) << v.body;
  EXPECT_EQ(v.json["sku"], "TEE/RED/M");

  Response encoded = Get("/v1/variants/TEE%2FRED%2FM");
  EXPECT_EQ(encoded.status, 200);

  Response added =
      Post("/v1/products/" + p["id"].get<std::string>() + "/variants",
           {{"sku", "TEE/RED/L"}, {"price", 2100}, {"options", {"L"}}}, catalog_write_key_);
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(added.json["sku"], "TEE/RED/L");
  EXPECT_EQ(added.Header("Location"), "/v1/variants/" + added.json["id"].get<std::string>());

  Response patched = Patch("/v1/variants/TEE/RED/L", {{"price", 2200}}, catalog_write_key_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json["price"]["amount"], 2200);

  Response removed = Delete("/v1/variants/TEE/RED/L", catalog_write_key_);
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(Get("/v1/variants/TEE/RED/L").status, 404);
}

TEST_P(ProductApiTest, VariantsOfDraftProductsAreHiddenFromThePublic) {
  CreateProduct(ProductBody("Hidden", "HIDDEN-1", 100, {{"status", "draft"}}));
  EXPECT_EQ(Get("/v1/variants/HIDDEN-1").status, 404);
  EXPECT_EQ(Get("/v1/variants/HIDDEN-1", catalog_read_key_).status, 200);
}

TEST_P(ProductApiTest, CategoriesAreListedAndFoundByHandle) {
  Response created = Post("/v1/categories", {{"name", "Apparel"}}, catalog_write_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["id"];
  EXPECT_EQ(created.Header("Location"), "/v1/categories/" + id);

  Response child =
      Post("/v1/categories", {{"name", "Shirts"}, {"parent_id", id}}, catalog_write_key_);
  ASSERT_EQ(child.status, 201) << child.body;

  Response list = Get("/v1/categories");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json["items"].size(), 2u);
  EXPECT_TRUE(list.json["next_cursor"].is_null());

  Response by_handle = Get("/v1/categories/" + created.json["handle"].get<std::string>());
  ASSERT_EQ(by_handle.status, 200);
  EXPECT_EQ(by_handle.json["id"], id);

  CreateProduct(ProductBody("Oxford", "OX-1", 5000, {{"category_id", child.json["id"]}}));
  CreateProduct(ProductBody("Mug", "MUG-9", 900));
  Response in_apparel = Get("/v1/products?category=" + created.json["handle"].get<std::string>());
  ASSERT_EQ(in_apparel.status, 200) << in_apparel.body;
  ASSERT_EQ(in_apparel.json["items"].size(), 1u);
  EXPECT_EQ(in_apparel.json["items"][0]["title"], "Oxford");
}

TEST_P(ProductApiTest, CollectionsGainAndLoseProducts) {
  json p = CreateProduct(ProductBody("Scarf", "SCARF-1", 3000));
  const std::string pid = p["id"];
  Response created = Post("/v1/collections", {{"title", "Winter"}}, catalog_write_key_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string cid = created.json["id"];

  Response added = Send({.method = "PUT",
                         .path = "/v1/collections/" + cid + "/products/" + pid,
                         .token = catalog_write_key_});
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json["product_ids"], json::array({pid}));

  Response filtered = Get("/v1/products?collection=" + created.json["handle"].get<std::string>());
  ASSERT_EQ(filtered.status, 200);
  EXPECT_EQ(filtered.json["items"].size(), 1u);

  Response removed = Delete("/v1/collections/" + cid + "/products/" + pid, catalog_write_key_);
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(removed.json["product_ids"].empty());

  Response list = Get("/v1/collections");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json["items"].size(), 1u);
  EXPECT_EQ(Get("/v1/collections/" + cid).json["title"], "Winter");
}

INSTANTIATE_TEST_SUITE_P(Stores, ProductApiTest, ::testing::ValuesIn(TestStores()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ecom::daemon::testing
