-- Probation: the Integrated Offender Management (IOM) cohort. Staging slice per (source, cohort
-- year), core fact with pseudonymised offenders, and the cohort's reduction in offending per area.

CREATE TABLE IF NOT EXISTS staging.iom_cohort (
    source              VARCHAR NOT NULL,
    period              VARCHAR(10) NOT NULL,
    load_batch_id       VARCHAR NOT NULL,
    line                INTEGER NOT NULL,
    offender_pseudonym  VARCHAR(64),
    cohort              VARCHAR,
    district_name       VARCHAR,
    baseline_offences   INTEGER,
    followup_offences   INTEGER,
    start_date          DATE,
    exit_date           DATE
);
COMMENT ON TABLE staging.iom_cohort IS 'Validated IOM cohort extracts as delivered, one slice per cohort year; offender reference already replaced by its HMAC-SHA256 pseudonym.';

CREATE TABLE IF NOT EXISTS core.fact_iom_offender (
    source              VARCHAR NOT NULL,
    cohort_fy           VARCHAR(7) NOT NULL,
    offender_pseudonym  VARCHAR(64) NOT NULL,
    district_code       VARCHAR(9) NOT NULL,
    baseline_offences   INTEGER NOT NULL,
    followup_offences   INTEGER NOT NULL,
    start_date          DATE,
    exit_date           DATE,
    load_batch_id       VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_iom_offender IS 'One row per offender adopted onto IOM in a cohort year. offender_pseudonym is a keyed hash: the same offender has the same pseudonym in every cohort.';
COMMENT ON COLUMN core.fact_iom_offender.cohort_fy IS 'The cohort''s financial year, e.g. ''2014/15'' (the period the extract was loaded for).';
COMMENT ON COLUMN core.fact_iom_offender.baseline_offences IS 'Proven offences in the 12 months before adoption.';
COMMENT ON COLUMN core.fact_iom_offender.followup_offences IS 'Proven offences in the 12 months after adoption.';

CREATE OR REPLACE VIEW core.iom_cohort_reduction AS
WITH per_area AS (
    SELECT f.cohort_fy, f.district_code AS area_code, COUNT(*) AS cohort_size,
           SUM(f.baseline_offences) AS baseline_offences, SUM(f.followup_offences) AS followup_offences
    FROM core.fact_iom_offender AS f
    GROUP BY f.cohort_fy, f.district_code
    UNION ALL
    SELECT f.cohort_fy, d.parent_code AS area_code, COUNT(*),
           SUM(f.baseline_offences), SUM(f.followup_offences)
    FROM core.fact_iom_offender AS f
    JOIN core.dim_area AS d ON d.area_code = f.district_code
    GROUP BY f.cohort_fy, d.parent_code
),
grid AS (
    SELECT c.cohort_fy, a.area_code, a.area_name, a.area_type
    FROM (SELECT DISTINCT cohort_fy FROM core.fact_iom_offender) AS c
    CROSS JOIN core.dim_area AS a
    WHERE a.in_county
),
reduction AS (
    SELECT
        g.cohort_fy,
        g.area_code,
        g.area_name,
        g.area_type,
        CAST(COALESCE(p.cohort_size, 0) AS BIGINT) AS cohort_size,
        CAST(COALESCE(p.baseline_offences, 0) AS BIGINT) AS baseline_offences,
        CAST(COALESCE(p.followup_offences, 0) AS BIGINT) AS followup_offences,
        CASE WHEN COALESCE(p.baseline_offences, 0) = 0 THEN NULL
             ELSE CAST(p.baseline_offences - p.followup_offences AS DOUBLE PRECISION) * 100
                  / CAST(p.baseline_offences AS DOUBLE PRECISION)
        END AS reduction_pct
    FROM grid AS g
    LEFT JOIN per_area AS p ON p.cohort_fy = g.cohort_fy AND p.area_code = g.area_code
),
years AS (
    SELECT DISTINCT financial_year, fy_start_year FROM core.dim_period
)
SELECT
    r.cohort_fy,
    r.area_code,
    r.area_name,
    r.area_type,
    r.cohort_size,
    r.baseline_offences,
    r.followup_offences,
    r.reduction_pct,
    prev.cohort_fy AS previous_cohort_fy,
    prev.cohort_size AS previous_cohort_size,
    prev.reduction_pct AS previous_reduction_pct,
    r.reduction_pct - prev.reduction_pct AS reduction_change_points
FROM reduction AS r
LEFT JOIN years AS y ON y.financial_year = r.cohort_fy
LEFT JOIN years AS py ON py.fy_start_year = y.fy_start_year - 1
LEFT JOIN reduction AS prev ON prev.cohort_fy = py.financial_year AND prev.area_code = r.area_code;
COMMENT ON VIEW core.iom_cohort_reduction IS 'IOM cohort reduction in proven offending per cohort year and area (the county and each of its seven districts; a district with no offenders in the cohort has size 0): reduction_pct = (baseline - follow-up) / baseline x 100, NULL when the baseline is 0 (negative = offending rose). previous_* are the same area''s figures for the cohort of the financial year before, NULL when that cohort is not loaded; reduction_change_points = reduction_pct - previous_reduction_pct.';
