-- The current status of a (source, period), if any. Bound: :source, :period.
SELECT s.status, s.reason, s.file_sha256, s.run_id
FROM audit.source_status AS s
WHERE s.source = :source AND s.period = :period
