-- Durable job queue shared by every API replica. Workers claim rows with
-- FOR UPDATE SKIP LOCKED and hold a lease (locked_until) they keep extending
-- while the job runs; a replica that dies stops extending it and another
-- replica takes the job over once the lease has expired.

CREATE TABLE job (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind <> ''),
    payload       JSONB NOT NULL DEFAULT '{}'::jsonb,
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts  INTEGER NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    run_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set only while running: which runner holds the job and until when.
    locked_by     TEXT,
    locked_until  TIMESTAMPTZ,
    last_error    TEXT,
    -- Makes enqueueing idempotent: a second job with the same key is not
    -- created (periodic jobs use `<schedule>@<period start>`).
    dedupe_key    TEXT UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at   TIMESTAMPTZ,
    CHECK ((status = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);

-- The claim query walks due queued jobs in (run_at, id) order and expired
-- leases in locked_until order, each through its own partial index.
CREATE INDEX job_due_idx ON job (run_at, id) WHERE status = 'queued';
CREATE INDEX job_lease_idx ON job (locked_until) WHERE status = 'running';
CREATE INDEX job_finished_idx ON job (finished_at) WHERE status IN ('done', 'dead');

-- Periodic jobs: one row per schedule. The runner that moves next_run_at
-- forward (under a row lock) is the one that enqueues that period's job.
CREATE TABLE job_schedule (
    name              TEXT PRIMARY KEY CHECK (name <> ''),
    kind              TEXT NOT NULL CHECK (kind <> ''),
    payload           JSONB NOT NULL DEFAULT '{}'::jsonb,
    interval_seconds  INTEGER NOT NULL CHECK (interval_seconds > 0),
    next_run_at       TIMESTAMPTZ NOT NULL,
    last_enqueued_at  TIMESTAMPTZ,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER job_set_updated_at BEFORE UPDATE ON job
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER job_schedule_set_updated_at BEFORE UPDATE ON job_schedule
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
