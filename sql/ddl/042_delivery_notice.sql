-- What a run noticed about a period's delivery without changing its status: a loaded period whose file
-- vanished, whose re-pull failed or whose re-delivery was rejected (the loaded slice and status are kept),
-- several files delivered for one period (the newest taken), an identical re-delivery (nothing reloaded).
CREATE TABLE IF NOT EXISTS audit.delivery_notice (
    source       VARCHAR NOT NULL,
    period       VARCHAR(10) NOT NULL,
    run_id       VARCHAR NOT NULL,
    notice       VARCHAR NOT NULL,
    noted_at     TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.delivery_notice IS 'Warnings about a period''s delivery that change neither its data nor its status (a vanished file, a failed re-pull or rejected re-delivery of a loaded period, several files for one period, an identical re-delivery), one row per run and warning.';
COMMENT ON COLUMN audit.delivery_notice.notice IS 'The warning, in words; names files within the drop folder and never a value from a file.';
