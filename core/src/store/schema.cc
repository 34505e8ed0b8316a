// The numbered, forward-only schema migrations of every domain. SQL is written
// once; the few words the dialects spell differently are placeholders:
//   {text_c}         a text column that sorts byte-wise (keyset pagination, prefixes)
//   {real}           a double-precision column
//   {string_agg}     the aggregate joining text with a separator
//   {without_rowid}  a table clustered by its primary key (SQLite only)
//   {sequence N S}   creates counter N starting at S (Transaction::NextInSequence)
#include "store/schema.h"

namespace ecom::store {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "catalog, inventory, outbox and api keys", R"SQL(
CREATE TABLE products (
  id               TEXT PRIMARY KEY,
  handle           TEXT NOT NULL UNIQUE,
  title            TEXT NOT NULL,
  title_key        {text_c} NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  vendor           TEXT NOT NULL DEFAULT '',
  product_type     TEXT NOT NULL DEFAULT '',
  tags             TEXT NOT NULL DEFAULT '[]',
  status           TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
  seo_title        TEXT NOT NULL DEFAULT '',
  seo_description  TEXT NOT NULL DEFAULT '',
  option1_name     TEXT,
  option2_name     TEXT,
  option3_name     TEXT,
  gift_card        INTEGER NOT NULL DEFAULT 0,
  published        INTEGER NOT NULL DEFAULT 1,
  category_id      TEXT,
  price_min        BIGINT NOT NULL DEFAULT 0,
  price_max        BIGINT NOT NULL DEFAULT 0,
  version          BIGINT NOT NULL DEFAULT 1,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX products_by_title ON products (status, title_key, id);
CREATE INDEX products_by_price ON products (status, price_min, id);
CREATE INDEX products_by_newest ON products (status, id);
CREATE INDEX products_by_vendor ON products (vendor, id);
CREATE INDEX products_by_category ON products (category_id, id);

CREATE TABLE variants (
  id                   TEXT PRIMARY KEY,
  product_id           TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  position             INTEGER NOT NULL,
  sku                  TEXT UNIQUE,
  option1              TEXT,
  option2              TEXT,
  option3              TEXT,
  price                BIGINT NOT NULL CHECK (price >= 0),
  compare_at_price     BIGINT,
  cost                 BIGINT,
  currency             TEXT NOT NULL,
  barcode              TEXT NOT NULL DEFAULT '',
  weight_grams         {real} NOT NULL DEFAULT 0,
  weight_unit          TEXT NOT NULL DEFAULT 'g',
  requires_shipping    INTEGER NOT NULL DEFAULT 1,
  taxable              INTEGER NOT NULL DEFAULT 1,
  tax_code             TEXT NOT NULL DEFAULT '',
  inventory_tracked    INTEGER NOT NULL DEFAULT 1,
  inventory_policy     TEXT NOT NULL DEFAULT 'deny' CHECK (inventory_policy IN ('deny', 'continue')),
  fulfillment_service  TEXT NOT NULL DEFAULT 'manual',
  image_url            TEXT NOT NULL DEFAULT '',
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL
);
CREATE INDEX variants_by_product ON variants (product_id, position);
CREATE INDEX variants_by_price ON variants (price, product_id);

-- The cached stock level of each variant. on_hand always equals the sum of the
-- variant's ledger rows; both are written in the same transaction.
CREATE TABLE inventory_levels (
  variant_id           TEXT PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
  on_hand              BIGINT NOT NULL DEFAULT 0,
  reserved             BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  tracked              INTEGER NOT NULL DEFAULT 1,
  allow_backorder      INTEGER NOT NULL DEFAULT 0,
  low_stock_threshold  BIGINT,
  updated_at           TEXT NOT NULL,
  CHECK (tracked = 0 OR allow_backorder = 1 OR on_hand >= reserved)
);

CREATE TABLE stock_ledger (
  id             TEXT PRIMARY KEY,
  variant_id     TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
  sku            TEXT,
  delta          BIGINT NOT NULL,
  on_hand_after  BIGINT NOT NULL,
  reason         TEXT NOT NULL,
  reference      TEXT NOT NULL DEFAULT '',
  actor          TEXT NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  created_at     TEXT NOT NULL
);
CREATE INDEX stock_ledger_by_variant ON stock_ledger (variant_id, id);

CREATE TABLE product_images (
  id          TEXT PRIMARY KEY,
  product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  url         TEXT NOT NULL,
  alt         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX product_images_by_product ON product_images (product_id, position);

CREATE TABLE product_tags (
  product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  tag         TEXT NOT NULL,
  PRIMARY KEY (product_id, tag)
);
CREATE INDEX product_tags_by_tag ON product_tags (tag, product_id);

CREATE TABLE categories (
  id          TEXT PRIMARY KEY,
  handle      TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  parent_id   TEXT REFERENCES categories (id),
  path        {text_c} NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX categories_by_path ON categories (path);

CREATE TABLE collections (
  id           TEXT PRIMARY KEY,
  handle       TEXT NOT NULL UNIQUE,
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE TABLE collection_products (
  collection_id  TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  product_id     TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  position       INTEGER NOT NULL,
  PRIMARY KEY (collection_id, product_id)
);
CREATE INDEX collection_products_by_product ON collection_products (product_id);

-- The search index: every folded term of a product with the weight of the
-- best field it occurs in (title 8, vendor/type/tags 4, description 1).
CREATE TABLE search_terms (
  term        {text_c} NOT NULL,
  product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  weight      INTEGER NOT NULL,
  PRIMARY KEY (term, product_id)
);
CREATE INDEX search_terms_by_product ON search_terms (product_id);

CREATE TABLE outbox (
  id              TEXT PRIMARY KEY,
  type            TEXT NOT NULL,
  version         INTEGER NOT NULL,
  aggregate_type  TEXT NOT NULL,
  aggregate_id    TEXT NOT NULL,
  payload         TEXT NOT NULL,
  occurred_at     TEXT NOT NULL,
  published_at    TEXT
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  prefix        TEXT NOT NULL,
  secret_hash   TEXT NOT NULL UNIQUE,
  scopes        TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  expires_at    TEXT,
  last_used_at  TEXT,
  revoked_at    TEXT
);
)SQL"},
      {2, "customers, staff, sessions, password resets and auth throttling", R"SQL(
-- A deleted customer keeps its row (orders refer to it) with the personal
-- data erased: email, email_key, name and password_hash are cleared.
CREATE TABLE customers (
  id             TEXT PRIMARY KEY,
  email          TEXT,
  email_key      TEXT UNIQUE,
  name           TEXT NOT NULL DEFAULT '',
  password_hash  TEXT,
  status         TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'deleted')),
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  last_login_at  TEXT,
  deleted_at     TEXT
);

CREATE TABLE customer_addresses (
  id           TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  company      TEXT NOT NULL DEFAULT '',
  line1        TEXT NOT NULL,
  line2        TEXT NOT NULL DEFAULT '',
  city         TEXT NOT NULL,
  region       TEXT NOT NULL DEFAULT '',
  postal_code  TEXT NOT NULL DEFAULT '',
  country      TEXT NOT NULL,
  phone        TEXT NOT NULL DEFAULT '',
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX customer_addresses_by_customer ON customer_addresses (customer_id, id);

CREATE TABLE staff (
  id             TEXT PRIMARY KEY,
  email          TEXT NOT NULL,
  email_key      TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  last_login_at  TEXT,
  disabled_at    TEXT
);

-- Bearer sessions of customers and staff. Only the SHA-256 digest of a token
-- is kept; expires_at slides forward when the session is used.
CREATE TABLE sessions (
  id            TEXT PRIMARY KEY,
  subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('customer', 'staff')),
  subject_id    TEXT NOT NULL,
  token_hash    TEXT NOT NULL UNIQUE,
  created_at    TEXT NOT NULL,
  expires_at    TEXT NOT NULL,
  last_used_at  TEXT NOT NULL,
  revoked_at    TEXT
);
CREATE INDEX sessions_by_subject ON sessions (subject_kind, subject_id);

CREATE TABLE password_resets (
  id           TEXT PRIMARY KEY,
  customer_id  TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  token_hash   TEXT NOT NULL UNIQUE,
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  used_at      TEXT
);
CREATE INDEX password_resets_by_customer ON password_resets (customer_id);

-- Failure counters for logins, registrations and reset requests, shared by
-- every replica. throttle_key: login:acct:<email key>, login:ip:<address>, ...
CREATE TABLE auth_throttle (
  throttle_key     TEXT PRIMARY KEY,
  failures         INTEGER NOT NULL,
  last_failure_at  TEXT NOT NULL,
  locked_until     TEXT
);
)SQL"},
      {3, "search postings clustered by term, each product listing its own", R"SQL(
-- A product records the terms it is indexed under, so reindexing or deleting
-- it removes exactly its postings through the primary key. The postings need
-- no by-product index and no foreign key then: each posting is one b-tree
-- entry (SQLite: WITHOUT ROWID), written in the same transaction as its product.
ALTER TABLE products ADD COLUMN indexed_terms TEXT NOT NULL DEFAULT '';
UPDATE products SET indexed_terms = COALESCE(
  (SELECT {string_agg}(s.term, ' ') FROM search_terms s WHERE s.product_id = products.id), '');
CREATE TABLE search_postings (
  term        {text_c} NOT NULL,
  product_id  TEXT NOT NULL,
  weight      INTEGER NOT NULL,
  PRIMARY KEY (term, product_id)
){without_rowid};
INSERT INTO search_postings (term, product_id, weight) SELECT term, product_id, weight FROM search_terms;
DROP TABLE search_terms;
ALTER TABLE search_postings RENAME TO search_terms;
)SQL"},
      {4, "carts, orders, payments, refunds and idempotency keys", R"SQL(
CREATE TABLE carts (
  id           TEXT PRIMARY KEY,
  token_hash   TEXT UNIQUE,
  customer_id  TEXT REFERENCES customers (id),
  currency     TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'merged', 'ordered', 'expired')),
  order_id     TEXT,
  version      BIGINT NOT NULL DEFAULT 1,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL
);
CREATE INDEX carts_by_customer ON carts (customer_id, status);
CREATE INDEX carts_by_expiry ON carts (status, expires_at);

-- One line per variant. unit_price is the price the customer was shown when
-- the line last changed; checkout compares it with the catalog's.
CREATE TABLE cart_lines (
  cart_id     TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
  variant_id  TEXT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
  quantity    BIGINT NOT NULL CHECK (quantity > 0),
  unit_price  BIGINT NOT NULL,
  added_at    TEXT NOT NULL,
  PRIMARY KEY (cart_id, variant_id)
);

CREATE TABLE shipping_methods (
  code        TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  amount      BIGINT NOT NULL CHECK (amount >= 0),
  currency    TEXT NOT NULL,
  countries   TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

-- rate_ppm: millionths (8.875 % is 88750).
CREATE TABLE tax_rates (
  id           TEXT PRIMARY KEY,
  country      TEXT NOT NULL,
  region       TEXT NOT NULL DEFAULT '',
  rate_ppm     BIGINT NOT NULL CHECK (rate_ppm >= 0 AND rate_ppm <= 1000000),
  inclusive    INTEGER NOT NULL DEFAULT 0,
  on_shipping  INTEGER NOT NULL DEFAULT 0,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (country, region)
);

CREATE TABLE orders (
  id                    TEXT PRIMARY KEY,
  number                BIGINT NOT NULL UNIQUE,
  cart_id               TEXT NOT NULL UNIQUE,
  customer_id           TEXT,
  email                 TEXT NOT NULL,
  guest_token_hash      TEXT,
  status                TEXT NOT NULL CHECK (status IN
                          ('pending', 'confirmed', 'fulfilled', 'shipped', 'delivered', 'cancelled')),
  payment_status        TEXT NOT NULL CHECK (payment_status IN
                          ('pending', 'paid', 'failed', 'partially_refunded', 'refunded')),
  stock_state           TEXT NOT NULL CHECK (stock_state IN ('reserved', 'released', 'sold')),
  currency              TEXT NOT NULL,
  subtotal              BIGINT NOT NULL,
  shipping_total        BIGINT NOT NULL,
  tax_total             BIGINT NOT NULL,
  grand_total           BIGINT NOT NULL,
  taxes_included        INTEGER NOT NULL DEFAULT 0,
  amount_captured       BIGINT NOT NULL DEFAULT 0,
  amount_refunded       BIGINT NOT NULL DEFAULT 0,
  shipping_method       TEXT NOT NULL,
  shipping_method_name  TEXT NOT NULL,
  shipping_address      TEXT NOT NULL,
  billing_address       TEXT NOT NULL,
  carrier               TEXT,
  tracking_number       TEXT,
  tracking_url          TEXT,
  payment_failure       TEXT,
  active_payment_id     TEXT,
  payment_due_at        TEXT NOT NULL,
  cancel_reason         TEXT,
  version               BIGINT NOT NULL DEFAULT 1,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  CHECK (amount_refunded >= 0 AND amount_refunded <= amount_captured)
);
CREATE INDEX orders_by_customer ON orders (customer_id, id);
CREATE INDEX orders_by_status ON orders (status, id);
CREATE INDEX orders_by_created ON orders (created_at, id);
CREATE INDEX orders_unpaid ON orders (payment_status, payment_due_at);

-- What was sold, as it was at checkout: later catalog edits never change it.
CREATE TABLE order_lines (
  order_id            TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no             INTEGER NOT NULL,
  variant_id          TEXT NOT NULL,
  product_id          TEXT NOT NULL,
  sku                 TEXT,
  title               TEXT NOT NULL,
  variant_title       TEXT NOT NULL DEFAULT '',
  quantity            BIGINT NOT NULL CHECK (quantity > 0),
  unit_price          BIGINT NOT NULL,
  subtotal            BIGINT NOT NULL,
  tax                 BIGINT NOT NULL,
  tax_rate_ppm        BIGINT NOT NULL,
  currency            TEXT NOT NULL,
  requires_shipping   INTEGER NOT NULL,
  taxable             INTEGER NOT NULL,
  tracked             INTEGER NOT NULL,
  restocked_quantity  BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (order_id, line_no)
);

-- Stock held for an unfulfilled order. inventory_levels.reserved of a
-- variant always equals the sum of its rows here. An unpaid order's hold
-- expires when its payment is due; a paid order's (expires_at NULL) lasts
-- until it is fulfilled or cancelled.
CREATE TABLE reservations (
  order_id    TEXT NOT NULL,
  variant_id  TEXT NOT NULL,
  quantity    BIGINT NOT NULL CHECK (quantity > 0),
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  PRIMARY KEY (order_id, variant_id)
);
CREATE INDEX reservations_by_variant ON reservations (variant_id);

CREATE TABLE order_timeline (
  id          TEXT PRIMARY KEY,
  order_id    TEXT NOT NULL,
  kind        TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}',
  actor       TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX order_timeline_by_order ON order_timeline (order_id, id);

-- One row per attempt to charge an order. id is the idempotency key the
-- gateway sees. details: brand, last four and gateway reference, sealed.
CREATE TABLE payments (
  id               TEXT PRIMARY KEY,
  order_id         TEXT NOT NULL REFERENCES orders (id),
  gateway          TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN
                     ('pending', 'requires_confirmation', 'captured', 'failed', 'unknown')),
  amount           BIGINT NOT NULL,
  currency         TEXT NOT NULL,
  details          TEXT,
  key_version      INTEGER,
  failure_code     TEXT,
  failure_message  TEXT,
  amount_refunded  BIGINT NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  captured_at      TEXT,
  CHECK (amount_refunded >= 0 AND amount_refunded <= amount)
);
CREATE INDEX payments_by_order ON payments (order_id, id);
CREATE INDEX payments_unsettled ON payments (status, updated_at);

CREATE TABLE refunds (
  id          TEXT PRIMARY KEY,
  order_id    TEXT NOT NULL REFERENCES orders (id),
  payment_id  TEXT NOT NULL REFERENCES payments (id),
  amount      BIGINT NOT NULL CHECK (amount > 0),
  currency    TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  details     TEXT,
  restock     TEXT NOT NULL DEFAULT '[]',
  actor       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX refunds_by_order ON refunds (order_id, id);
CREATE INDEX refunds_unsettled ON refunds (status, updated_at);

-- Idempotency-Key records (IETF httpapi-idempotency-key-header): a key is
-- scoped to its caller; fingerprint is SHA-256 of method, path and canonical
-- body; a running record whose lease lapsed (its process died) may be taken over.
CREATE TABLE idempotency_keys (
  scope            TEXT NOT NULL,
  idem_key         TEXT NOT NULL,
  fingerprint      TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('running', 'done')),
  locked_until     TEXT NOT NULL,
  resource_id      TEXT,
  response_status  INTEGER,
  response_body    TEXT,
  created_at       TEXT NOT NULL,
  expires_at       TEXT NOT NULL,
  PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);

CREATE TABLE webhook_events (
  gateway      TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  PRIMARY KEY (gateway, event_id)
);

{sequence order_numbers 1001}
)SQL"},
      // Nothing looks reservations up by variant (inventory_levels.reserved
      // carries the sum), and the index cost every checkout a log page per
      // variant it reserved.
      {5, "reservations without the unused by-variant index", R"SQL(
DROP INDEX reservations_by_variant;
)SQL"},
  };
  return kMigrations;
}

