-- Provisioning: what a paid order becomes (a service), the integrations it
-- is delivered on (Proxmox VE clusters, WHM servers), their synced nodes,
-- templates and packages, IP pools, and the durable record of every
-- delivery and action run, step by step.

-- Billing's view of a sold subscription. Billing creates it in the
-- transaction that marks the order paid (next to the delivery job);
-- provisioning moves it to active, suspended or terminated. The lifecycle
-- adds its due dates.
CREATE TABLE service (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     BIGINT NOT NULL UNIQUE REFERENCES customer_order (id) ON DELETE RESTRICT,
    user_id      UUID NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    product_id   BIGINT NOT NULL REFERENCES product (id) ON DELETE RESTRICT,
    kind         TEXT NOT NULL CHECK (kind IN ('vps', 'hosting', 'domain', 'internet')),
    label        TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'active', 'suspended', 'terminated', 'cancelled', 'failed')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER service_set_updated_at BEFORE UPDATE ON service
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE INDEX service_user ON service (user_id, id DESC);

-- A Proxmox VE cluster or a WHM server. The secret (API token secret or
-- password) is sealed with domain::Sealer; `secret_key_id` names the key.
CREATE TABLE integration (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('proxmox', 'whm')),
    name                TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    base_url            TEXT NOT NULL CHECK (base_url ~ '^https?://[^\s/]+(:[0-9]{1,5})?/?$'),
    -- Proxmox: `token` (username = user@realm!tokenid) or `password`
    -- (username = user@realm). WHM: always `token`.
    auth_mode           TEXT NOT NULL CHECK (auth_mode IN ('token', 'password')),
    username            TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 120),
    secret_key_id       TEXT NOT NULL,
    secret_sealed       BYTEA NOT NULL,
    -- The last characters of the secret, shown masked.
    secret_hint         TEXT NOT NULL,
    -- SHA-256 of the server's certificate, pinned for self-signed ones.
    tls_fingerprint     TEXT CHECK (tls_fingerprint ~ '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'),
    active              BOOLEAN NOT NULL DEFAULT true,
    last_test_at        TIMESTAMPTZ,
    last_test_ok        BOOLEAN,
    last_test_message   TEXT,
    last_test_latency_ms INTEGER,
    synced_at           TIMESTAMPTZ,
    sync_error          TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind = 'proxmox' OR auth_mode = 'token')
);
CREATE TRIGGER integration_set_updated_at BEFORE UPDATE ON integration
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Proxmox nodes as last synced; a node serves one region (or none yet).
CREATE TABLE pve_node (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id  BIGINT NOT NULL REFERENCES integration (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    region_id       BIGINT REFERENCES region (id) ON DELETE SET NULL,
    online          BOOLEAN NOT NULL,
    cpu_fraction    DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (cpu_fraction >= 0),
    max_cpu         INTEGER NOT NULL DEFAULT 0 CHECK (max_cpu >= 0),
    mem_bytes       BIGINT NOT NULL DEFAULT 0 CHECK (mem_bytes >= 0),
    max_mem_bytes   BIGINT NOT NULL DEFAULT 0 CHECK (max_mem_bytes >= 0),
    disk_bytes      BIGINT NOT NULL DEFAULT 0 CHECK (disk_bytes >= 0),
    max_disk_bytes  BIGINT NOT NULL DEFAULT 0 CHECK (max_disk_bytes >= 0),
    -- Sysadmin can keep a node out of new placements (maintenance, full).
    accepts_new     BOOLEAN NOT NULL DEFAULT true,
    -- Gone from the cluster at the last sync: kept for the VMs on it.
    present         BOOLEAN NOT NULL DEFAULT true,
    synced_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, name)
);
CREATE INDEX pve_node_region ON pve_node (region_id) WHERE region_id IS NOT NULL;

-- Proxmox templates (qemu with template=1) and the catalog OS template each
-- one installs.
CREATE TABLE pve_template (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id  BIGINT NOT NULL REFERENCES integration (id) ON DELETE CASCADE,
    node            TEXT NOT NULL,
    vmid            INTEGER NOT NULL CHECK (vmid BETWEEN 100 AND 999999999),
    name            TEXT NOT NULL,
    os_template_id  BIGINT REFERENCES os_template (id) ON DELETE SET NULL,
    present         BOOLEAN NOT NULL DEFAULT true,
    synced_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, node, vmid)
);
CREATE INDEX pve_template_os ON pve_template (os_template_id) WHERE os_template_id IS NOT NULL;

CREATE TABLE whm_package (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id  BIGINT NOT NULL REFERENCES integration (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    quota_mb        BIGINT,
    bandwidth_mb    BIGINT,
    present         BOOLEAN NOT NULL DEFAULT true,
    synced_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, name)
);

-- An IPv4 range of one region. Its usable addresses are rows of
-- ip_address (network, broadcast, gateway and excluded ones never are), so
-- allocation is one UPDATE … SKIP LOCKED.
CREATE TABLE ip_pool (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    region_id         BIGINT NOT NULL REFERENCES region (id) ON DELETE RESTRICT,
    network           CIDR NOT NULL CHECK (family(network) = 4 AND masklen(network) BETWEEN 16 AND 30),
    gateway           INET NOT NULL CHECK (family(gateway) = 4),
    nameservers       INET[] NOT NULL DEFAULT '{}',
    excluded          INET[] NOT NULL DEFAULT '{}',
    -- A released address waits this long before it is handed out again.
    quarantine_hours  INTEGER NOT NULL DEFAULT 72 CHECK (quarantine_hours BETWEEN 0 AND 8760),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (gateway << network)
);
CREATE INDEX ip_pool_region ON ip_pool (region_id);

