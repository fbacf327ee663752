-- The latest load of a (source, period) slice, if any. Bound: :source, :period.
SELECT b.file_sha256, b.rows_loaded, CAST(b.loaded_at AS VARCHAR) AS loaded_at
FROM audit.load_batch AS b
WHERE b.source = :source AND b.period = :period
ORDER BY b.loaded_at DESC
LIMIT 1
