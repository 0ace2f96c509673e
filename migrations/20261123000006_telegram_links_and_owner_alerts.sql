-- Clients link their Telegram account with a one-time code carried by a
-- deep link (t.me/<bot>?start=<code>); the bot reads `/start <code>` from
-- getUpdates. Only a hash of the code is stored.
CREATE TABLE telegram_link_code (
    code_hash   BYTEA PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX telegram_link_code_user_idx ON telegram_link_code (user_id);

-- One linked chat per client; linking another chat replaces it.
CREATE UNIQUE INDEX telegram_chat_client_user_idx ON telegram_chat (user_id) WHERE kind = 'client';

-- Staff chats that receive the owner's alerts.
ALTER TABLE telegram_chat ADD COLUMN receives_alerts BOOLEAN NOT NULL DEFAULT false;

-- Where getUpdates continues: the update after the last one handled.
CREATE TABLE telegram_poll_state (
    id              BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    next_update_id  BIGINT NOT NULL DEFAULT 0,
    polled_at       TIMESTAMPTZ
);
INSERT INTO telegram_poll_state DEFAULT VALUES;

-- Alerts for the owner: errors at or above the configured level and
-- important changes. The first few of each minute are sent one by one; the
-- rest are held and sent as one summary when the minute ends.
CREATE TABLE owner_alert (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('error', 'change')),
    source        TEXT NOT NULL,
    title         TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    detail        TEXT NOT NULL DEFAULT '',
    delivery      TEXT NOT NULL CHECK (delivery IN ('sent', 'held', 'summarised')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX owner_alert_held_idx ON owner_alert (created_at) WHERE delivery = 'held';
CREATE INDEX owner_alert_recent_idx ON owner_alert (created_at DESC);
