-- Raw files that hold people are deleted from the working area a set number of days after the pipeline last
-- pulled or loaded them (registry: retention; safer_communities.sources.retention, the daily DAG raw_file_retention).
-- One row per file deleted, written in the transaction that deletes it. The rows loaded from the file stay.
CREATE TABLE IF NOT EXISTS audit.raw_file_deletion (
    source       VARCHAR NOT NULL,
    period       VARCHAR(10) NOT NULL,
    file_sha256  VARCHAR(64) NOT NULL,
    path         VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    as_of        DATE NOT NULL,
    deleted_at   TIMESTAMP NOT NULL,
    run_id       VARCHAR NOT NULL
);
COMMENT ON TABLE audit.raw_file_deletion IS 'Every raw file deleted under its source''s retention rule (a landed file, a rejected file''s quarantined copy and its note), one row per file and deletion. The data loaded from it stays in the warehouse.';
COMMENT ON COLUMN audit.raw_file_deletion.source IS 'The registered source whose retention rule deleted the file.';
COMMENT ON COLUMN audit.raw_file_deletion.period IS 'The source''s period the file was delivered for.';
COMMENT ON COLUMN audit.raw_file_deletion.file_sha256 IS 'The sha256 of the file''s bytes: audit.pulled_file.sha256, audit.load_batch.file_sha256.';
COMMENT ON COLUMN audit.raw_file_deletion.path IS 'Where the file was, in the working area (landing/ or quarantine/).';
COMMENT ON COLUMN audit.raw_file_deletion.reason IS 'Why it was due: loaded or never loaded, when the pipeline last pulled or loaded it, and the days the source keeps a file after that.';
COMMENT ON COLUMN audit.raw_file_deletion.as_of IS 'The date the rule was judged at (the Airflow run''s date), never the clock.';
COMMENT ON COLUMN audit.raw_file_deletion.deleted_at IS 'When the file was deleted (wall clock).';
COMMENT ON COLUMN audit.raw_file_deletion.run_id IS 'The run that deleted it (a raw_file_retention DAG run, or cli__<time> from the command line).';
