-- Is each quarter's dashboard ready for the board? One row per quarter, replaced by every check
-- (safer_communities.dashboard.readiness: the daily DAG dashboard_deadlines and `safer-communities readiness`).

CREATE TABLE IF NOT EXISTS audit.dashboard_readiness (
    quarter_label   VARCHAR(10) NOT NULL,
    reporting_date  DATE NOT NULL,
    state           VARCHAR NOT NULL,
    delivered       INTEGER NOT NULL,
    excused         INTEGER NOT NULL,
    missing         INTEGER NOT NULL,
    missing_detail  VARCHAR,
    excused_detail  VARCHAR,
    as_of           DATE NOT NULL,
    checked_at      TIMESTAMP NOT NULL,
    first_late_at   TIMESTAMP,
    run_id          VARCHAR NOT NULL,
    PRIMARY KEY (quarter_label)
);
COMMENT ON TABLE audit.dashboard_readiness IS 'One row per financial-year quarter: whether its dashboard has every source period it needs by the quarter''s reporting date (include/config/reporting.yaml), as at the last check.';
COMMENT ON COLUMN audit.dashboard_readiness.reporting_date IS 'The day the board reads the quarter''s dashboard.';
COMMENT ON COLUMN audit.dashboard_readiness.state IS 'complete (nothing missing), in progress (something missing, before the reporting date) or late (something missing on or after it).';
COMMENT ON COLUMN audit.dashboard_readiness.delivered IS 'Source periods the dashboard needs that are available or incomplete.';
COMMENT ON COLUMN audit.dashboard_readiness.excused IS 'Source periods not needed by the reporting date: a declared outage, or a delivery deadline after it.';
COMMENT ON COLUMN audit.dashboard_readiness.missing IS 'Source periods awaited but due by the reporting date, late (deadline missed), rejected or never ingested.';
COMMENT ON COLUMN audit.dashboard_readiness.missing_detail IS 'Each missing source period: "<source> <period>: <status> - <reason>", separated by " | ".';
COMMENT ON COLUMN audit.dashboard_readiness.excused_detail IS 'Each excused source period: "<source> <period>: <status> - <why it is excused>", separated by " | ".';
COMMENT ON COLUMN audit.dashboard_readiness.as_of IS 'The date the check judged by (the Airflow run''s date), never the clock.';
COMMENT ON COLUMN audit.dashboard_readiness.checked_at IS 'When the check ran (wall clock).';
COMMENT ON COLUMN audit.dashboard_readiness.first_late_at IS 'When a check first found the quarter late (the one that alerted); kept by later checks.';
