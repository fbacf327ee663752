-- Rebuild the core police facts for one (source, month) from its staging slice.
-- Runs inside the load transaction, after the staging slice has been replaced.
-- Bound parameters: :source, :period ('YYYY-MM'), :period_start (date).

-- The slice counted once (by LSOA and crime type), then placed: the joins are on a few thousand counts, not on
-- every row, and the slice is read once for both tables.
CREATE TEMPORARY TABLE police_counted AS
SELECT source, lsoa_code, crime_type, load_batch_id, COUNT(*) AS incidents
FROM staging.police_street
WHERE source = :source AND period = :period
GROUP BY source, lsoa_code, crime_type, load_batch_id;

DELETE FROM core.fact_police_crime
WHERE source = :source AND month_start = :period_start;

INSERT INTO core.fact_police_crime
    (source, month_start, lsoa_code, district_code, crime_type, incidents, load_batch_id)
SELECT s.source, CAST(:period_start AS DATE), s.lsoa_code, l.district_code, s.crime_type, s.incidents, s.load_batch_id
FROM police_counted AS s
JOIN core.dim_lsoa AS l ON l.lsoa_code = s.lsoa_code;

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
    s.incidents,
    s.load_batch_id
FROM police_counted AS s
LEFT JOIN core.dim_lsoa AS l ON l.lsoa_code = s.lsoa_code
WHERE l.lsoa_code IS NULL;

DROP TABLE police_counted;
