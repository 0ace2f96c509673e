-- Excel import that never destroys and scales (issue 10).
--
-- 1. A host is the same host whatever the case or surrounding spaces of its
--    name: the identity becomes (lower(btrim(name)), address, port). Rows that
--    already clash under that rule keep everything; the later ones get their
--    id appended to the name so the unique index can be built.
UPDATE monitored_host h
SET name = left(btrim(h.name), 180) || ' #' || h.id
WHERE EXISTS (
    SELECT 1 FROM monitored_host o
    WHERE o.id < h.id
      AND lower(btrim(o.name)) = lower(btrim(h.name))
      AND o.address = h.address
      AND o.port = h.port
);
CREATE UNIQUE INDEX monitored_host_identity_key
    ON monitored_host (lower(btrim(name)), address, port);
-- Implied by the new index; one unique check per write instead of two.
ALTER TABLE monitored_host DROP CONSTRAINT monitored_host_name_address_port_key;

-- 2. A preview keeps its summary only; its rows live in the two tables below,
--    one row per sheet row, so the upload answers with a page and the server
--    never holds (or stores) the whole preview as one value. Unconfirmed
--    previews are disposable (an hour at most), so the row tables are
--    UNLOGGED: no WAL for 150,000-row uploads; after a crash they are empty
--    and the user uploads again.
DELETE FROM import_preview;
ALTER TABLE import_preview DROP COLUMN preview;
ALTER TABLE import_preview ADD COLUMN summary JSONB NOT NULL;

CREATE UNLOGGED TABLE import_host_row (
    import_id       UUID NOT NULL REFERENCES import_preview (id) ON DELETE CASCADE,
    -- Order in the workbook: sheet order, then row order.
    seq             INTEGER NOT NULL,
    sheet           TEXT NOT NULL,
    row_number      INTEGER NOT NULL,
    name            TEXT,
    address         TEXT,
    port            INTEGER,
    expires_on      DATE,
    price_minor     BIGINT,
    -- Null when the row does not say (a re-import keeps the stored one).
    currency        TEXT,
    -- The row's problems (JSON array); null when it can be imported.
    problems        JSONB,
    status          TEXT NOT NULL CHECK (status IN ('new', 'update', 'unchanged', 'invalid')),
    -- For `update`: the fields that change, and the stored values.
    changed         TEXT[],
    host_id         BIGINT,
    old_name        TEXT,
    old_expires_on  DATE,
    old_price_minor BIGINT,
    old_currency    TEXT,
    PRIMARY KEY (import_id, seq)
);

CREATE UNLOGGED TABLE import_sale_row (
    import_id           UUID NOT NULL REFERENCES import_preview (id) ON DELETE CASCADE,
    seq                 INTEGER NOT NULL,
    sheet               TEXT NOT NULL,
    row_number          INTEGER NOT NULL,
    sold_on             DATE,
    name                TEXT,
    merchant            TEXT,
    item_type           TEXT,
    qty                 INTEGER,
    price_minor         BIGINT,
    currency            TEXT,
    problems            JSONB,
    -- An identical row earlier in the same file.
    repeats_in_file     BOOLEAN NOT NULL DEFAULT false,
    status              TEXT NOT NULL CHECK (status IN ('new', 'duplicate', 'invalid')),
    PRIMARY KEY (import_id, seq)
);

-- Finding an account sale identical to an imported row.
CREATE INDEX sale_account_identity_idx ON sale (sold_on, name) WHERE kind = 'account';
