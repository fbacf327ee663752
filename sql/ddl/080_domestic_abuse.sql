-- Domestic abuse support service referrals: staging slice per (source, month), core fact with
-- district codes, and monthly counts per district. No person references in this source.

CREATE TABLE IF NOT EXISTS staging.domestic_abuse_referrals (
    source           VARCHAR NOT NULL,
    period           VARCHAR(10) NOT NULL,
    load_batch_id    VARCHAR NOT NULL,
    line             INTEGER NOT NULL,
    referral_date    DATE,
    service          VARCHAR,
    district_name    VARCHAR,
    referral_source  VARCHAR
);
COMMENT ON TABLE staging.domestic_abuse_referrals IS 'Validated domestic abuse service referrals as delivered, one row per referral; line is the line (Excel row) of the landed file.';

CREATE TABLE IF NOT EXISTS core.fact_da_referral (
    source           VARCHAR NOT NULL,
    period           VARCHAR(10) NOT NULL,
    line             INTEGER NOT NULL,
    referral_date    DATE NOT NULL,
    service          VARCHAR NOT NULL,
    district_code    VARCHAR(9) NOT NULL,
    referral_source  VARCHAR,
    load_batch_id    VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_da_referral IS 'One row per referral to a commissioned domestic abuse support service, by district (ONS code). period is the month of the file.';
COMMENT ON COLUMN core.fact_da_referral.referral_source IS 'Who referred (e.g. Police, Self, Health) as written by the service; may be empty (a validation warning).';

CREATE OR REPLACE VIEW core.da_referrals_monthly AS
SELECT
    p.month_start,
    r.district_code,
    COUNT(*) AS referrals
FROM core.fact_da_referral AS r
JOIN core.dim_period AS p
  ON p.calendar_year = EXTRACT(YEAR FROM r.referral_date)
 AND p.calendar_month = EXTRACT(MONTH FROM r.referral_date)
GROUP BY p.month_start, r.district_code;
COMMENT ON VIEW core.da_referrals_monthly IS 'Domestic abuse service referrals per month and district (sum the districts for the county); a district with no referrals in a month has no row.';
