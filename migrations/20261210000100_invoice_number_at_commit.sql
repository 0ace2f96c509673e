-- Invoice numbers are taken at commit, not when the invoice is written.
--
-- Gapless numbering needs the year's counter row locked from the moment a
-- number is taken until the transaction that took it commits (a rolled-back
-- checkout must give its number back). Taken by the INSERT, the lock was
-- held across every statement the checkout ran after it, each a round trip
-- to an application that, under load, waits for a CPU between them: 32
-- concurrent checkouts queued on the row for ~4 ms each. A deferred
-- constraint trigger takes the number during COMMIT instead, inside the
-- server, so the row is locked only for the trigger and the commit's WAL
-- flush.
--
-- Until its transaction commits an invoice carries a provisional number,
-- INV-<year>-P<id>: unique (a shared placeholder would make concurrent
-- inserts wait on the unique index) and carrying the year the number is
-- taken in. No committed invoice keeps one: the trigger runs for every
-- inserted invoice before its transaction can commit.

ALTER TABLE invoice DROP CONSTRAINT invoice_number_check,
    ADD CONSTRAINT invoice_number_check CHECK (number ~ '^INV-[0-9]{4}-([0-9]{6,}|P[0-9]+)$');

COMMENT ON TABLE invoice_counter IS
    'The gapless invoice number: one row per year, raised by invoice_take_number at the commit of the transaction that issues the invoice.';

CREATE FUNCTION invoice_take_number() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    number_year INTEGER;
    taken INTEGER;
BEGIN
    -- The row may be gone (deleted in the same transaction): then no number
    -- is taken, so none is skipped.
    PERFORM 1 FROM invoice WHERE id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    number_year := substr(NEW.number, 5, 4)::INTEGER;
    INSERT INTO invoice_counter (year, last) VALUES (number_year, 1)
    ON CONFLICT (year) DO UPDATE SET last = invoice_counter.last + 1
    RETURNING last INTO taken;
    UPDATE invoice
       SET number = 'INV-' || number_year || '-' || lpad(taken::TEXT, greatest(6, length(taken::TEXT)), '0')
     WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER invoice_number_at_commit
    AFTER INSERT ON invoice
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    -- Only provisional numbers: rows written with their final number (a
    -- bulk load) queue no trigger event at all.
    WHEN (NEW.number ~ '^INV-[0-9]{4}-P')
    EXECUTE FUNCTION invoice_take_number();
