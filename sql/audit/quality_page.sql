-- The data-quality page of one (source, period): safer_communities.publish.quality_docs runs these statements
-- in this order (status, files, rules, quarantine, checks, loads, notices). Never raw_record:
-- the page must not show a row's content.
-- Bound: :source, :period, :sha256 (the file the status is about; NULL when there is none).

-- status: the current status and its reason, with the glance's counts
SELECT source, period, status, reason, decided_at, run_id, file_sha256, critical_failures, warnings,
       failed_rules, quarantined_rows
FROM audit.source_glance
WHERE source = :source AND period = :period;

-- files: every distinct file pulled for the period
SELECT sha256, bytes, rows, original_name, origin, landing_path, first_pulled_at, last_pulled_at, pull_count,
       first_run_id, last_run_id
FROM audit.pulled_file
WHERE source = :source AND period = :period
ORDER BY first_pulled_at, sha256;

-- rules: every rule's result for the file, parse rules first, then file rules, then row rules
SELECT suite_name, suite_version, rule, expectation, column_name, severity, scope, success, unexpected_count,
       unexpected_lines, observed_value, message, run_id, validated_at
FROM audit.validation_result
WHERE source = :source AND period = :period AND file_sha256 = :sha256
ORDER BY CASE WHEN expectation = 'parse' THEN 0 WHEN scope = 'file' THEN 1 ELSE 2 END, rule;

-- quarantine: the first :shown rows of the file held back (the status row counts them all), with the rules
-- they broke and their detail, not the raw record
SELECT line, rules, detail, run_id, quarantined_at
FROM audit.quarantine
WHERE source = :source AND period = :period AND file_sha256 = :sha256
ORDER BY line
LIMIT :shown;

-- checks: the completeness checks of the latest load
SELECT check_name, passed, detail, run_id, checked_at
FROM audit.completeness_result
WHERE source = :source AND period = :period
ORDER BY check_name;

-- loads: every load of the slice, newest first
SELECT load_batch_id, file_sha256, run_id, rows_read, rows_loaded, rows_quarantined, loaded_at
FROM audit.load_batch
WHERE source = :source AND period = :period
ORDER BY loaded_at DESC, load_batch_id DESC;

-- notices: what runs noticed about the period's deliveries without changing its data or status, newest first
SELECT notice, run_id, noted_at
FROM audit.delivery_notice
WHERE source = :source AND period = :period
ORDER BY noted_at DESC;
