-- A host row naming a host an earlier row of the same file already names is
-- a `duplicate`: the host is counted (and created) once, the lower row's
-- values are applied.
ALTER TABLE import_host_row DROP CONSTRAINT import_host_row_status_check;
ALTER TABLE import_host_row ADD CONSTRAINT import_host_row_status_check
    CHECK (status IN ('new', 'update', 'unchanged', 'duplicate', 'invalid'));
