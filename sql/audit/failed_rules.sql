-- The rules a run's validation found broken (critical or warning), for the data-quality alert.
-- Bound: :run_id.
SELECT source, period, rule, severity, unexpected_count
FROM audit.validation_result
WHERE run_id = :run_id AND NOT success AND severity IN ('critical', 'warning')
ORDER BY source, period, severity, rule
