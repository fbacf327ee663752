-- The audit layer: what was pulled, what validation found, what was quarantined,
-- what was loaded, and the availability status of every (source, period).

CREATE TABLE IF NOT EXISTS audit.pulled_file (
    source           VARCHAR NOT NULL,
    period           VARCHAR(10) NOT NULL,
    sha256           VARCHAR(64) NOT NULL,
    bytes            BIGINT NOT NULL,
    rows             INTEGER NOT NULL,
    original_name    VARCHAR NOT NULL,
    origin           VARCHAR NOT NULL,
    landing_path     VARCHAR NOT NULL,
    first_pulled_at  TIMESTAMP NOT NULL,
    last_pulled_at   TIMESTAMP NOT NULL,
    pull_count       INTEGER NOT NULL,
    first_run_id     VARCHAR NOT NULL,
    last_run_id      VARCHAR NOT NULL,
    PRIMARY KEY (source, period, sha256)
);
COMMENT ON TABLE audit.pulled_file IS 'Every distinct file pulled, kept immutably at landing_path (a file holding people until its source''s retention rule deletes it: audit.raw_file_deletion). Identical bytes pulled again raise pull_count instead of adding a row.';

CREATE TABLE IF NOT EXISTS audit.validation_result (
    source             VARCHAR NOT NULL,
    period             VARCHAR(10) NOT NULL,
    file_sha256        VARCHAR(64) NOT NULL,
    run_id             VARCHAR NOT NULL,
    suite_name         VARCHAR NOT NULL,
    suite_version      INTEGER NOT NULL,
    rule               VARCHAR NOT NULL,
    expectation        VARCHAR NOT NULL,
    column_name        VARCHAR,
    severity           VARCHAR NOT NULL,
    scope              VARCHAR NOT NULL,
    success            BOOLEAN NOT NULL,
    unexpected_count   INTEGER NOT NULL,
    unexpected_lines   VARCHAR,
    observed_value     VARCHAR,
    message            VARCHAR,
    validated_at       TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.validation_result IS 'One row per rule per validated file (parse rules and Great Expectations expectations). Re-validating the same file replaces its rows.';
COMMENT ON COLUMN audit.validation_result.unexpected_lines IS 'JSON list of the first failing line numbers in the landed file (header is line 1).';

CREATE TABLE IF NOT EXISTS audit.quarantine (
    source         VARCHAR NOT NULL,
    period         VARCHAR(10) NOT NULL,
    file_sha256    VARCHAR(64) NOT NULL,
    run_id         VARCHAR NOT NULL,
    line           INTEGER NOT NULL,
    rules          VARCHAR NOT NULL,
    detail         VARCHAR,
    raw_record     VARCHAR,
    quarantined_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.quarantine IS 'Rows held back from loading, with every critical rule they broke and the raw record (bad bytes shown as \xNN).';

CREATE TABLE IF NOT EXISTS audit.load_batch (
    load_batch_id     VARCHAR PRIMARY KEY,
    source            VARCHAR NOT NULL,
    period            VARCHAR(10) NOT NULL,
    file_sha256       VARCHAR(64) NOT NULL,
    run_id            VARCHAR NOT NULL,
    rows_read         INTEGER NOT NULL,
    rows_loaded       INTEGER NOT NULL,
    rows_quarantined  INTEGER NOT NULL,
    loaded_at         TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.load_batch IS 'Every load of a (source, period) slice. The slice in staging and core carries the load_batch_id of the latest.';

CREATE TABLE IF NOT EXISTS audit.completeness_result (
    source      VARCHAR NOT NULL,
    period      VARCHAR(10) NOT NULL,
    run_id      VARCHAR NOT NULL,
    check_name  VARCHAR NOT NULL,
    passed      BOOLEAN NOT NULL,
    detail      VARCHAR NOT NULL,
    checked_at  TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.completeness_result IS 'Completeness checks of the latest load of each (source, period); a failed check makes the status incomplete.';

CREATE TABLE IF NOT EXISTS audit.source_status (
    source       VARCHAR NOT NULL,
    period       VARCHAR(10) NOT NULL,
    status       VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    file_sha256  VARCHAR(64),
    run_id       VARCHAR NOT NULL,
    decided_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (source, period)
);
COMMENT ON TABLE audit.source_status IS 'The current availability of every (source, month): available, incomplete, awaited (not yet due), late (deadline missed), unavailable (declared outage) or rejected, with a reason a board member can read.';

CREATE TABLE IF NOT EXISTS audit.source_status_history (
    source       VARCHAR NOT NULL,
    period       VARCHAR(10) NOT NULL,
    status       VARCHAR NOT NULL,
    reason       VARCHAR NOT NULL,
    file_sha256  VARCHAR(64),
    run_id       VARCHAR NOT NULL,
    decided_at   TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.source_status_history IS 'Every status decision ever made, newest last; audit.source_status holds the current one.';
