-- Telegram chats the shop sends to: staff chats the owner configures, and
-- (later) clients' linked chats. A chat that blocked the bot is marked and
-- skipped from then on.
CREATE TABLE telegram_chat (
    chat_id     BIGINT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('staff', 'client')),
    label       TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    user_id     UUID REFERENCES app_user (id) ON DELETE CASCADE,
    blocked_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
