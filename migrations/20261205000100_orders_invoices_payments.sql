-- Orders, invoices, payments, promo codes and the wallet (billing::{promo,
-- order, invoice, payment, wallet}). Money is integer minor units with its
-- currency beside it; every state a row can hold is spelled out in a CHECK.

-- The shop's billing rules; one row.
CREATE TABLE billing_setting (
    id                     BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    -- PPN in basis points: 1100 = 11 %.
    tax_rate_bp            INTEGER NOT NULL DEFAULT 1100 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    -- Whether catalog prices already contain PPN (the usual Indonesian
    -- consumer price) or PPN is added on top.
    prices_include_tax     BOOLEAN NOT NULL DEFAULT true,
    -- An order unpaid this long is cancelled and its stock and promo use released.
    order_timeout_minutes  INTEGER NOT NULL DEFAULT 1440 CHECK (order_timeout_minutes BETWEEN 5 AND 43200),
    seller_name            TEXT NOT NULL DEFAULT 'Juragan Hosting' CHECK (length(seller_name) BETWEEN 1 AND 200),
    seller_address         TEXT NOT NULL DEFAULT '' CHECK (length(seller_address) <= 500),
    seller_tax_id          TEXT CHECK (seller_tax_id IS NULL OR length(seller_tax_id) BETWEEN 1 AND 40),
    bank_instructions      TEXT NOT NULL DEFAULT '' CHECK (length(bank_instructions) <= 2000),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO billing_setting DEFAULT VALUES;

-- Promo codes and vouchers. `uses` counts redemptions held by live orders;
-- the row lock of the UPDATE that raises it is what keeps the limits under
-- concurrent checkouts.
CREATE TABLE promo_code (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{2,39}$'),
    description        TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    discount_kind      TEXT NOT NULL CHECK (discount_kind IN ('percent', 'fixed')),
    percent            INTEGER CHECK (percent BETWEEN 1 AND 100),
    amount_minor       BIGINT CHECK (amount_minor BETWEEN 1 AND 1000000000000),
    currency           TEXT CHECK (currency IN ('IDR', 'USD')),
    starts_at          TIMESTAMPTZ,
    ends_at            TIMESTAMPTZ,
    max_uses           INTEGER CHECK (max_uses >= 1),
    max_uses_per_user  INTEGER CHECK (max_uses_per_user >= 1),
    uses               INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)),
    -- false: the discount applies to the first invoice only; true: to renewals too.
    recurring          BOOLEAN NOT NULL DEFAULT false,
    active             BOOLEAN NOT NULL DEFAULT true,
    -- Vouchers generated together share a batch name.
    batch              TEXT CHECK (batch IS NULL OR length(batch) BETWEEN 1 AND 80),
    created_by         UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (discount_kind <> 'percent' OR (percent IS NOT NULL AND amount_minor IS NULL AND currency IS NULL)),
    CHECK (discount_kind <> 'fixed' OR (percent IS NULL AND amount_minor IS NOT NULL AND currency IS NOT NULL)),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);
CREATE TRIGGER promo_code_set_updated_at BEFORE UPDATE ON promo_code
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX promo_code_batch ON promo_code (batch) WHERE batch IS NOT NULL;

-- A restriction: the code applies only to these products or categories
-- (no rows: to everything).
CREATE TABLE promo_code_product (
    promo_id    BIGINT NOT NULL REFERENCES promo_code (id) ON DELETE CASCADE,
    product_id  BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    PRIMARY KEY (promo_id, product_id)
);
CREATE TABLE promo_code_category (
    promo_id     BIGINT NOT NULL REFERENCES promo_code (id) ON DELETE CASCADE,
    category_id  BIGINT NOT NULL REFERENCES product_category (id) ON DELETE CASCADE,
    PRIMARY KEY (promo_id, category_id)
);

-- The gapless invoice number: one counter row per year, locked by the
-- transaction that issues the invoice, so a rolled-back checkout leaves no hole.
CREATE TABLE invoice_counter (
    year  INTEGER PRIMARY KEY CHECK (year BETWEEN 2000 AND 9999),
    last  INTEGER NOT NULL CHECK (last >= 0)
);

