-- The distinct months (YYYYMM) in which a staging slice has records, for the
-- months_covered completeness check. The table and date column come from the
-- contract (checked identifiers); bound: :source, :period.
SELECT DISTINCT
    CAST(EXTRACT(YEAR FROM {column}) AS INTEGER) * 100 + CAST(EXTRACT(MONTH FROM {column}) AS INTEGER) AS yyyymm
FROM staging.{table}
WHERE source = :source AND period = :period AND {column} IS NOT NULL
