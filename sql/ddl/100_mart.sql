-- The quarterly dashboard: the seed report's Appendix 1, every quarter, for the county and each
-- district. Written by safer_communities.dashboard, one quarter at a time in one transaction.

CREATE TABLE IF NOT EXISTS mart.dashboard_quarterly (
    quarter_label       VARCHAR(10) NOT NULL,
    quarter_start       DATE NOT NULL,
    priority_id         VARCHAR NOT NULL,
    priority_name       VARCHAR NOT NULL,
    indicator_id        VARCHAR NOT NULL,
    indicator_name      VARCHAR NOT NULL,
    sort_order          INTEGER NOT NULL,
    area_code           VARCHAR(9) NOT NULL,
    area_name           VARCHAR NOT NULL,
    area_type           VARCHAR NOT NULL,
    unit                VARCHAR NOT NULL,
    polarity            VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    status_reason       VARCHAR NOT NULL,
    value               DOUBLE PRECISION,
    value_display       VARCHAR NOT NULL,
    numerator           DOUBLE PRECISION,
    denominator         DOUBLE PRECISION,
    population_year     INTEGER,
    population_note     VARCHAR,
    interval_lower      DOUBLE PRECISION,
    interval_upper      DOUBLE PRECISION,
    interval_method     VARCHAR,
    last_year_value     DOUBLE PRECISION,
    change              DOUBLE PRECISION,
    change_percent      DOUBLE PRECISION,
    ytd_value           DOUBLE PRECISION,
    ytd_numerator       DOUBLE PRECISION,
    ytd_denominator     DOUBLE PRECISION,
    previous_value      DOUBLE PRECISION,
    target_kind         VARCHAR NOT NULL,
    target_value        DOUBLE PRECISION,
    target_text         VARCHAR NOT NULL,
    on_track            VARCHAR NOT NULL,
    on_track_reason     VARCHAR NOT NULL,
    trend               VARCHAR NOT NULL,
    trend_basis         VARCHAR NOT NULL,
    comparison          VARCHAR,
    comparison_basis    VARCHAR,
    district_rank       INTEGER,
    districts_ranked    INTEGER,
    persons             BIGINT,
    suppressed          BOOLEAN NOT NULL,
    suppression         VARCHAR,
    ytd_suppression     VARCHAR,
    last_year_suppression VARCHAR,
    previous_suppression VARCHAR,
    trend_suppressed    BOOLEAN NOT NULL DEFAULT FALSE,
    run_id              VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    computed_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter_label, indicator_id, area_code)
);
-- Warehouses created before the per-figure suppression columns get them here.
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS ytd_suppression VARCHAR;
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS last_year_suppression VARCHAR;
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS previous_suppression VARCHAR;
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS trend_suppressed BOOLEAN DEFAULT FALSE;
-- Warehouses created before the population years get them here.
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS population_year INTEGER;
ALTER TABLE mart.dashboard_quarterly ADD COLUMN IF NOT EXISTS population_note VARCHAR;
COMMENT ON TABLE mart.dashboard_quarterly IS 'One row per indicator x area (the county and its seven districts) x financial-year quarter. Figures use the true values; mart.dashboard_published withholds what disclosure control hides (safer_communities.dashboard.disclosure). Each column is described in its own comment (docs/data-dictionary.md); how a row is worked out in docs/dashboard.md.';
COMMENT ON COLUMN mart.dashboard_quarterly.suppression IS 'The quarter''s value withheld: primary (its own count is 1-4 people, shown <5) or secondary (withheld so that a small number elsewhere cannot be worked out, shown [c]); NULL when published.';
COMMENT ON COLUMN mart.dashboard_quarterly.ytd_suppression IS 'The year to date withheld (primary or secondary), as suppression is for the quarter''s value.';
COMMENT ON COLUMN mart.dashboard_quarterly.last_year_suppression IS 'Last year''s value (and so the change) withheld, as it was in its own quarter.';
COMMENT ON COLUMN mart.dashboard_quarterly.previous_suppression IS 'The previous value a target is set from (and so the target and the on-track judgement) withheld.';
COMMENT ON COLUMN mart.dashboard_quarterly.trend_suppressed IS 'A month of the six-month trend is withheld, so the trend word is not published.';
COMMENT ON COLUMN mart.dashboard_quarterly.value IS 'The quarter''s value in the indicator''s unit; NULL when the data is not available (never 0).';
COMMENT ON COLUMN mart.dashboard_quarterly.status IS 'Availability inherited from the sources: the worst status of any source period the quarter''s value needs (rejected, unavailable, late, awaited, incomplete, available).';
COMMENT ON COLUMN mart.dashboard_quarterly.on_track IS 'green, amber (missed by no more than 5%), red or grey (no target, or data not available), judged on the year-to-date value.';
COMMENT ON COLUMN mart.dashboard_quarterly.trend IS 'Over the six months to the quarter end (Poisson regression, Wald test): improving, worsening, increasing, decreasing, no significant change, or cannot be calculated.';
COMMENT ON COLUMN mart.dashboard_quarterly.comparison IS 'Districts only: better, similar or worse than the county (higher, similar or lower where there is no judgement), by the 95% interval.';
COMMENT ON COLUMN mart.dashboard_quarterly.population_year IS 'Rates: the ONS mid-year estimate the value (and the year to date) is per, and the denominator is: the year its financial year starts in (2015/16: mid-2015), else the nearest year available. NULL for counts and percentages, and when there is no value.';
COMMENT ON COLUMN mart.dashboard_quarterly.population_note IS 'Rates: why a figure of the row is not per its own year''s estimate (the value, or last year''s figures), e.g. ''mid-2015 estimate used: no estimate for 2019 in the reference data''; NULL when every figure uses its own year.';
COMMENT ON COLUMN mart.dashboard_quarterly.persons IS 'The people behind the quarter''s figure (person-level indicators); not published.';

