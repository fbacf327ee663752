-- The completeness checks a run's loads failed, for the data-quality alert. Bound: :run_id.
SELECT source, period, check_name
FROM audit.completeness_result
WHERE run_id = :run_id AND NOT passed
ORDER BY source, period, check_name
