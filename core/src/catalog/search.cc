// Search terms: extraction with weights, and the matching subquery.
#include "catalog/search.h"

#include <algorithm>

#include "ecom/common/text.h"

namespace ecom::catalog::search {

WeightedTerms TermsOf(const Product& p) {
  WeightedTerms weights;
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

std::string JoinTerms(const WeightedTerms& terms) {
  std::string out;
  for (const auto& [term, weight] : terms) {
    if (!out.empty()) out += ' ';
    out += term;
  }
  return out;
}

namespace {

// Deletes the postings of `product_id` recorded in its indexed_terms, through
// the primary key, a few hundred terms per statement.
void DeleteRecordedPostings(store::Transaction& tx, std::string_view product_id) {
  std::string recorded;
  {
    auto rows = tx.Query("SELECT indexed_terms FROM products WHERE id = $1", {product_id});
    if (!rows->Next()) return;
    recorded = rows->Text(0);
  }
  std::vector<std::string_view> terms;
  for (std::size_t start = 0; start < recorded.size();) {
    std::size_t space = recorded.find(' ', start);
    if (space == std::string::npos) space = recorded.size();
    if (space > start) terms.push_back(std::string_view(recorded).substr(start, space - start));
    start = space + 1;
  }
  constexpr std::size_t kPerStatement = 256;
  for (std::size_t at = 0; at < terms.size(); at += kPerStatement) {
    std::size_t n = std::min(kPerStatement, terms.size() - at);
    std::vector<store::Value> params{product_id};
    std::string sql = "DELETE FROM search_terms WHERE product_id = $1 AND term IN (";
    for (std::size_t i = 0; i < n; ++i) {
      sql += i ? ", $" : "$";
      sql += std::to_string(i + 2);
      params.emplace_back(terms[at + i]);
    }
    tx.Exec(sql + ")", params);
  }
}

}  // namespace

void IndexProduct(store::Transaction& tx, const Product& p) {
  DeleteRecordedPostings(tx, p.id);
  WeightedTerms terms = TermsOf(p);
  store::BulkInserter out(tx, 256);
  AddPostings(out, p.id, terms);
  out.Flush();
  tx.Exec("UPDATE products SET indexed_terms = $2 WHERE id = $1", {std::string_view(p.id), JoinTerms(terms)});
}

void AddPostings(store::BulkInserter& out, const std::string& product_id, const WeightedTerms& terms) {
  for (const auto& [term, weight] : terms)
    out.Add("search_terms", "term, product_id, weight", {term, product_id, std::int64_t{weight}});
}

void RemoveProduct(store::Transaction& tx, std::string_view product_id) {
  DeleteRecordedPostings(tx, product_id);
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
