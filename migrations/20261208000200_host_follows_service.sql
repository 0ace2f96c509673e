-- A monitored host linked to a catalog service follows the service's due
-- date (SPEC C5: hosts sold outside the catalog keep their own expiry
-- watch). Kept by the database so every path that moves a due date (a
-- paid renewal, staff terms, a plan change) carries it to the host without
-- billing knowing about monitoring.

CREATE FUNCTION monitored_host_follows_service() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE monitored_host
       SET expires_on = NEW.next_due_on
     WHERE service_id = NEW.id
       AND expires_on IS DISTINCT FROM NEW.next_due_on;
    RETURN NEW;
END $$;

CREATE TRIGGER service_due_date_to_monitored_hosts
    AFTER INSERT OR UPDATE OF next_due_on ON service
    FOR EACH ROW WHEN (NEW.next_due_on IS NOT NULL)
    EXECUTE FUNCTION monitored_host_follows_service();

-- A host linked (or relinked) to a service takes its due date at once; a
-- service id that names no recurring service leaves the typed date.
CREATE FUNCTION monitored_host_takes_service_due_date() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.service_id IS NOT NULL THEN
        NEW.expires_on := COALESCE(
            (SELECT next_due_on FROM service WHERE id = NEW.service_id),
            NEW.expires_on);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER monitored_host_service_due_date
    BEFORE INSERT OR UPDATE OF service_id, expires_on ON monitored_host
    FOR EACH ROW EXECUTE FUNCTION monitored_host_takes_service_due_date();

UPDATE monitored_host h
   SET expires_on = s.next_due_on
  FROM service s
 WHERE s.id = h.service_id AND s.next_due_on IS NOT NULL
   AND h.expires_on IS DISTINCT FROM s.next_due_on;