CREATE TABLE customer_order (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    product_id        BIGINT NOT NULL REFERENCES product (id) ON DELETE RESTRICT,
    -- What was bought, as it was when bought.
    product_kind      TEXT NOT NULL CHECK (product_kind IN ('vps', 'hosting', 'domain', 'digital', 'data_package', 'internet')),
    product_name      TEXT NOT NULL,
    cycle             TEXT NOT NULL CHECK (cycle IN ('one_time', 'monthly', 'quarterly', 'semi_annual', 'annual')),
    currency          TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    group_id          BIGINT NOT NULL REFERENCES customer_group (id) ON DELETE RESTRICT,
    region_id         BIGINT REFERENCES region (id) ON DELETE RESTRICT,
    os_template_id    BIGINT REFERENCES os_template (id) ON DELETE RESTRICT,
    domain_name       TEXT,
    phone             TEXT,
    unit_price_minor  BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    setup_fee_minor   BIGINT NOT NULL CHECK (setup_fee_minor >= 0),
    discount_minor    BIGINT NOT NULL CHECK (discount_minor >= 0),
    total_minor       BIGINT NOT NULL CHECK (total_minor >= 0),
    promo_id          BIGINT REFERENCES promo_code (id) ON DELETE RESTRICT,
    stock_item_id     BIGINT UNIQUE REFERENCES digital_stock_item (id) ON DELETE RESTRICT,
    status            TEXT NOT NULL DEFAULT 'pending_payment'
                      CHECK (status IN ('pending_payment', 'paid', 'provisioning', 'active', 'cancelled', 'failed')),
    -- Unpaid by then, the order is cancelled.
    pay_by            TIMESTAMPTZ NOT NULL,
    idempotency_key   TEXT CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
    -- A hash of the request a key was first used with: the same key with
    -- another request is refused, not answered with the first order.
    request_hash      BYTEA,
    -- The delivered digital item has been shown to the client.
    item_revealed_at  TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (user_id, idempotency_key),
    CHECK (discount_minor <= unit_price_minor + setup_fee_minor)
);
CREATE TRIGGER customer_order_set_updated_at BEFORE UPDATE ON customer_order
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX customer_order_user ON customer_order (user_id, id DESC);
CREATE INDEX customer_order_unpaid ON customer_order (pay_by) WHERE status = 'pending_payment';

-- Every order transition, with its time and cause.
CREATE TABLE order_event (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES customer_order (id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    cause        TEXT NOT NULL CHECK (length(cause) BETWEEN 1 AND 500),
    actor_id     UUID REFERENCES app_user (id) ON DELETE SET NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_event_order ON order_event (order_id, id);

-- A redemption of a promo code by an order; released when the order is
-- cancelled, which gives the use back.
CREATE TABLE promo_redemption (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    promo_id     BIGINT NOT NULL REFERENCES promo_code (id) ON DELETE CASCADE,
    user_id      UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    order_id     BIGINT NOT NULL UNIQUE REFERENCES customer_order (id) ON DELETE CASCADE,
    released_at  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX promo_redemption_user ON promo_redemption (promo_id, user_id) WHERE released_at IS NULL;

CREATE TABLE invoice (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              TEXT NOT NULL UNIQUE CHECK (number ~ '^INV-[0-9]{4}-[0-9]{6,}$'),
    user_id             UUID NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    purpose             TEXT NOT NULL CHECK (purpose IN ('order', 'top_up')),
    order_id            BIGINT UNIQUE REFERENCES customer_order (id) ON DELETE RESTRICT,
    currency            TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    subtotal_minor      BIGINT NOT NULL CHECK (subtotal_minor >= 0),
    discount_minor      BIGINT NOT NULL CHECK (discount_minor >= 0),
    tax_minor           BIGINT NOT NULL CHECK (tax_minor >= 0),
    total_minor         BIGINT NOT NULL CHECK (total_minor >= 0),
    tax_rate_bp         INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    prices_include_tax  BOOLEAN NOT NULL,
    amount_paid_minor   BIGINT NOT NULL DEFAULT 0 CHECK (amount_paid_minor >= 0),
    status              TEXT NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'paid', 'cancelled', 'refunded')),
    -- The buyer as the invoice names them (name, email, address lines), frozen at issue.
    buyer               JSONB NOT NULL,
    issued_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    due_at              TIMESTAMPTZ NOT NULL,
    paid_at             TIMESTAMPTZ,
    cancelled_at        TIMESTAMPTZ,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((purpose = 'order') = (order_id IS NOT NULL)),
    CHECK ((status = 'paid' OR status = 'refunded') = (paid_at IS NOT NULL)),
    CHECK (status <> 'paid' OR amount_paid_minor >= total_minor)
);
CREATE TRIGGER invoice_set_updated_at BEFORE UPDATE ON invoice
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX invoice_user ON invoice (user_id, id DESC);
CREATE INDEX invoice_status ON invoice (status, issued_at DESC);
CREATE INDEX invoice_issued ON invoice (issued_at DESC);

CREATE TABLE invoice_line (
    invoice_id   BIGINT NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
    position     SMALLINT NOT NULL CHECK (position >= 1),
    kind         TEXT NOT NULL CHECK (kind IN ('item', 'setup_fee', 'top_up')),
    description  TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 300),
    quantity     INTEGER NOT NULL CHECK (quantity >= 1),
    unit_minor   BIGINT NOT NULL CHECK (unit_minor >= 0),
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    PRIMARY KEY (invoice_id, position)
);

