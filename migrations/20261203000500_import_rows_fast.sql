-- The import's upload writes 150,000 preview rows while the parser reads on.
-- The rows already live in UNLOGGED tables (a preview is disposable: at most
-- an hour, and after a crash it is empty and the user uploads again); what
-- each inserted row still paid for was the foreign key to its preview: one
-- row-level check (a lookup and a key-share lock on the preview) per row, a
-- third of the upload's database time. The rows are only ever inserted by the
-- upload, in the transaction that has just inserted their preview, so the
-- check can never fail; what the key gave beyond it is the cascade, kept here
-- as one statement-level trigger: deleting previews (cancel, confirm, the
-- retention sweep) deletes their rows, as before.
ALTER TABLE import_host_row DROP CONSTRAINT import_host_row_import_id_fkey;
ALTER TABLE import_sale_row DROP CONSTRAINT import_sale_row_import_id_fkey;

CREATE FUNCTION import_preview_discard_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM import_host_row WHERE import_id IN (SELECT id FROM discarded);
    DELETE FROM import_sale_row WHERE import_id IN (SELECT id FROM discarded);
    RETURN NULL;
END;
$$;

CREATE TRIGGER import_preview_discard_rows
    AFTER DELETE ON import_preview
    REFERENCING OLD TABLE AS discarded
    FOR EACH STATEMENT EXECUTE FUNCTION import_preview_discard_rows();
