-- Accounts, sessions (refresh-token families), personal API tokens, staff
-- invitations and the audit log. Emails are stored lower-cased; roles are a
-- checked text array because a user has few and they are read on every login.

CREATE TABLE app_user (
    id                   UUID PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash        TEXT,
    email_verified_at    TIMESTAMPTZ,
    roles                TEXT[] NOT NULL DEFAULT ARRAY['client']
                         CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['client', 'reseller', 'sysadmin', 'business', 'finance', 'owner']),
    status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'invited')),
    otp_enabled          BOOLEAN NOT NULL DEFAULT false,
    failed_login_count   INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until         TIMESTAMPTZ,
    last_login_at        TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status = 'invited' OR password_hash IS NOT NULL)
);
CREATE TRIGGER app_user_set_updated_at BEFORE UPDATE ON app_user
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE user_profile (
    user_id     UUID PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    full_name   TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    phone       TEXT CHECK (phone ~ '^\+62[0-9]{8,13}$'),
    company     TEXT CHECK (company IS NULL OR length(company) BETWEEN 1 AND 200),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER user_profile_set_updated_at BEFORE UPDATE ON user_profile
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE billing_address (
    user_id      UUID PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    line1        TEXT NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2        TEXT CHECK (line2 IS NULL OR length(line2) <= 200),
    city         TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    province     TEXT NOT NULL CHECK (length(province) BETWEEN 1 AND 100),
    postal_code  TEXT NOT NULL CHECK (postal_code ~ '^[0-9]{5}$'),
    country      TEXT NOT NULL DEFAULT 'ID' CHECK (country ~ '^[A-Z]{2}$'),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER billing_address_set_updated_at BEFORE UPDATE ON billing_address
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A login: the family of refresh tokens issued from it. Revoking the session
-- revokes every token of the family.
CREATE TABLE auth_session (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    user_agent      TEXT,
    ip              TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ,
    revoked_reason  TEXT
);
CREATE INDEX auth_session_user_idx ON auth_session (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are stored as SHA-256 hashes. A token is used once: using it
-- rotates it (used_at set, a successor issued); presenting a used token again
-- means it was stolen, and the whole session is revoked.
CREATE TABLE refresh_token (
    token_hash  BYTEA PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES auth_session (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at     TIMESTAMPTZ
);
CREATE INDEX refresh_token_session_idx ON refresh_token (session_id);

CREATE TABLE api_token (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix        TEXT NOT NULL,
    token_hash    BYTEA NOT NULL UNIQUE,
    roles         TEXT[] NOT NULL CHECK (cardinality(roles) > 0),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    expires_at    TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_token_user_idx ON api_token (user_id);

CREATE TABLE staff_invitation (
    token_hash   BYTEA PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    invited_by   UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ
);

-- Every change staff make to data: who, when, what, before and after.
CREATE TABLE audit_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id     UUID REFERENCES app_user (id) ON DELETE SET NULL,
    actor_email  TEXT,
    action       TEXT NOT NULL CHECK (action <> ''),
    entity_type  TEXT NOT NULL CHECK (entity_type <> ''),
    entity_id    TEXT NOT NULL,
    before       JSONB,
    after        JSONB,
    ip           TEXT,
    request_id   TEXT
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id);