CREATE TABLE ip_address (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pool_id            BIGINT NOT NULL REFERENCES ip_pool (id) ON DELETE CASCADE,
    address            INET NOT NULL UNIQUE,
    status             TEXT NOT NULL DEFAULT 'free'
                       CHECK (status IN ('free', 'reserved', 'used', 'quarantined')),
    service_id         BIGINT REFERENCES service (id) ON DELETE SET NULL,
    quarantined_until  TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status IN ('reserved', 'used')) = (service_id IS NOT NULL)),
    CHECK ((status = 'quarantined') = (quarantined_until IS NOT NULL))
);
CREATE TRIGGER ip_address_set_updated_at BEFORE UPDATE ON ip_address
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- One address per service, whatever races.
CREATE UNIQUE INDEX ip_address_one_per_service ON ip_address (service_id) WHERE service_id IS NOT NULL;
CREATE INDEX ip_address_available ON ip_address (pool_id, address) WHERE status IN ('free', 'quarantined');

-- The virtual server behind a VPS service, filled in step by step.
CREATE TABLE vps_instance (
    service_id        BIGINT PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
    -- Deterministic, so a retry finds the VM it made before it knew the id.
    vm_name           TEXT NOT NULL UNIQUE,
    region_id         BIGINT NOT NULL REFERENCES region (id) ON DELETE RESTRICT,
    os_template_id    BIGINT NOT NULL REFERENCES os_template (id) ON DELETE RESTRICT,
    cores             INTEGER NOT NULL CHECK (cores > 0),
    ram_mb            INTEGER NOT NULL CHECK (ram_mb > 0),
    disk_gb           INTEGER NOT NULL CHECK (disk_gb > 0),
    rate_limit_mbps   INTEGER CHECK (rate_limit_mbps > 0),
    integration_id    BIGINT REFERENCES integration (id) ON DELETE RESTRICT,
    node              TEXT,
    template_vmid     INTEGER,
    vmid              INTEGER,
    -- When the node was chosen: placements newer than the node's last
    -- sync are not in its synced usage yet, so they are added to it.
    placed_at         TIMESTAMPTZ,
    ip_address_id     BIGINT REFERENCES ip_address (id) ON DELETE SET NULL,
    login_user        TEXT NOT NULL,
    password_key_id   TEXT NOT NULL,
    password_sealed   BYTEA NOT NULL,
    -- The client has seen the password once; it is not shown again.
    password_shown_at TIMESTAMPTZ,
    ssh_keys          TEXT,
    power_state       TEXT NOT NULL DEFAULT 'unknown'
                      CHECK (power_state IN ('unknown', 'running', 'stopped', 'paused', 'absent')),
    power_checked_at  TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, vmid)
);
CREATE TRIGGER vps_instance_set_updated_at BEFORE UPDATE ON vps_instance
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE hosting_account (
    service_id        BIGINT PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
    domain            TEXT NOT NULL,
    package           TEXT NOT NULL,
    integration_id    BIGINT REFERENCES integration (id) ON DELETE RESTRICT,
    username          TEXT,
    password_key_id   TEXT NOT NULL,
    password_sealed   BYTEA NOT NULL,
    password_shown_at TIMESTAMPTZ,
    ip                TEXT,
    nameservers       TEXT[] NOT NULL DEFAULT '{}',
    suspended         BOOLEAN NOT NULL DEFAULT false,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (integration_id, username)
);
CREATE TRIGGER hosting_account_set_updated_at BEFORE UPDATE ON hosting_account
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE domain_registration (
    service_id          BIGINT PRIMARY KEY REFERENCES service (id) ON DELETE CASCADE,
    domain              TEXT NOT NULL,
    years               SMALLINT NOT NULL CHECK (years BETWEEN 1 AND 10),
    nameservers         TEXT[] NOT NULL DEFAULT '{}',
    registrar           TEXT NOT NULL,
    registrar_order_id  TEXT,
    expires_at          TIMESTAMPTZ,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER domain_registration_set_updated_at BEFORE UPDATE ON domain_registration
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
-- One live registration per name.
CREATE UNIQUE INDEX domain_registration_domain ON domain_registration (lower(domain));

-- One delivery or action on a service, run as a job, step by step. At most
-- one runs per service at a time.
CREATE TABLE provisioning_run (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id    BIGINT NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    action        TEXT NOT NULL CHECK (action IN ('deliver', 'start', 'stop', 'reboot', 'reinstall',
                      'reset_password', 'suspend', 'unsuspend', 'terminate', 'change_package',
                      'move_node')),
    status        TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    params        JSONB NOT NULL DEFAULT '{}',
    requested_by  UUID REFERENCES app_user (id) ON DELETE SET NULL,
    error         TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE UNIQUE INDEX provisioning_run_one_running ON provisioning_run (service_id) WHERE status = 'running';
CREATE INDEX provisioning_run_service ON provisioning_run (service_id, id DESC);
CREATE INDEX provisioning_run_recent ON provisioning_run (id DESC);

-- Every step of a run: started, then done or failed. A resumed run skips
-- the steps already done.
CREATE TABLE provisioning_step (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       BIGINT NOT NULL REFERENCES provisioning_run (id) ON DELETE CASCADE,
    step         TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('started', 'done', 'failed')),
    detail       TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ
);
CREATE INDEX provisioning_step_run ON provisioning_step (run_id, id);
CREATE UNIQUE INDEX provisioning_step_done_once ON provisioning_step (run_id, step) WHERE status = 'done';
