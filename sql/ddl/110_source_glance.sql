-- The state of every (source, period) at a glance, for the engineers who keep the pipeline running:
-- read by `safer-communities status`.

CREATE OR REPLACE VIEW audit.source_glance AS
WITH latest_load AS (
    SELECT b.source, b.period, b.loaded_at, b.rows_loaded, b.rows_quarantined, b.file_sha256, b.run_id,
           ROW_NUMBER() OVER (PARTITION BY b.source, b.period ORDER BY b.loaded_at DESC, b.load_batch_id DESC) AS n
    FROM audit.load_batch AS b
),
rules AS (
    SELECT v.source, v.period, v.file_sha256,
           SUM(CASE WHEN NOT v.success AND v.severity = 'critical' THEN 1 ELSE 0 END) AS critical_failures,
           SUM(CASE WHEN NOT v.success AND v.severity <> 'critical' THEN 1 ELSE 0 END) AS warnings,
           STRING_AGG(CASE WHEN NOT v.success THEN v.rule END, ', ' ORDER BY v.rule) AS failed_rules
    FROM audit.validation_result AS v
    GROUP BY v.source, v.period, v.file_sha256
),
quarantined AS (
    SELECT q.source, q.period, q.file_sha256, COUNT(*) AS quarantined_rows
    FROM audit.quarantine AS q
    GROUP BY q.source, q.period, q.file_sha256
)
SELECT
    s.source,
    s.period,
    s.status,
    s.reason,
    s.decided_at,
    s.run_id,
    s.file_sha256,
    l.loaded_at AS last_loaded_at,
    l.rows_loaded AS last_rows_loaded,
    l.run_id AS last_load_run_id,
    CAST(COALESCE(r.critical_failures, 0) AS INTEGER) AS critical_failures,
    CAST(COALESCE(r.warnings, 0) AS INTEGER) AS warnings,
    r.failed_rules,
    CAST(COALESCE(q.quarantined_rows, 0) AS INTEGER) AS quarantined_rows
FROM audit.source_status AS s
LEFT JOIN latest_load AS l ON l.source = s.source AND l.period = s.period AND l.n = 1
LEFT JOIN rules AS r ON r.source = s.source AND r.period = s.period AND r.file_sha256 = s.file_sha256
LEFT JOIN quarantined AS q ON q.source = s.source AND q.period = s.period AND q.file_sha256 = s.file_sha256;
COMMENT ON VIEW audit.source_glance IS 'Every (source, period): its current status and reason; the last successful load (when, rows, run); the validation of the file the status is about (critical rule failures, warnings, the rules that failed) and its quarantined rows. A period with no file has no load and zero counts.';
