-- Plan changes (billing::service::plan_change): a service moved to another
-- product of its kind in the middle of a period. The rest of the period is
-- prorated to the day: the unused part of the old plan is credited, the
-- new plan charged for the days left; more to pay is a `plan_change`
-- invoice (the change applies when it is paid), less is credited to the
-- wallet and applies at once.
CREATE TABLE plan_change (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id            BIGINT NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    user_id               UUID NOT NULL REFERENCES app_user (id) ON DELETE RESTRICT,
    from_product_id       BIGINT NOT NULL REFERENCES product (id) ON DELETE RESTRICT,
    to_product_id         BIGINT NOT NULL REFERENCES product (id) ON DELETE RESTRICT,
    from_name             TEXT NOT NULL,
    to_name               TEXT NOT NULL,
    currency              TEXT NOT NULL CHECK (currency IN ('IDR', 'USD')),
    from_recurring_minor  BIGINT NOT NULL CHECK (from_recurring_minor >= 0),
    to_recurring_minor    BIGINT NOT NULL CHECK (to_recurring_minor >= 0),
    -- The shop day the proration counts from, and the period it falls in:
    -- from the last due date to the next one.
    shop_day              DATE NOT NULL,
    period_start          DATE NOT NULL,
    period_end            DATE NOT NULL,
    days_left             INTEGER NOT NULL CHECK (days_left > 0),
    period_days           INTEGER NOT NULL CHECK (period_days > 0),
    -- Before PPN: the old plan's unused days, the new plan's days left.
    credit_minor          BIGINT NOT NULL CHECK (credit_minor >= 0),
    charge_minor          BIGINT NOT NULL CHECK (charge_minor >= 0),
    -- With PPN: > 0 invoiced, < 0 credited to the wallet, 0 nothing to settle.
    settle_minor          BIGINT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'applied', 'cancelled')),
    invoice_id            BIGINT UNIQUE REFERENCES invoice (id) ON DELETE RESTRICT,
    requested_by          UUID REFERENCES app_user (id) ON DELETE SET NULL,
    requested_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at            TIMESTAMPTZ,
    CHECK (from_product_id <> to_product_id),
    CHECK (period_end > period_start),
    CHECK ((status = 'awaiting_payment') = (decided_at IS NULL)),
    CHECK (status <> 'awaiting_payment' OR invoice_id IS NOT NULL)
);
-- One change waits for its payment per service: a second request while
-- one is open is refused, however the requests race.
CREATE UNIQUE INDEX plan_change_one_open ON plan_change (service_id) WHERE status = 'awaiting_payment';
CREATE INDEX plan_change_service ON plan_change (service_id, id DESC);

ALTER TABLE invoice DROP CONSTRAINT invoice_purpose_check,
    ADD CONSTRAINT invoice_purpose_check CHECK (purpose IN ('order', 'top_up', 'renewal', 'plan_change'));

ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_kind_check,
    ADD CONSTRAINT ledger_transaction_kind_check CHECK (kind IN ('invoice_payment', 'top_up',
        'wallet_payment', 'overpayment', 'refund_to_wallet', 'refund_paid_out', 'plan_change_credit'));

-- A VPS moved to another plan: cores, memory, disk and rate limit applied
-- on its cluster.
ALTER TABLE provisioning_run DROP CONSTRAINT provisioning_run_action_check,
    ADD CONSTRAINT provisioning_run_action_check CHECK (action IN ('deliver', 'start', 'stop',
        'reboot', 'reinstall', 'reset_password', 'suspend', 'unsuspend', 'terminate',
        'change_package', 'move_node', 'change_plan'));

-- An internet line moved to its new plan's PPP profile.
ALTER TABLE isp_customer_event DROP CONSTRAINT isp_customer_event_action_check,
    ADD CONSTRAINT isp_customer_event_action_check CHECK (action IN ('isolate', 'restore', 'plan_change'));
