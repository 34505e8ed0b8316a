// Writes a synthetic Shopify product CSV of any size for the benchmarks:
// N products with K variants each (Size x Color), realistic text, stock.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ecom/common/csv.h"

namespace {

constexpr const char* kAdjectives[] = {"Alpine", "Coastal", "Rugged", "Classic", "Featherweight", "Merino",
                                       "Canyon", "Harbor", "Summit", "Everyday", "Crème", "Nordic"};
constexpr const char* kNouns[] = {"Jacket", "Tee", "Hoodie", "Beanie", "Backpack", "Mug",
                                  "Blanket", "Socks", "Tent", "Lantern", "Bottle", "Scarf"};
constexpr const char* kSizes[] = {"XS", "S", "M", "L", "XL", "XXL"};
constexpr const char* kColors[] = {"Black", "Navy", "Olive", "Sand", "Rust", "Slate", "Ivory", "Moss"};

}  // namespace

int main(int argc, char** argv) {
  long products = 1000, per_product = 5;
  const char* out_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--products") && i + 1 < argc) products = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "--variants") && i + 1 < argc) per_product = std::atol(argv[++i]);
    else if (!std::strcmp(argv[i], "-o") && i + 1 < argc) out_path = argv[++i];
    else {
      std::fprintf(stderr, "usage: gen_catalog [--products N] [--variants K] -o FILE\n");
      return 2;
    }
  }
  if (!out_path || per_product < 1 || per_product > 48) {
    std::fprintf(stderr, "usage: gen_catalog [--products N] [--variants 1..48] -o FILE\n");
    return 2;
  }
  FILE* out = std::fopen(out_path, "w");
  if (!out) {
    std::perror(out_path);
    return 1;
  }
  std::string buf =
      "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,"
      "Option2 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,"
      "Variant Inventory Policy,Variant Price,Variant Compare At Price,Variant Barcode,Image Src,Status\n";
  std::vector<std::string> f(21);
  for (long p = 0; p < products; ++p) {
    std::string title = std::string(kAdjectives[p % 12]) + " " + kNouns[(p / 12) % 12] + " " + std::to_string(p);
    std::string handle = "bench-" + std::to_string(p);
    for (long v = 0; v < per_product; ++v) {
      for (auto& s : f) s.clear();
      f[0] = handle;
      if (v == 0) {
        f[1] = title;
        f[2] = "<p>The " + title + " is made for long days outside, with recycled fabric, taped seams and a "
               "lifetime repair promise.</p>";
        f[3] = p % 3 ? "Northwind" : "Summit Supply";
        f[4] = kNouns[(p / 12) % 12];
        f[5] = std::string("outdoor, ") + kAdjectives[p % 12];
        f[6] = "TRUE";
        f[7] = "Size";
        f[9] = "Color";
        f[19] = "https://images.example.com/bench/" + handle + ".jpg";
        f[20] = "active";
      }
      f[8] = kSizes[v % 6];
      f[10] = kColors[v / 6];
      f[11] = "B-" + std::to_string(p) + "-" + std::to_string(v);
      f[12] = "450";
      f[13] = "shopify";
      f[14] = std::to_string((p * 7 + v) % 40);
      f[15] = "deny";
      f[16] = std::to_string(10 + (p * 13 + v) % 190) + ".99";
      if (v % 4 == 0) f[17] = std::to_string(250 + p % 50) + ".00";
      f[18] = std::to_string(400000000000L + p * 50 + v);
      ecom::csv::WriteRecord(buf, f);
      if (buf.size() > (1 << 20)) {
        std::fwrite(buf.data(), 1, buf.size(), out);
        buf.clear();
      }
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), out);
  return std::fclose(out) == 0 ? 0 : 1;
}
