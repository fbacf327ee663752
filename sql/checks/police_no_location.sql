-- Share of one month's police rows (crime and ASB) with no location.
-- Bound: :source, :month_start.
SELECT
    (SELECT COALESCE(SUM(incidents), 0) FROM core.fact_police_crime_unallocated
      WHERE source = :source AND month_start = :month_start AND reason = 'no_location') AS no_location,
    (SELECT COALESCE(SUM(incidents), 0) FROM core.fact_police_crime
      WHERE source = :source AND month_start = :month_start)
  + (SELECT COALESCE(SUM(incidents), 0) FROM core.fact_police_crime_unallocated
      WHERE source = :source AND month_start = :month_start) AS total
