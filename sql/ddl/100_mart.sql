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
    run_id              VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    computed_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter_label, indicator_id, area_code)
);
COMMENT ON TABLE mart.dashboard_quarterly IS 'One row per indicator x area (the county and its seven districts) x financial-year quarter. Figures use the true values; mart.dashboard_published applies small-number suppression. Columns are described in the README (The dashboard mart).';
COMMENT ON COLUMN mart.dashboard_quarterly.value IS 'The quarter''s value in the indicator''s unit; NULL when the data is not available (never 0).';
COMMENT ON COLUMN mart.dashboard_quarterly.status IS 'Availability inherited from the sources: the worst status of any source period the quarter''s value needs (rejected, unavailable, late, incomplete, available).';
COMMENT ON COLUMN mart.dashboard_quarterly.on_track IS 'green, amber (missed by no more than 5%), red or grey (no target, or data not available), judged on the year-to-date value.';
COMMENT ON COLUMN mart.dashboard_quarterly.trend IS 'Over the six months to the quarter end (Poisson regression, Wald test): improving, worsening, increasing, decreasing, no significant change, or cannot be calculated.';
COMMENT ON COLUMN mart.dashboard_quarterly.comparison IS 'Districts only: better, similar or worse than the county (higher, similar or lower where there is no judgement), by the 95% interval.';
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
    persons             BIGINT,
    suppressed          BOOLEAN NOT NULL,
    suppression         VARCHAR,
    run_id              VARCHAR NOT NULL,
    code_version        VARCHAR NOT NULL,
    computed_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (quarter_label, indicator_id, area_code, month_start)
);
COMMENT ON TABLE mart.dashboard_monthly IS 'The six months to each quarter''s end of every monthly indicator, per area and month: the series behind the six-month trend, for the report''s trend charts. Written with the quarter by safer_communities.dashboard; mart.dashboard_monthly_published hides small numbers.';
COMMENT ON COLUMN mart.dashboard_monthly.status IS 'The month''s own availability (the worst status of its sources); value is NULL when the data is not available (never 0).';
COMMENT ON COLUMN mart.dashboard_monthly.suppression IS 'primary: 1-4 people in the month; secondary: hidden so that the county''s month or the area''s quarter cannot reveal a primary cell.';

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

CREATE OR REPLACE VIEW mart.dashboard_published AS
SELECT
    d.quarter_label, d.quarter_start, d.priority_id, d.priority_name, d.indicator_id, d.indicator_name,
    d.sort_order, d.area_code, d.area_name, d.area_type, d.unit, d.polarity, d.status, d.status_reason,
    CASE WHEN d.suppressed THEN NULL ELSE d.value END AS value,
    d.value_display,
    CASE WHEN d.suppressed THEN NULL ELSE d.numerator END AS numerator,
    CASE WHEN d.suppressed THEN NULL ELSE d.denominator END AS denominator,
    CASE WHEN d.suppressed THEN NULL ELSE d.interval_lower END AS interval_lower,
    CASE WHEN d.suppressed THEN NULL ELSE d.interval_upper END AS interval_upper,
    d.interval_method,
    CASE WHEN d.suppressed THEN NULL ELSE d.last_year_value END AS last_year_value,
    CASE WHEN d.suppressed THEN NULL ELSE d.change END AS change,
    CASE WHEN d.suppressed THEN NULL ELSE d.change_percent END AS change_percent,
    CASE WHEN d.suppressed THEN NULL ELSE d.ytd_value END AS ytd_value,
    CASE WHEN d.suppressed THEN NULL ELSE d.ytd_numerator END AS ytd_numerator,
    CASE WHEN d.suppressed THEN NULL ELSE d.ytd_denominator END AS ytd_denominator,
    CASE WHEN d.suppressed THEN NULL ELSE d.previous_value END AS previous_value,
    d.target_kind,
    CASE WHEN d.suppressed THEN NULL ELSE d.target_value END AS target_value,
    d.target_text,
    -- a hidden figure's judgements would hint at it: they are hidden too
    CASE WHEN d.suppressed THEN NULL ELSE d.on_track END AS on_track,
    CASE WHEN d.suppressed THEN 'figures hidden: fewer than 5 people' ELSE d.on_track_reason END AS on_track_reason,
    CASE WHEN d.suppressed THEN NULL ELSE d.trend END AS trend,
    d.trend_basis,
    CASE WHEN d.suppressed THEN NULL ELSE d.comparison END AS comparison,
    d.comparison_basis,
    CASE WHEN d.suppressed THEN NULL ELSE d.district_rank END AS district_rank,
    d.districts_ranked,
    d.suppressed, d.suppression, d.run_id, d.code_version, d.computed_at
FROM mart.dashboard_quarterly AS d;
COMMENT ON VIEW mart.dashboard_published IS 'The dashboard for report generators: person-level figures of 1-4 people hidden (value_display ''<5''), with secondary suppression (''[c]'') so a county total cannot reveal a hidden district, and the hidden rows'' on-track status, trend, comparison and rank hidden with them; ''n/a'' where data is not available.';

CREATE OR REPLACE VIEW mart.dashboard_monthly_published AS
SELECT
    m.quarter_label, m.indicator_id, m.indicator_name, m.sort_order, m.area_code, m.area_name, m.area_type,
    m.unit, m.polarity, m.month_start, m.status, m.status_reason,
    CASE WHEN m.suppressed THEN NULL ELSE m.value END AS value,
    m.value_display,
    CASE WHEN m.suppressed THEN NULL ELSE m.numerator END AS numerator,
    CASE WHEN m.suppressed THEN NULL ELSE m.denominator END AS denominator,
    m.suppressed, m.suppression, m.run_id, m.code_version, m.computed_at
FROM mart.dashboard_monthly AS m;
COMMENT ON VIEW mart.dashboard_monthly_published IS 'The monthly series for report generators: hidden cells have no value (value_display ''<5'' or ''[c]''), ''n/a'' where data is not available; persons are not published.';
