-- The current status of a (source, month), and its history.
-- Bound: :source, :period, :status, :reason, :file_sha256, :run_id, :decided_at.
INSERT INTO audit.source_status AS s (source, period, status, reason, file_sha256, run_id, decided_at)
VALUES (:source, :period, :status, :reason, :file_sha256, :run_id, :decided_at)
ON CONFLICT (source, period) DO UPDATE SET
    status = excluded.status,
    reason = excluded.reason,
    file_sha256 = excluded.file_sha256,
    run_id = excluded.run_id,
    decided_at = excluded.decided_at;

INSERT INTO audit.source_status_history (source, period, status, reason, file_sha256, run_id, decided_at)
VALUES (:source, :period, :status, :reason, :file_sha256, :run_id, :decided_at);