CREATE TABLE IF NOT EXISTS mart.dashboard_monthly (
    quarter_label       VARCHAR(10) NOT NULL,
    indicator_id        VARCHAR NOT NULL,
    indicator_name      VARCHAR NOT NULL,
    sort_order          INTEGER NOT NULL,
    area_code           VARCHAR(9) NOT NULL,
    area_name           VARCHAR NOT NULL,
    area_type           VARCHAR NOT NULL,
    unit                VARCHAR NOT NULL,
    polarity            VARCHAR NOT NULL,
    month_start         DATE NOT NULL,
    status              VARCHAR NOT NULL,
    status_reason       VARCHAR NOT NULL,
    value               DOUBLE PRECISION,
    value_display       VARCHAR NOT NULL,
    numerator           DOUBLE PRECISION,
    denominator         DOUBLE PRECISION,
    population_year     INTEGER,
    population_note     VARCHAR,
    persons             BIGINT,
    suppressed          BOOLEAN NOT NULL,
    suppression         VARCHAR,
    run_id              VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    computed_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter_label, indicator_id, area_code, month_start)
);
-- Warehouses created before the population years get them here.
ALTER TABLE mart.dashboard_monthly ADD COLUMN IF NOT EXISTS population_year INTEGER;
ALTER TABLE mart.dashboard_monthly ADD COLUMN IF NOT EXISTS population_note VARCHAR;
COMMENT ON TABLE mart.dashboard_monthly IS 'The six months to each quarter''s end of every monthly indicator, per area and month: the series behind the six-month trend, for the report''s trend charts. Written with the quarter by safer_communities.dashboard; mart.dashboard_monthly_published hides small numbers.';
COMMENT ON COLUMN mart.dashboard_monthly.status IS 'The month''s own availability (the worst status of its sources); value is NULL when the data is not available (never 0).';
COMMENT ON COLUMN mart.dashboard_monthly.population_year IS 'Rates: the ONS mid-year estimate the month''s value is per (its financial year''s, else the nearest available); NULL otherwise.';
COMMENT ON COLUMN mart.dashboard_monthly.population_note IS 'Rates: why the month''s value is not per its own year''s estimate; NULL when it is.';
COMMENT ON COLUMN mart.dashboard_monthly.suppression IS 'primary: 1-4 people in the month (<5); secondary: withheld so that a small number elsewhere cannot be worked out ([c]).';

CREATE TABLE IF NOT EXISTS mart.dashboard_summary (
    quarter_label        VARCHAR(10) NOT NULL,
    priority_id          VARCHAR NOT NULL,
    priority_name        VARCHAR NOT NULL,
    sort_order           INTEGER NOT NULL,
    indicators           INTEGER NOT NULL,
    with_data            INTEGER NOT NULL,
    on_track             INTEGER NOT NULL,
    amber                INTEGER NOT NULL,
    red                  INTEGER NOT NULL,
    no_target            INTEGER NOT NULL,
    not_available        INTEGER NOT NULL,
    improving            INTEGER NOT NULL,
    worsening            INTEGER NOT NULL,
    unavailable_reasons  VARCHAR,
    note                 VARCHAR,
    run_id               VARCHAR NOT NULL,
    code_version         VARCHAR NOT NULL,
    computed_at          TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter_label, priority_id)
);
COMMENT ON TABLE mart.dashboard_summary IS 'Per quarter, county level: the overall row (priority_id ''all'') and one row per priority: indicators with data, on track (green), amber, red, no target, not available with the reasons. The material of the report''s Overall Performance Summary.';

