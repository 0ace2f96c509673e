-- Monitored hosts (VPS/RDP sold outside the catalog or linked to a
-- service), their check state, compact history, maintenance windows, the
-- sales book and spreadsheet import previews.

CREATE TABLE monitored_host (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- An IP literal or a DNS name, validated by the application.
    address                 TEXT NOT NULL CHECK (length(address) BETWEEN 1 AND 253),
    port                    INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    expires_on              DATE,
    price_minor             BIGINT CHECK (price_minor >= 0),
    currency                TEXT NOT NULL DEFAULT 'IDR' CHECK (currency IN ('IDR', 'USD')),
    notes                   TEXT NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    customer_id             UUID REFERENCES app_user (id) ON DELETE SET NULL,
    -- The catalog's service, once services exist.
    service_id              BIGINT,
    is_public               BOOLEAN NOT NULL DEFAULT false,
    check_interval_seconds  INTEGER NOT NULL DEFAULT 300 CHECK (check_interval_seconds BETWEEN 30 AND 86400),
    failures_before_down    INTEGER NOT NULL DEFAULT 2 CHECK (failures_before_down BETWEEN 1 AND 10),
    -- Repeat the DOWN message every so many minutes while down; null: once.
    renotify_minutes        INTEGER CHECK (renotify_minutes BETWEEN 5 AND 10080),

    status                  TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'up', 'down')),
    consecutive_failures    INTEGER NOT NULL DEFAULT 0,
    last_checked_at         TIMESTAMPTZ,
    last_latency_ms         INTEGER,
    last_error              TEXT,
    status_changed_at       TIMESTAMPTZ,
    -- When the host is due; a replica claims due hosts in batches until
    -- `claimed_until`, so each check runs on exactly one replica and a dead
    -- replica's claims lapse.
    next_check_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_by              TEXT,
    claimed_until           TIMESTAMPTZ,
    down_notified_at        TIMESTAMPTZ,
    -- The seed's `notified` flag: set when the expiry message went out,
    -- reset when the date is renewed.
    expiry_notified         BOOLEAN NOT NULL DEFAULT false,
    -- The smallest "days before expiry" warning sent for the current date.
    expiry_warned_days      INTEGER,

    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (name, address, port)
);
CREATE INDEX monitored_host_due_idx ON monitored_host (next_check_at);
CREATE INDEX monitored_host_public_idx ON monitored_host (name) WHERE is_public;
CREATE TRIGGER monitored_host_set_updated_at BEFORE UPDATE ON monitored_host
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per state change, never per check.
CREATE TABLE host_state_change (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id      BIGINT NOT NULL REFERENCES monitored_host (id) ON DELETE CASCADE,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    reason       TEXT,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX host_state_change_host_idx ON host_state_change (host_id, at DESC);

-- Per host and hour: how many checks, how many up, latency sum of the up
-- ones. Uptime percentages come from here.
CREATE TABLE host_check_hourly (
    host_id         BIGINT NOT NULL REFERENCES monitored_host (id) ON DELETE CASCADE,
    hour            TIMESTAMPTZ NOT NULL,
    checks          INTEGER NOT NULL,
    up_checks       INTEGER NOT NULL,
    latency_sum_ms  BIGINT NOT NULL,
    PRIMARY KEY (host_id, hour)
);
CREATE INDEX host_check_hourly_hour_idx ON host_check_hourly (hour);

CREATE TABLE maintenance_window (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id    BIGINT NOT NULL REFERENCES monitored_host (id) ON DELETE CASCADE,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    reason     TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_window_host_idx ON maintenance_window (host_id, ends_at);

-- Checker-wide state shared by replicas: whether the canary (the checker's
-- own network) is failing, so "offline" is announced once.
CREATE TABLE monitor_state (
    id                 BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    network_down_since TIMESTAMPTZ
);
INSERT INTO monitor_state DEFAULT VALUES;

-- The sales book: hosts sold (recorded when a host is added) and accounts.
CREATE TABLE sale (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('host', 'account')),
    sold_on      DATE NOT NULL,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    merchant     TEXT NOT NULL DEFAULT '' CHECK (length(merchant) <= 200),
    item_type    TEXT NOT NULL DEFAULT '' CHECK (length(item_type) <= 100),
    qty          INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0),
    price_minor  BIGINT NOT NULL CHECK (price_minor >= 0),
    currency     TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    host_id      BIGINT REFERENCES monitored_host (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sale_sold_on_idx ON sale (sold_on DESC, id DESC);

-- An uploaded workbook's preview, kept until confirmed, cancelled or expired.
CREATE TABLE import_preview (
    id          UUID PRIMARY KEY,
    created_by  UUID REFERENCES app_user (id) ON DELETE CASCADE,
    file_name   TEXT NOT NULL,
    preview     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);

-- The shop's calendar day (Indonesia, WIB): expiry dates and days left are
-- counted in it, whatever the server's time zone.
CREATE FUNCTION shop_today() RETURNS DATE AS $$
    SELECT (now() AT TIME ZONE 'Asia/Jakarta')::date
$$ LANGUAGE sql STABLE;
