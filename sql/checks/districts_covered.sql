-- The county districts with no row in a staging slice, for the districts_covered completeness
-- check. The table and district-name column come from the contract (checked identifiers);
-- bound: :source, :period.
SELECT a.area_name AS district_name
FROM core.dim_area AS a
WHERE a.area_type = 'district'
  AND a.area_name NOT IN (
      SELECT s.{column} FROM staging.{table} AS s
      WHERE s.source = :source AND s.period = :period AND s.{column} IS NOT NULL
  )
ORDER BY a.area_name
