-- Every personal API token expires (at most a year after it was made):
-- tokens made before this rule get that year, counted from their creation.
UPDATE api_token SET expires_at = created_at + interval '365 days' WHERE expires_at IS NULL;
ALTER TABLE api_token ALTER COLUMN expires_at SET NOT NULL;
