-- Re-validating a file replaces what an earlier validation of the same bytes recorded.
-- Bound: :source, :period, :sha256.
DELETE FROM audit.validation_result WHERE source = :source AND period = :period AND file_sha256 = :sha256;
DELETE FROM audit.quarantine WHERE source = :source AND period = :period AND file_sha256 = :sha256;