std::string RenderForDialect(std::string_view sql, Dialect dialect) {
  std::string out(sql);
  auto replace = [&](std::string_view from, std::string_view to) {
    for (auto pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos + to.size()))
      out.replace(pos, from.size(), to);
  };
  bool pg = dialect == Dialect::kPostgres;
  replace("{text_c}", pg ? "TEXT COLLATE \"C\"" : "TEXT");
  replace("{real}", pg ? "DOUBLE PRECISION" : "REAL");
  replace("{string_agg}", pg ? "string_agg" : "group_concat");
  replace("{without_rowid}", pg ? "" : " WITHOUT ROWID");
  // {sequence NAME START}: a counter handing out START, START+1, ... (see
  // Transaction::NextInSequence). SQLite keeps it in a row; PostgreSQL in a
  // SEQUENCE, which never waits on other transactions (and so may skip
  // numbers of rolled-back ones).
  for (auto pos = out.find("{sequence "); pos != std::string::npos; pos = out.find("{sequence ")) {
    auto end = out.find('}', pos);
    std::string spec = out.substr(pos + 10, end - pos - 10);
    std::string name = spec.substr(0, spec.find(' '));
    std::string start = spec.substr(spec.find(' ') + 1);
    std::string sql = pg ? "CREATE SEQUENCE " + name + " START WITH " + start + ";"
                         : "CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, "
                           "next_value INTEGER NOT NULL);\nINSERT INTO sequences (name, next_value) VALUES ('" +
                               name + "', " + start + ");";
    out.replace(pos, end - pos + 1, sql);
  }
  return out;
}

}  // namespace ecom::store
