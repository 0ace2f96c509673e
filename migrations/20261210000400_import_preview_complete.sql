-- An upload's rows are written by several connections at once (each its own
-- transaction), so the preview row is committed before them and completed
-- with its summary once every row is in. Until then readers, confirm and
-- cancel do not see it; an upload cut short leaves it incomplete, and the
-- retention sweep deletes it (with its rows) when it expires.
ALTER TABLE import_preview ADD COLUMN complete BOOLEAN NOT NULL DEFAULT true;
