-- Rows read from the latest load of each of the source's periods (the volume check compares a period with the
-- ones loaded before it). Bound: :source.
SELECT period, rows_read
FROM (
    SELECT b.period, b.rows_read,
           ROW_NUMBER() OVER (PARTITION BY b.period ORDER BY b.loaded_at DESC, b.load_batch_id DESC) AS n
    FROM audit.load_batch AS b
    WHERE b.source = :source
) AS latest
WHERE n = 1
