-- Pseudonymisation keys: the id of the key beside every pseudonym stored, and the links that keep a person one
-- person across a key rotation (safer_communities.sources.pseudonymise; docs/operating.md, "Key rotation"). After the tables it
-- alters; safe to re-run, as every file is on every migrate.

-- Rows loaded before key ids were recorded keep NULL.
ALTER TABLE staging.marac_referrals ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
ALTER TABLE core.fact_marac_referral ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
ALTER TABLE staging.iom_cohort ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
ALTER TABLE core.fact_iom_offender ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
ALTER TABLE staging.community_survey ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
ALTER TABLE core.fact_survey_response ADD COLUMN IF NOT EXISTS pseudonym_key_id VARCHAR;
COMMENT ON COLUMN staging.marac_referrals.pseudonym_key_id IS 'The id of the key case_ref and victim_pseudonym were made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN core.fact_marac_referral.pseudonym_key_id IS 'The id of the key case_ref and victim_pseudonym were made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN staging.iom_cohort.pseudonym_key_id IS 'The id of the key offender_pseudonym was made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN core.fact_iom_offender.pseudonym_key_id IS 'The id of the key offender_pseudonym was made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN staging.community_survey.pseudonym_key_id IS 'The id of the key respondent_pseudonym was made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN core.fact_survey_response.pseudonym_key_id IS 'The id of the key respondent_pseudonym was made under; NULL if loaded before key ids were recorded.';

CREATE TABLE IF NOT EXISTS staging.pseudonym_link (
    source          VARCHAR NOT NULL,
    period          VARCHAR(10) NOT NULL,
    load_batch_id   VARCHAR NOT NULL,
    from_key_id     VARCHAR NOT NULL,
    from_pseudonym  VARCHAR(64) NOT NULL,
    to_key_id       VARCHAR NOT NULL,
    to_pseudonym    VARCHAR(64) NOT NULL
);
COMMENT ON TABLE staging.pseudonym_link IS 'The links a (source, period) slice brought: each person reference of its file pseudonymised under a previous key still accepted (from) and under the current key (to). Pseudonyms and key ids only.';

CREATE TABLE IF NOT EXISTS core.pseudonym_link (
    from_pseudonym  VARCHAR(64) PRIMARY KEY,
    from_key_id     VARCHAR NOT NULL,
    to_pseudonym    VARCHAR(64) NOT NULL,
    to_key_id       VARCHAR NOT NULL,
    load_batch_id   VARCHAR NOT NULL
);
COMMENT ON TABLE core.pseudonym_link IS 'A pseudonym made under a previous key -> the same person''s pseudonym under the latest key that saw them, written with the slice that showed both (a link is kept when that slice is replaced). A later rotation moves the target on (A -> B becomes A -> C), so one step resolves any older pseudonym. Pseudonyms and key ids only, never a reference.';
COMMENT ON COLUMN core.pseudonym_link.from_pseudonym IS 'The pseudonym under the previous key from_key_id, as stored in rows loaded under it.';
COMMENT ON COLUMN core.pseudonym_link.from_key_id IS 'The id of the previous key from_pseudonym was made under.';
COMMENT ON COLUMN core.pseudonym_link.to_pseudonym IS 'The same reference''s pseudonym under the key to_key_id, the latest to have seen it.';
COMMENT ON COLUMN core.pseudonym_link.to_key_id IS 'The id of the key to_pseudonym was made under.';
COMMENT ON COLUMN core.pseudonym_link.load_batch_id IS 'The load (audit.load_batch) that last wrote the link.';

-- MARAC repeats, across every quarter loaded and every key rotation. Dropped and made again on every migrate
-- (a view's columns follow the fact's).
DROP VIEW IF EXISTS core.marac_quarterly;
DROP VIEW IF EXISTS core.marac_referral_repeat;
DROP VIEW IF EXISTS core.marac_referral;

CREATE VIEW core.marac_referral AS
WITH linked AS (
    SELECT r.*, COALESCE(l.to_pseudonym, r.victim_pseudonym) AS victim_linked_pseudonym
    FROM core.fact_marac_referral AS r
    LEFT JOIN core.pseudonym_link AS l ON l.from_pseudonym = r.victim_pseudonym
)
SELECT
    m.*,
    LAG(m.referral_date) OVER (
        PARTITION BY m.victim_linked_pseudonym ORDER BY m.referral_date, m.case_ref
    ) AS previous_referral_date
FROM linked AS m;
COMMENT ON VIEW core.marac_referral IS 'MARAC referrals with the same victim''s previous referral, across every quarter loaded. victim_linked_pseudonym is the victim''s pseudonym under the latest key (core.pseudonym_link), so a victim referred before and after a key rotation is one victim.';

CREATE VIEW core.marac_referral_repeat AS
SELECT
    m.*,
    m.previous_referral_date IS NOT NULL
        AND m.referral_date <= m.previous_referral_date + INTERVAL '12 months' AS is_repeat
FROM core.marac_referral AS m;
COMMENT ON VIEW core.marac_referral_repeat IS 'is_repeat: the victim''s previous referral was no more than 12 months before (on the same date 12 months later still counts).';

CREATE VIEW core.marac_quarterly AS
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