-- Gateway credentials and switches. Secrets are sealed (AES-256-GCM,
-- domain::sealing) under `key_id`; the API shows only whether each is set.
CREATE TABLE payment_gateway (
    gateway     TEXT PRIMARY KEY CHECK (gateway IN ('midtrans', 'xendit', 'pakasir', 'manual')),
    enabled     BOOLEAN NOT NULL DEFAULT false,
    -- Non-secret settings: base URLs, project slug, instructions.
    settings    JSONB NOT NULL DEFAULT '{}',
    key_id      TEXT,
    sealed      BYTEA,
    -- Names of the secrets that are set, with their last four characters, for the masked view.
    secret_hints JSONB NOT NULL DEFAULT '{}',
    updated_by  UUID REFERENCES app_user (id) ON DELETE SET NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((key_id IS NULL) = (sealed IS NULL))
);
CREATE TRIGGER payment_gateway_set_updated_at BEFORE UPDATE ON payment_gateway
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One try at paying an invoice through a gateway. `reference` is what we
-- sent the gateway as its order id; unique per gateway for good.
CREATE TABLE payment_attempt (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id         BIGINT NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    gateway            TEXT NOT NULL CHECK (gateway IN ('midtrans', 'xendit', 'pakasir', 'manual')),
    reference          TEXT NOT NULL,
    gateway_reference  TEXT,
    amount_minor       BIGINT NOT NULL CHECK (amount_minor > 0),
    currency           TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    status             TEXT NOT NULL DEFAULT 'creating'
                       CHECK (status IN ('creating', 'pending', 'paid', 'failed', 'cancelled', 'rejected')),
    redirect_url       TEXT,
    qr_string          TEXT,
    total_payable_minor BIGINT,
    expires_at         TIMESTAMPTZ,
    -- Manual transfer: the client's proof and finance's decision.
    proof_image        BYTEA,
    proof_content_type TEXT CHECK (proof_content_type IS NULL OR proof_content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    decision_note      TEXT CHECK (decision_note IS NULL OR length(decision_note) BETWEEN 1 AND 500),
    decided_by         UUID REFERENCES app_user (id) ON DELETE SET NULL,
    failure            TEXT,
    last_checked_at    TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (gateway, reference)
);
CREATE TRIGGER payment_attempt_set_updated_at BEFORE UPDATE ON payment_attempt
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX payment_attempt_invoice ON payment_attempt (invoice_id, id DESC);
CREATE UNIQUE INDEX payment_attempt_gateway_reference ON payment_attempt (gateway, gateway_reference) WHERE gateway_reference IS NOT NULL;
CREATE INDEX payment_attempt_pending ON payment_attempt (created_at) WHERE status = 'pending';

-- Money received. The unique key on the gateway's transaction id is what
-- makes a replayed notification, or the browser redirect racing the
-- webhook, one payment.
CREATE TABLE payment (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id              BIGINT NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    attempt_id              BIGINT REFERENCES payment_attempt (id) ON DELETE RESTRICT,
    method                  TEXT NOT NULL CHECK (method IN ('midtrans', 'xendit', 'pakasir', 'manual', 'wallet')),
    gateway_transaction_id  TEXT NOT NULL,
    amount_minor            BIGINT NOT NULL CHECK (amount_minor > 0),
    currency                TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    -- Applied to the invoice, credited to the wallet (over- or late payment),
    -- or held for finance (currency mismatch).
    outcome                 TEXT NOT NULL CHECK (outcome IN ('applied', 'partial', 'to_wallet', 'held')),
    payment_method_detail   TEXT,
    received_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (method, gateway_transaction_id)
);
CREATE INDEX payment_invoice ON payment (invoice_id);
CREATE INDEX payment_received ON payment (received_at DESC);

-- Every notification a gateway sent, once per event key; the outcome says
-- what it did.
CREATE TABLE gateway_event (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gateway      TEXT NOT NULL,
    event_key    TEXT NOT NULL,
    reference    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (gateway, event_key)
);

-- What finance must look at: a payment that did not match its invoice.
CREATE TABLE payment_flag (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id   BIGINT NOT NULL REFERENCES invoice (id) ON DELETE CASCADE,
    payment_id   BIGINT REFERENCES payment (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('partial_payment', 'overpayment', 'currency_mismatch', 'late_payment', 'duplicate_payment', 'gateway_reversal')),
    detail       TEXT NOT NULL,
    resolved_at  TIMESTAMPTZ,
    resolved_by  UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payment_flag_open ON payment_flag (created_at DESC) WHERE resolved_at IS NULL;

-- The ledger: double entry, signed amounts, every transaction sums to zero.
-- A client's wallet is an account whose balance may never go below zero.
CREATE TABLE ledger_account (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- client_wallet: what the shop owes a client; gateway: money that came
    -- in through a gateway; revenue: what was sold; payout: refunds paid out.
    kind           TEXT NOT NULL CHECK (kind IN ('client_wallet', 'gateway', 'revenue', 'payout')),
    user_id        UUID REFERENCES app_user (id) ON DELETE RESTRICT,
    gateway        TEXT,
    currency       TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    balance_minor  BIGINT NOT NULL DEFAULT 0,
    CHECK (kind <> 'client_wallet' OR balance_minor >= 0),
    CHECK ((kind = 'client_wallet') = (user_id IS NOT NULL)),
    CHECK ((kind = 'gateway') = (gateway IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (kind, user_id, gateway, currency)
);

CREATE TABLE ledger_transaction (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('invoice_payment', 'top_up', 'wallet_payment', 'overpayment', 'refund_to_wallet', 'refund_paid_out')),
    invoice_id  BIGINT REFERENCES invoice (id) ON DELETE RESTRICT,
    payment_id  BIGINT REFERENCES payment (id) ON DELETE RESTRICT,
    memo        TEXT NOT NULL DEFAULT '',
    actor_id    UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entry (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  BIGINT NOT NULL REFERENCES ledger_transaction (id) ON DELETE RESTRICT,
    account_id      BIGINT NOT NULL REFERENCES ledger_account (id) ON DELETE RESTRICT,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor <> 0),
    balance_after   BIGINT NOT NULL
);
CREATE INDEX ledger_entry_account ON ledger_entry (account_id, id DESC);
CREATE INDEX ledger_entry_transaction ON ledger_entry (transaction_id);

-- Checked at commit: a transaction whose entries do not sum to zero, or
-- that mixes currencies, cannot be written.
CREATE FUNCTION ledger_transaction_balances() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unbalanced BIGINT;
BEGIN
    SELECT t.id INTO unbalanced
      FROM (SELECT DISTINCT transaction_id AS id FROM new_entries) t
      JOIN ledger_entry e ON e.transaction_id = t.id
      JOIN ledger_account a ON a.id = e.account_id
     GROUP BY t.id
    HAVING sum(e.amount_minor) <> 0 OR count(DISTINCT a.currency) <> 1
     LIMIT 1;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_balances();

-- A refund: a credit note against a paid invoice (never an edit of it),
-- to the client's wallet or paid out by finance outside the shop.
CREATE TABLE credit_note (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id      BIGINT NOT NULL REFERENCES invoice (id) ON DELETE RESTRICT,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    currency        TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    destination     TEXT NOT NULL CHECK (destination IN ('wallet', 'paid_out')),
    reason          TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    transaction_id  BIGINT NOT NULL REFERENCES ledger_transaction (id) ON DELETE RESTRICT,
    created_by      UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX credit_note_invoice ON credit_note (invoice_id);
