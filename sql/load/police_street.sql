-- Rebuild the core police facts for one (source, month) from its staging slice.
-- Runs inside the load transaction, after the staging slice has been replaced.
-- Bound parameters: :source, :period ('YYYY-MM'), :period_start (date).

DELETE FROM core.fact_police_crime
WHERE source = :source AND month_start = :period_start;

INSERT INTO core.fact_police_crime
    (source, month_start, lsoa_code, district_code, crime_type, incidents, load_batch_id)
SELECT s.source, CAST(:period_start AS DATE), s.lsoa_code, l.district_code, s.crime_type, COUNT(*), s.load_batch_id
FROM staging.police_street AS s
JOIN core.dim_lsoa AS l ON l.lsoa_code = s.lsoa_code
WHERE s.source = :source AND s.period = :period
GROUP BY s.source, s.lsoa_code, l.district_code, s.crime_type, s.load_batch_id;

DELETE FROM core.fact_police_crime_unallocated
WHERE source = :source AND month_start = :period_start;

INSERT INTO core.fact_police_crime_unallocated
    (source, month_start, reason, lsoa_code, crime_type, incidents, load_batch_id)
SELECT
    s.source,
    CAST(:period_start AS DATE),
    CASE WHEN s.lsoa_code IS NULL THEN 'no_location' ELSE 'outside_force_area' END,
    s.lsoa_code,
    s.crime_type,
    COUNT(*),
    s.load_batch_id
FROM staging.police_street AS s
LEFT JOIN core.dim_lsoa AS l ON l.lsoa_code = s.lsoa_code
WHERE s.source = :source AND s.period = :period AND l.lsoa_code IS NULL
GROUP BY s.source, s.lsoa_code, s.crime_type, s.load_batch_id;
