-- The trigger that gives a host linked to a service the service's due date
-- ran its function for every host written, linked or not: an import of
-- 100,000 hosts (none linked) paid 100,000 PL/pgSQL calls that changed
-- nothing. The condition now sits on the trigger, where it costs no call.
DROP TRIGGER monitored_host_service_due_date ON monitored_host;

CREATE TRIGGER monitored_host_service_due_date
    BEFORE INSERT OR UPDATE OF service_id, expires_on ON monitored_host
    FOR EACH ROW WHEN (NEW.service_id IS NOT NULL)
    EXECUTE FUNCTION monitored_host_takes_service_due_date();
