-- The state changes carry the same statuses as the host itself, checked like
-- `monitored_host.status`, so the application reads them as one enum
-- (HostStatus) and nothing else can be stored.
ALTER TABLE host_state_change
    ADD CONSTRAINT host_state_change_from_status_check CHECK (from_status IN ('pending', 'up', 'down')),
    ADD CONSTRAINT host_state_change_to_status_check CHECK (to_status IN ('pending', 'up', 'down'));
