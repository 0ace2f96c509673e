-- ISP customers on MikroTik routers (SPEC C7, seed 004): the routers the
-- shop's PPPoE customers dial into, the customers with their coordinates and
-- plan, and the status the sync reads from `/ppp/active/print`.

CREATE TABLE isp_router (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    -- A host name or an IP literal, validated by the application.
    host                    TEXT NOT NULL CHECK (length(host) BETWEEN 1 AND 253),
    port                    INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    -- `api` (8728), `api_tls` (8729) or `rest` (RouterOS v7 www-ssl).
    transport               TEXT NOT NULL CHECK (transport IN ('api', 'api_tls', 'rest')),
    -- SHA-256 of the router's self-signed certificate, pinned.
    tls_fingerprint         TEXT CHECK (tls_fingerprint ~ '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'),
    username                TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 120),
    password_key_id         TEXT NOT NULL,
    password_sealed         BYTEA NOT NULL,
    -- The last characters of the password, shown masked.
    password_hint           TEXT NOT NULL,
    sync_enabled            BOOLEAN NOT NULL DEFAULT true,
    sync_interval_seconds   INTEGER NOT NULL DEFAULT 120 CHECK (sync_interval_seconds BETWEEN 30 AND 86400),
    -- Isolation (isolir) of customers whose internet service is suspended:
    -- off, disable the PPP secret, or move it to an isolation profile.
    isolation_mode          TEXT NOT NULL DEFAULT 'off' CHECK (isolation_mode IN ('off', 'disable', 'profile')),
    isolation_profile       TEXT CHECK (length(isolation_profile) BETWEEN 1 AND 64),
    note                    TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    -- The sync's lease: whoever holds it (a replica, until the time) syncs
    -- this router; no other replica starts a second sync meanwhile.
    sync_lease_owner        TEXT,
    sync_lease_until        TIMESTAMPTZ,
    next_sync_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_sync_at            TIMESTAMPTZ,
    last_sync_ok            BOOLEAN,
    last_sync_duration_ms   INTEGER,
    last_sync_message       TEXT,
    last_active_connections INTEGER,
    last_customers_online   INTEGER,
    -- What "Test connection" (or the last good sync) read off the router.
    identity                TEXT,
    version                 TEXT,
    last_test_at            TIMESTAMPTZ,
    last_test_ok            BOOLEAN,
    last_test_message       TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (isolation_mode <> 'profile' OR isolation_profile IS NOT NULL),
    CHECK (transport = 'api' OR tls_fingerprint IS NULL OR transport IN ('api_tls', 'rest'))
);
CREATE TRIGGER isp_router_set_updated_at BEFORE UPDATE ON isp_router
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX isp_router_due ON isp_router (next_sync_at) WHERE sync_enabled;

CREATE TABLE isp_customer (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Empty means not set up yet: such a customer is never online.
    pppoe_username          TEXT NOT NULL DEFAULT '' CHECK (length(pppoe_username) <= 64),
    address                 TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    phone                   TEXT NOT NULL DEFAULT '' CHECK (length(phone) <= 32),
    latitude                DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    longitude               DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    product_id              BIGINT REFERENCES product (id) ON DELETE RESTRICT,
    router_id               BIGINT REFERENCES isp_router (id) ON DELETE RESTRICT,
    -- The client account and the billing service this line is sold as.
    user_id                 UUID REFERENCES app_user (id) ON DELETE SET NULL,
    service_id              BIGINT UNIQUE REFERENCES service (id) ON DELETE SET NULL,
    note                    TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    connection              TEXT NOT NULL DEFAULT 'offline' CHECK (connection IN ('online', 'offline')),
    -- The router could not be read at the last sync: the status is the last
    -- one known, not a fresh reading.
    stale                   BOOLEAN NOT NULL DEFAULT false,
    session_address         TEXT,
    session_caller_id       TEXT,
    -- Login time of the live session (the sync reads an uptime).
    session_started_at      TIMESTAMPTZ,
    last_seen_at            TIMESTAMPTZ,
    connection_changed_at   TIMESTAMPTZ,
    isolated                BOOLEAN NOT NULL DEFAULT false,
    isolated_at             TIMESTAMPTZ,
    -- The PPP profile before an isolation that moved the secret, restored
    -- on payment.
    profile_before_isolation TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER isp_customer_set_updated_at BEFORE UPDATE ON isp_customer
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- RouterOS names are unique per router; matching is case-insensitive.
CREATE UNIQUE INDEX isp_customer_pppoe ON isp_customer (router_id, lower(pppoe_username))
    WHERE pppoe_username <> '';
CREATE INDEX isp_customer_router ON isp_customer (router_id, connection);
CREATE INDEX isp_customer_name ON isp_customer (lower(name));

-- Every sync, for the router page's log.
CREATE TABLE isp_router_sync (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    router_id               BIGINT NOT NULL REFERENCES isp_router (id) ON DELETE CASCADE,
    started_at              TIMESTAMPTZ NOT NULL,
    duration_ms             INTEGER NOT NULL,
    trigger                 TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    ok                      BOOLEAN NOT NULL,
    active_connections      INTEGER,
    customers_online        INTEGER,
    went_online             INTEGER,
    went_offline            INTEGER,
    message                 TEXT NOT NULL
);
CREATE INDEX isp_router_sync_recent ON isp_router_sync (router_id, started_at DESC);

-- Isolations and restorations, whoever asked for them.
CREATE TABLE isp_customer_event (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id             BIGINT NOT NULL REFERENCES isp_customer (id) ON DELETE CASCADE,
    action                  TEXT NOT NULL CHECK (action IN ('isolate', 'restore')),
    -- `lifecycle` (the billing automation) or `staff`.
    cause                   TEXT NOT NULL CHECK (cause IN ('lifecycle', 'staff')),
    actor_id                UUID,
    detail                  TEXT NOT NULL,
    at                      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX isp_customer_event_customer ON isp_customer_event (customer_id, at DESC);

-- Customer imports, staged like the hosts import: the preview is the rows,
-- the confirm writes them.
CREATE TABLE isp_customer_import (
    id                      UUID PRIMARY KEY,
    created_by              UUID,
    file_name               TEXT NOT NULL,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at            TIMESTAMPTZ,
    rows                    JSONB NOT NULL
);
