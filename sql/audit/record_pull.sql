-- Record a pulled file; identical bytes pulled again only raise pull_count. The same pull recorded again (a
-- retried validate task: same run, same pull time) counts once.
-- Bound: :source, :period, :sha256, :bytes, :rows, :original_name, :origin,
--        :landing_path, :pulled_at, :run_id.
INSERT INTO audit.pulled_file AS p
    (source, period, sha256, bytes, rows, original_name, origin, landing_path,
     first_pulled_at, last_pulled_at, pull_count, first_run_id, last_run_id)
VALUES (:source, :period, :sha256, :bytes, :rows, :original_name, :origin, :landing_path,
        :pulled_at, :pulled_at, 1, :run_id, :run_id)
ON CONFLICT (source, period, sha256) DO UPDATE SET
    last_pulled_at = excluded.last_pulled_at,
    last_run_id = excluded.last_run_id,
    pull_count = p.pull_count + CASE WHEN p.last_run_id = excluded.last_run_id
                                       AND p.last_pulled_at = excluded.last_pulled_at THEN 0 ELSE 1 END
