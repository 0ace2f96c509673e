-- The shop's monitoring settings, one row. `new_hosts_public`: hosts added
-- by hand or imported appear on the public status page unless told
-- otherwise (seed 000's dashboard listed every VPS).
CREATE TABLE monitor_settings (
    id               BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    new_hosts_public BOOLEAN NOT NULL DEFAULT true
);
INSERT INTO monitor_settings DEFAULT VALUES;

-- The shop's calendar day in the zone SHOP_TIMEZONE names. The application
-- sets `juragan.shop_timezone` on every connection of its pool (after
-- connect), so SQL and Rust agree on "today"; a session without it (psql,
-- a test's own pool) gets the default zone. Code that must follow an
-- injected clock passes the day from Rust instead of calling this.
CREATE OR REPLACE FUNCTION shop_today() RETURNS DATE AS $$
    SELECT (now() AT TIME ZONE coalesce(nullif(current_setting('juragan.shop_timezone', true), ''), 'Asia/Jakarta'))::date
$$ LANGUAGE sql STABLE;
