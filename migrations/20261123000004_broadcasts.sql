-- Broadcasts: one message to every recipient of a channel, with a row per
-- recipient recording its delivery, so a restart resumes where it stopped
-- and nobody receives the message twice.

CREATE TABLE broadcast (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'telegram')),
    subject      TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    photo_url    TEXT,
    status       TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'cancelled')),
    created_by   UUID REFERENCES app_user (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ
);

CREATE TABLE broadcast_recipient (
    broadcast_id  BIGINT NOT NULL REFERENCES broadcast (id) ON DELETE CASCADE,
    recipient     TEXT NOT NULL,
    -- 'sending' is held only while a send is in flight; a row found in it
    -- after a crash becomes 'unknown' (maybe delivered) and is never resent.
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'unknown', 'skipped')),
    error         TEXT,
    sent_at       TIMESTAMPTZ,
    PRIMARY KEY (broadcast_id, recipient)
);
CREATE INDEX broadcast_recipient_pending_idx ON broadcast_recipient (broadcast_id) WHERE status = 'pending';
