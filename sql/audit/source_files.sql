-- Every decided source period with its status and the file the status is about (sha256, original name):
-- what the dashboard reads (status and reason) and a publication's manifest records (status and file), so
-- that its change log can say why a figure changed.
SELECT s.source, s.period, s.status, s.reason, s.file_sha256, f.original_name
FROM audit.source_status AS s
LEFT JOIN audit.pulled_file AS f ON f.source = s.source AND f.period = s.period AND f.sha256 = s.file_sha256
ORDER BY s.source, s.period
