-- Every distinct file pulled, with the latest time its bytes were pulled and loaded (NULL: never loaded) for
-- that (source, period): what the retention rule judges by (safer_communities.sources.retention). No bound values.
SELECT f.source, f.period, f.sha256, f.last_pulled_at, MAX(b.loaded_at) AS last_loaded_at
FROM audit.pulled_file AS f
LEFT JOIN audit.load_batch AS b ON b.source = f.source AND b.period = f.period AND b.file_sha256 = f.sha256
GROUP BY f.source, f.period, f.sha256, f.last_pulled_at
ORDER BY f.source, f.period, f.sha256
