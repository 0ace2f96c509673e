-- The catalog (crate `billing`, module `catalog`): what the shop sells, to
-- whom at which price, and the stock of digital goods.

-- Price tiers. Anonymous visitors and clients in no group see the default
-- group's prices (member); a reseller-role client without a group sees the
-- `reseller` group's.
CREATE TABLE customer_group (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    is_default  BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_group_one_default ON customer_group (is_default) WHERE is_default;
INSERT INTO customer_group (code, name, is_default)
VALUES ('member', 'Member', true), ('reseller', 'Reseller', false);

CREATE TABLE customer_group_member (
    user_id      UUID PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    group_id     BIGINT NOT NULL REFERENCES customer_group (id) ON DELETE CASCADE,
    assigned_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX customer_group_member_group ON customer_group_member (group_id);

-- Managed lists the products point at; provisioning maps them to nodes and
-- Proxmox templates later.
CREATE TABLE region (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    country     TEXT NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    active      BOOLEAN NOT NULL DEFAULT true,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE os_template (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]{0,59}$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    family      TEXT NOT NULL CHECK (family IN ('linux', 'windows', 'bsd', 'other')),
    active      BOOLEAN NOT NULL DEFAULT true,
    sort_order  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE product_category (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,79}$'),
    name_id         TEXT NOT NULL CHECK (length(name_id) BETWEEN 1 AND 120),
    name_en         TEXT CHECK (length(name_en) BETWEEN 1 AND 120),
    description_id  TEXT,
    description_en  TEXT,
    visible         BOOLEAN NOT NULL DEFAULT true,
    sort_order      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE product (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('vps', 'hosting', 'domain', 'digital', 'data_package', 'internet')),
    slug            TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,79}$'),
    category_id     BIGINT REFERENCES product_category (id) ON DELETE RESTRICT,
    name_id         TEXT NOT NULL CHECK (length(name_id) BETWEEN 1 AND 120),
    name_en         TEXT CHECK (length(name_en) BETWEEN 1 AND 120),
    summary_id      TEXT,
    summary_en      TEXT,
    description_id  TEXT,
    description_en  TEXT,
    -- The kind's technical attributes, validated by billing::catalog::spec;
    -- regions and OS templates are the join tables below.
    spec            JSONB NOT NULL CHECK (spec ->> 'kind' = kind),
    visible         BOOLEAN NOT NULL DEFAULT true,
    featured        BOOLEAN NOT NULL DEFAULT false,
    sort_order      INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER product_set_updated_at BEFORE UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX product_storefront_order ON product (featured DESC, sort_order, id) WHERE visible;
-- One TLD is sold by one domain product.
CREATE UNIQUE INDEX product_domain_tld ON product ((spec ->> 'tld')) WHERE kind = 'domain';

CREATE TABLE product_region (
    product_id  BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    region_id   BIGINT NOT NULL REFERENCES region (id) ON DELETE RESTRICT,
    PRIMARY KEY (product_id, region_id)
);
CREATE INDEX product_region_region ON product_region (region_id);

CREATE TABLE product_os_template (
    product_id      BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    os_template_id  BIGINT NOT NULL REFERENCES os_template (id) ON DELETE RESTRICT,
    PRIMARY KEY (product_id, os_template_id)
);
CREATE INDEX product_os_template_template ON product_os_template (os_template_id);

-- One price per product, tier, currency and cycle. For a domain product the
-- cycle is annual and `price_minor` registers one year; renew and transfer
-- may differ (NULL: the register price).
CREATE TABLE product_price (
    product_id       BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    group_id         BIGINT NOT NULL REFERENCES customer_group (id) ON DELETE CASCADE,
    currency         TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    cycle            TEXT NOT NULL CHECK (cycle IN ('one_time', 'monthly', 'quarterly', 'semi_annual', 'annual')),
    price_minor      BIGINT NOT NULL CHECK (price_minor BETWEEN 0 AND 1000000000000),
    setup_fee_minor  BIGINT NOT NULL DEFAULT 0 CHECK (setup_fee_minor BETWEEN 0 AND 1000000000000),
    renew_minor      BIGINT CHECK (renew_minor BETWEEN 0 AND 1000000000000),
    transfer_minor   BIGINT CHECK (transfer_minor BETWEEN 0 AND 1000000000000),
    PRIMARY KEY (product_id, group_id, currency, cycle)
);
CREATE INDEX product_price_lookup ON product_price (currency, group_id, product_id);

-- Codes and account credentials of digital goods, sealed (AES-256-GCM,
-- domain::sealing) under the key `key_id` names. The fingerprint is a keyed
-- hash that refuses the same item twice without opening anything.
CREATE TABLE digital_stock_item (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL,
    sealed       BYTEA NOT NULL,
    fingerprint  BYTEA NOT NULL,
    status       TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'reserved', 'sold')),
    added_by     UUID REFERENCES app_user (id) ON DELETE SET NULL,
    added_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    reserved_at  TIMESTAMPTZ,
    sold_at      TIMESTAMPTZ,
    UNIQUE (product_id, fingerprint)
);
CREATE INDEX digital_stock_item_available ON digital_stock_item (product_id) WHERE status = 'available';
