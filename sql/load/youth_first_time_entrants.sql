-- Rebuild the first-time entrants facts for one (source, quarter) from its staging slice.
-- Bound: :source, :period.
DELETE FROM core.fact_youth_first_time_entrants WHERE source = :source AND period = :period;

INSERT INTO core.fact_youth_first_time_entrants (source, period, district_code, first_time_entrants, load_batch_id)
SELECT s.source, s.period, a.area_code, s.first_time_entrants, s.load_batch_id
FROM staging.youth_first_time_entrants AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
