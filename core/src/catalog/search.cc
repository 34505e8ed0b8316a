// Search terms: extraction with weights, and the matching subquery.
#include "catalog/search.h"

#include <map>

#include "ecom/common/text.h"

namespace ecom::catalog::search {

namespace {

// Every folded term of the product with the weight of the best field it is in.
std::map<std::string, int> WeightedTerms(const Product& p) {
  std::map<std::string, int> weights;
  auto add = [&](std::string_view text, int weight) {
    for (auto& term : FoldedTerms(text)) {
      if (term.size() > 64) continue;  // not a word anyone types
      int& w = weights[std::move(term)];
      w = std::max(w, weight);
    }
  };
  add(p.title, kTitleWeight);
  add(p.vendor, kAttributeWeight);
  add(p.product_type, kAttributeWeight);
  for (const auto& tag : p.tags) add(tag, kAttributeWeight);
  add(StripHtml(p.description), kDescriptionWeight);
  return weights;
}

}  // namespace

void IndexProduct(store::Transaction& tx, const Product& p) {
  tx.Exec("DELETE FROM search_terms WHERE product_id = $1", {std::string_view(p.id)});
  store::BulkInserter out(tx, 256);
  AddTerms(out, p);
  out.Flush();
}

void AddTerms(store::BulkInserter& out, const Product& p) {
  for (auto& [term, weight] : WeightedTerms(p))
    out.Add("search_terms", "term, product_id, weight", {term, p.id, std::int64_t{weight}});
}

std::vector<std::string> QueryTerms(std::string_view text) {
  auto terms = FoldedTerms(text);
  if (terms.size() > 16) terms.resize(16);
  return terms;
}

std::string MatchSubquery(const std::vector<std::string>& terms, std::vector<std::string>& params) {
  // Each query word yields one row per product holding it, with the best
  // weight among the product's terms that match; a product matches when it
  // has a row for every word. The last word is a prefix: a byte-ordered range
  // [w, w + U+10FFFF), which both stores answer from the primary key.
  std::string union_sql;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    if (i) union_sql += " UNION ALL ";
    bool prefix = i + 1 == terms.size();
    params.push_back(terms[i]);
    std::string lo = "$" + std::to_string(params.size());
    std::string cond = "term = " + lo;
    if (prefix) {
      params.push_back(terms[i] + "\xF4\x8F\xBF\xBF");
      cond = "term >= " + lo + " AND term < $" + std::to_string(params.size());
    }
    union_sql += "SELECT product_id, " + std::to_string(i) +
                 " AS word, MAX(weight) AS best FROM search_terms WHERE " + cond + " GROUP BY product_id";
  }
  return "SELECT product_id, SUM(best) AS rank FROM (" + union_sql +
         ") m GROUP BY product_id HAVING COUNT(*) = " + std::to_string(terms.size());
}

}  // namespace ecom::catalog::search