DROP VIEW IF EXISTS mart.dashboard_published;
CREATE VIEW mart.dashboard_published AS
SELECT
    d.quarter_label, d.quarter_start, d.priority_id, d.priority_name, d.indicator_id, d.indicator_name,
    d.sort_order, d.area_code, d.area_name, d.area_type, d.unit, d.polarity, d.status, d.status_reason,
    CASE WHEN d.suppressed THEN NULL ELSE d.value END AS value,
    d.value_display,
    CASE WHEN d.suppressed THEN NULL ELSE d.numerator END AS numerator,
    CASE WHEN d.suppressed THEN NULL ELSE d.denominator END AS denominator,
    d.population_year, d.population_note,
    CASE WHEN d.suppressed THEN NULL ELSE d.interval_lower END AS interval_lower,
    CASE WHEN d.suppressed THEN NULL ELSE d.interval_upper END AS interval_upper,
    d.interval_method,
    CASE WHEN d.last_year_suppression IS NULL THEN d.last_year_value END AS last_year_value,
    CASE WHEN d.suppressed OR d.last_year_suppression IS NOT NULL THEN NULL ELSE d.change END AS change,
    CASE WHEN d.suppressed OR d.last_year_suppression IS NOT NULL THEN NULL ELSE d.change_percent END AS change_percent,
    CASE WHEN d.ytd_suppression IS NULL THEN d.ytd_value END AS ytd_value,
    CASE WHEN d.ytd_suppression IS NULL THEN d.ytd_numerator END AS ytd_numerator,
    CASE WHEN d.ytd_suppression IS NULL THEN d.ytd_denominator END AS ytd_denominator,
    CASE WHEN d.previous_suppression IS NULL THEN d.previous_value END AS previous_value,
    d.target_kind,
    -- a target set from a withheld previous value would reveal it
    CASE WHEN d.previous_suppression IS NOT NULL AND d.target_kind IN ('reduce_by_percent', 'beat_previous_cohort')
         THEN NULL ELSE d.target_value END AS target_value,
    d.target_text,
    -- a judgement on a withheld figure would hint at it: withheld too
    CASE WHEN d.ytd_suppression IS NOT NULL OR (d.previous_suppression IS NOT NULL
              AND d.target_kind IN ('reduce_by_percent', 'beat_previous_cohort'))
         THEN NULL ELSE d.on_track END AS on_track,
    CASE WHEN d.ytd_suppression IS NOT NULL OR (d.previous_suppression IS NOT NULL
              AND d.target_kind IN ('reduce_by_percent', 'beat_previous_cohort'))
         THEN 'not shown: the figures it is judged on are withheld to protect small numbers'
         ELSE d.on_track_reason END AS on_track_reason,
    CASE WHEN d.suppressed OR d.trend_suppressed THEN NULL ELSE d.trend END AS trend,
    d.trend_basis,
    CASE WHEN d.suppressed THEN NULL ELSE d.comparison END AS comparison,
    d.comparison_basis,
    CASE WHEN d.suppressed THEN NULL ELSE d.district_rank END AS district_rank,
    d.districts_ranked,
    d.suppressed, d.suppression, d.ytd_suppression, d.last_year_suppression, d.previous_suppression,
    d.trend_suppressed, d.run_id, d.code_version, d.computed_at
FROM mart.dashboard_quarterly AS d;
COMMENT ON VIEW mart.dashboard_published IS 'The dashboard for report generators, after disclosure control: a count of 1-4 people is withheld (value_display ''<5''), other figures are withheld so that no small number can be worked out from what is published (''[c]''), each figure of a row (the quarter, the year to date, last year, the previous value) on its own, with the judgements made from it; ''n/a'' where data is not available. Audited by a linear programme before it is written.';

-- Dropped and recreated: a column added in the middle (population_year) cannot be a REPLACE on PostgreSQL.
DROP VIEW IF EXISTS mart.dashboard_monthly_published;
CREATE VIEW mart.dashboard_monthly_published AS
SELECT
    m.quarter_label, m.indicator_id, m.indicator_name, m.sort_order, m.area_code, m.area_name, m.area_type,
    m.unit, m.polarity, m.month_start, m.status, m.status_reason,
    CASE WHEN m.suppressed THEN NULL ELSE m.value END AS value,
    m.value_display,
    CASE WHEN m.suppressed THEN NULL ELSE m.numerator END AS numerator,
    CASE WHEN m.suppressed THEN NULL ELSE m.denominator END AS denominator,
    m.population_year, m.population_note,
    m.suppressed, m.suppression, m.run_id, m.code_version, m.computed_at
FROM mart.dashboard_monthly AS m;
COMMENT ON VIEW mart.dashboard_monthly_published IS 'The monthly series for report generators: hidden cells have no value (value_display ''<5'' or ''[c]''), ''n/a'' where data is not available; persons are not published.';
