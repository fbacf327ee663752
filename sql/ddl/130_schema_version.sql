-- Which schema the warehouse was last migrated to: a digest of every sql/ddl file, written by
-- `safer-communities migrate` after the others have run. A task finding no row, or another digest, stops at
-- once and says to migrate (safer_communities.errors).
CREATE TABLE IF NOT EXISTS audit.schema_version (
    digest       VARCHAR(64) NOT NULL,
    migrated_at  TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.schema_version IS 'The digest of the sql/ddl files the warehouse was last migrated with (one row), and when.';
