-- Rebuild the proven re-offending facts for one (source, cohort quarter) from its staging slice.
-- Bound: :source, :period.
DELETE FROM core.fact_youth_reoffending WHERE source = :source AND period = :period;

INSERT INTO core.fact_youth_reoffending (source, period, district_code, cohort_size, reoffenders, load_batch_id)
SELECT s.source, s.period, a.area_code, s.cohort_size, s.reoffenders, s.load_batch_id
FROM staging.youth_reoffending AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
