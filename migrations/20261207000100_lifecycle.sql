-- Billing lifecycle (billing::lifecycle): what a service is billed and when
-- it is next due; renewal invoices, reminders, suspension, termination and
-- cancellation decided by a sweep that runs as a periodic job.

-- When renewals are invoiced and an unpaid service is suspended and
-- terminated, per product; a product without a row uses the shop's
-- defaults (billing_setting). The late fee is added once to an overdue
-- renewal invoice.
ALTER TABLE billing_setting
    ADD COLUMN renew_days_before    SMALLINT NOT NULL DEFAULT 7 CHECK (renew_days_before BETWEEN 0 AND 60),
    ADD COLUMN suspend_after_days   SMALLINT NOT NULL DEFAULT 3 CHECK (suspend_after_days BETWEEN 0 AND 365),
    ADD COLUMN terminate_after_days SMALLINT NOT NULL DEFAULT 15 CHECK (terminate_after_days BETWEEN 1 AND 730),
    ADD CHECK (terminate_after_days > suspend_after_days);

CREATE TABLE product_lifecycle (
    product_id           BIGINT PRIMARY KEY REFERENCES product (id) ON DELETE CASCADE,
    renew_days_before    SMALLINT NOT NULL CHECK (renew_days_before BETWEEN 0 AND 60),
    suspend_after_days   SMALLINT NOT NULL CHECK (suspend_after_days BETWEEN 0 AND 365),
    terminate_after_days SMALLINT NOT NULL CHECK (terminate_after_days BETWEEN 1 AND 730),
    late_fee_minor       BIGINT NOT NULL DEFAULT 0 CHECK (late_fee_minor BETWEEN 0 AND 1000000000000),
    CHECK (terminate_after_days > suspend_after_days)
);

-- A recurring service's terms, copied from its order when it is paid:
-- cycle, price and currency, the recurring promo (if any), the anchor day
-- (the day of month it started on) and the day it is next due. A one-off
-- service (cycle NULL) never renews.
ALTER TABLE service
    ADD COLUMN cycle                TEXT CHECK (cycle IN ('monthly', 'quarterly', 'semi_annual', 'annual')),
    ADD COLUMN currency             TEXT CHECK (currency IN ('IDR', 'USD')),
    ADD COLUMN recurring_minor      BIGINT CHECK (recurring_minor >= 0),
    ADD COLUMN promo_id             BIGINT REFERENCES promo_code (id) ON DELETE SET NULL,
    ADD COLUMN anchor_day           SMALLINT CHECK (anchor_day BETWEEN 1 AND 31),
    ADD COLUMN next_due_on          DATE,
    -- Staff overrides (audited): other days than the product's, or no
    -- suspension nor termination before `extended_until`.
    ADD COLUMN suspend_after_days   SMALLINT CHECK (suspend_after_days BETWEEN 0 AND 365),
    ADD COLUMN terminate_after_days SMALLINT CHECK (terminate_after_days BETWEEN 1 AND 730),
    ADD COLUMN extended_until       DATE,
    ADD COLUMN extension_reason     TEXT CHECK (length(extension_reason) <= 500),
    -- A cancellation: asked at, effective on (today or the end of the
    -- paid period), by whom and why. No renewal is invoiced after it.
    ADD COLUMN cancel_requested_at  TIMESTAMPTZ,
    ADD COLUMN cancel_on            DATE,
    ADD COLUMN cancel_reason        TEXT CHECK (length(cancel_reason) <= 500),
    ADD COLUMN cancelled_by         UUID REFERENCES app_user (id) ON DELETE SET NULL,
    ADD CHECK ((cycle IS NULL) = (next_due_on IS NULL)),
    ADD CHECK ((cycle IS NULL) OR (currency IS NOT NULL AND recurring_minor IS NOT NULL AND anchor_day IS NOT NULL)),
    ADD CHECK ((cancel_on IS NULL) = (cancel_requested_at IS NULL));
CREATE INDEX service_next_due ON service (next_due_on, id)
    WHERE cycle IS NOT NULL AND status IN ('active', 'suspended');
CREATE INDEX service_cancel_on ON service (cancel_on) WHERE cancel_on IS NOT NULL;

-- Renewal invoices name their service and the period they pay for. One
-- invoice per service and period that is not cancelled: two sweeps, or a
-- sweep and a retry, cannot bill a period twice.
ALTER TABLE invoice DROP CONSTRAINT invoice_purpose_check,
    ADD CONSTRAINT invoice_purpose_check CHECK (purpose IN ('order', 'top_up', 'renewal')),
    ADD COLUMN service_id   BIGINT REFERENCES service (id) ON DELETE RESTRICT,
    ADD COLUMN period_start DATE,
    ADD COLUMN period_end   DATE,
    ADD CONSTRAINT invoice_renewal_period CHECK (
        (purpose = 'renewal') = (service_id IS NOT NULL AND period_start IS NOT NULL AND period_end IS NOT NULL)
        AND (period_end IS NULL OR period_end > period_start));
CREATE UNIQUE INDEX invoice_one_per_service_period ON invoice (service_id, period_start)
    WHERE purpose = 'renewal' AND status <> 'cancelled';
ALTER TABLE invoice_line DROP CONSTRAINT invoice_line_kind_check,
    ADD CONSTRAINT invoice_line_kind_check CHECK (kind IN ('item', 'setup_fee', 'top_up', 'late_fee'));

-- The reminders and decisions the sweep made, one per service, period and
-- kind: a second sweep (or a replica's) finds them and does nothing.
CREATE TABLE lifecycle_event (
    service_id   BIGINT NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    period_start DATE NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('invoiced', 'due_soon', 'due_today', 'overdue',
                                                'late_fee', 'suspend', 'terminate', 'cancel')),
    shop_day     DATE NOT NULL,
    sweep_id     BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, period_start, kind)
);
CREATE INDEX lifecycle_event_sweep ON lifecycle_event (sweep_id) WHERE sweep_id IS NOT NULL;

-- One run of the sweep: for staff's automation log and the owner's
-- watchdog (no completed sweep for 26 hours is an alert).
CREATE TABLE lifecycle_sweep (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_day     DATE NOT NULL,
    dry_run      BOOLEAN NOT NULL DEFAULT false,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    -- {"invoiced": n, "due_soon": n, ..., "failed": n}
    counts       JSONB NOT NULL DEFAULT '{}',
    -- [{"service_id": 1, "action": "invoice", "error": "…"}], at most 100
    failures     JSONB NOT NULL DEFAULT '[]',
    duration_ms  BIGINT
);
CREATE INDEX lifecycle_sweep_recent ON lifecycle_sweep (started_at DESC);

-- A client's choice to pay renewal invoices from the wallet when it covers them.
CREATE TABLE billing_preference (
    user_id                  UUID PRIMARY KEY REFERENCES app_user (id) ON DELETE CASCADE,
    apply_wallet_to_renewals BOOLEAN NOT NULL DEFAULT false,
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
