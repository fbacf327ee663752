-- MARAC referrals: staging slice per (source, quarter), core fact with pseudonymised victims,
-- and repeats derived across every quarter loaded.

CREATE TABLE IF NOT EXISTS staging.marac_referrals (
    source            VARCHAR NOT NULL,
    period            VARCHAR(10) NOT NULL,
    load_batch_id     VARCHAR NOT NULL,
    line              INTEGER NOT NULL,
    case_ref          VARCHAR,
    referral_date     DATE,
    victim_pseudonym  VARCHAR(64),
    district_name     VARCHAR,
    referring_agency  VARCHAR,
    dash_score        INTEGER
);
COMMENT ON TABLE staging.marac_referrals IS 'Validated MARAC referrals as delivered, victim reference already replaced by its HMAC-SHA256 pseudonym.';

CREATE TABLE IF NOT EXISTS core.fact_marac_referral (
    source            VARCHAR NOT NULL,
    period            VARCHAR(10) NOT NULL,
    case_ref          VARCHAR NOT NULL,
    referral_date     DATE NOT NULL,
    victim_pseudonym  VARCHAR(64) NOT NULL,
    district_code     VARCHAR(9) NOT NULL,
    referring_agency  VARCHAR,
    dash_score        INTEGER,
    load_batch_id     VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_marac_referral IS 'One row per MARAC referral. victim_pseudonym is a keyed hash: the same victim has the same pseudonym in every quarter.';

CREATE OR REPLACE VIEW core.marac_referral AS
SELECT
    r.*,
    LAG(r.referral_date) OVER (
        PARTITION BY r.victim_pseudonym ORDER BY r.referral_date, r.case_ref
    ) AS previous_referral_date
FROM core.fact_marac_referral AS r;
COMMENT ON VIEW core.marac_referral IS 'MARAC referrals with the same victim''s previous referral, across every quarter loaded.';

CREATE OR REPLACE VIEW core.marac_referral_repeat AS
SELECT
    m.*,
    m.previous_referral_date IS NOT NULL
        AND m.referral_date <= m.previous_referral_date + INTERVAL '12 months' AS is_repeat
FROM core.marac_referral AS m;
COMMENT ON VIEW core.marac_referral_repeat IS 'is_repeat: the victim''s previous referral was no more than 12 months before (on the same date 12 months later still counts).';

CREATE OR REPLACE VIEW core.marac_quarterly AS
SELECT
    p.quarter_label,
    r.district_code,
    COUNT(*) AS referrals,
    SUM(CASE WHEN r.is_repeat THEN 1 ELSE 0 END) AS repeat_referrals
FROM core.marac_referral_repeat AS r
JOIN core.dim_period AS p
  ON p.calendar_year = EXTRACT(YEAR FROM r.referral_date)
 AND p.calendar_month = EXTRACT(MONTH FROM r.referral_date)
GROUP BY p.quarter_label, r.district_code;
COMMENT ON VIEW core.marac_quarterly IS 'MARAC referrals and repeat referrals per financial-year quarter and district (sum the districts for the county).';
