-- The records of a staging slice per start date (YYYY-MM-DD, NULL when not given), for the
-- follow_up_complete completeness check. The table and date column come from the registry and
-- the contract (checked identifiers); bound: :source, :period.
SELECT CAST({column} AS VARCHAR) AS start_date, COUNT(*) AS records
FROM staging.{table}
WHERE source = :source AND period = :period
GROUP BY {column}
