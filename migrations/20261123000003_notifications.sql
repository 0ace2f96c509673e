-- Message templates (append-only versions: the newest version of an event
-- and language is the one in use; rolling back adds a copy of an older one)
-- and the outbox of messages waiting to be delivered by jobs.

CREATE TABLE message_template_version (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event       TEXT NOT NULL CHECK (event <> ''),
    language    TEXT NOT NULL CHECK (language IN ('id', 'en')),
    subject     TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 8000),
    -- 'edit', 'rollback' (copy of an earlier version) or 'default' (copy of the built-in text).
    source      TEXT NOT NULL CHECK (source IN ('edit', 'rollback', 'default')),
    created_by  UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX message_template_version_current_idx ON message_template_version (event, language, id DESC);

CREATE TABLE outbox_message (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'telegram')),
    recipient    TEXT NOT NULL CHECK (recipient <> ''),
    event        TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead', 'blocked')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at      TIMESTAMPTZ
);
CREATE INDEX outbox_message_status_idx ON outbox_message (status, id DESC);
CREATE TRIGGER outbox_message_set_updated_at BEFORE UPDATE ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
