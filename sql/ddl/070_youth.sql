-- Youth offending service: first-time entrants and proven re-offending, aggregate counts per
-- county district and quarter (no person references). Staging slices per (source, quarter), core
-- facts keyed by district code, and the re-offending rate with the county as the sum of districts.

CREATE TABLE IF NOT EXISTS staging.youth_first_time_entrants (
    source               VARCHAR NOT NULL,
    period               VARCHAR(10) NOT NULL,
    load_batch_id        VARCHAR NOT NULL,
    line                 INTEGER NOT NULL,
    district_name        VARCHAR,
    quarter              VARCHAR,
    first_time_entrants  INTEGER
);
COMMENT ON TABLE staging.youth_first_time_entrants IS 'Validated first-time entrants returns as delivered: one row per district and quarter.';

CREATE TABLE IF NOT EXISTS staging.youth_reoffending (
    source          VARCHAR NOT NULL,
    period          VARCHAR(10) NOT NULL,
    load_batch_id   VARCHAR NOT NULL,
    line            INTEGER NOT NULL,
    district_name   VARCHAR,
    cohort_quarter  VARCHAR,
    cohort_size     INTEGER,
    reoffenders     INTEGER
);
COMMENT ON TABLE staging.youth_reoffending IS 'Validated proven re-offending returns as delivered: one row per district and cohort quarter.';

CREATE TABLE IF NOT EXISTS core.fact_youth_first_time_entrants (
    source               VARCHAR NOT NULL,
    period               VARCHAR(10) NOT NULL,
    district_code        VARCHAR(9) NOT NULL,
    first_time_entrants  INTEGER NOT NULL,
    load_batch_id        VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_youth_first_time_entrants IS 'First-time entrants to the youth justice system (first caution or conviction, aged 10-17) per county district and financial-year quarter.';
COMMENT ON COLUMN core.fact_youth_first_time_entrants.period IS 'Financial-year quarter, e.g. ''2015/16 Q1''.';

CREATE TABLE IF NOT EXISTS core.fact_youth_reoffending (
    source         VARCHAR NOT NULL,
    period         VARCHAR(10) NOT NULL,
    district_code  VARCHAR(9) NOT NULL,
    cohort_size    INTEGER NOT NULL,
    reoffenders    INTEGER NOT NULL,
    load_batch_id  VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_youth_reoffending IS 'Proven re-offending per county district: the cohort of young people cautioned, convicted or released in the quarter, and how many re-offended within 12 months (proven within a further 6). Delivered about 18 months after the quarter.';
COMMENT ON COLUMN core.fact_youth_reoffending.period IS 'The cohort quarter, e.g. ''2015/16 Q1'' (not the quarter the data arrived).';

CREATE OR REPLACE VIEW core.youth_reoffending_rate AS
WITH by_area AS (
    SELECT r.period, r.district_code AS area_code, r.cohort_size, r.reoffenders
    FROM core.fact_youth_reoffending AS r
    UNION ALL
    SELECT r.period, 'E10000018' AS area_code, SUM(r.cohort_size) AS cohort_size, SUM(r.reoffenders) AS reoffenders
    FROM core.fact_youth_reoffending AS r
    GROUP BY r.period
)
SELECT
    b.period,
    b.area_code,
    a.area_name,
    a.area_type,
    b.cohort_size,
    b.reoffenders,
    CASE WHEN b.cohort_size = 0 THEN NULL
         ELSE CAST(b.reoffenders AS DOUBLE PRECISION) * 100 / b.cohort_size END AS rate_pct
FROM by_area AS b
JOIN core.dim_area AS a ON a.area_code = b.area_code;
COMMENT ON VIEW core.youth_reoffending_rate IS 'Proven re-offending rate per cohort quarter for each district and the county (E10000018, the sum of the districts loaded): rate_pct = reoffenders / cohort_size x 100, NULL for an empty cohort.';
