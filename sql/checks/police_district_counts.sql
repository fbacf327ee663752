-- Recorded crime (ASB excluded) per county district and month, for the
-- district-collapse completeness check. Every district is listed, with a NULL
-- month where it has no rows at all. Bound: :source, :first_month, :last_month.
SELECT
    a.area_code AS district_code,
    a.area_name AS district_name,
    CAST(d.month_start AS VARCHAR) AS month_start,
    d.incidents
FROM core.dim_area AS a
LEFT JOIN (
    SELECT district_code, month_start, CAST(SUM(incidents) AS BIGINT) AS incidents
    FROM core.police_crime_district
    WHERE source = :source AND NOT is_asb AND month_start BETWEEN :first_month AND :last_month
    GROUP BY district_code, month_start
) AS d ON d.district_code = a.area_code
WHERE a.area_type = 'district'
ORDER BY a.area_code, d.month_start
