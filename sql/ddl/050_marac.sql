-- MARAC referrals: staging slice per (source, quarter), core fact with pseudonymised victims,
-- and repeats derived across every quarter loaded (views in 150_pseudonym_keys.sql).

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
COMMENT ON TABLE core.fact_marac_referral IS 'One row per MARAC referral. victim_pseudonym is a keyed hash: the same victim has the same pseudonym in every quarter under one key (pseudonym_key_id; across a key rotation, core.pseudonym_link).';

-- The views core.marac_referral, core.marac_referral_repeat and core.marac_quarterly are in
-- 150_pseudonym_keys.sql: they follow a victim across key rotations (core.pseudonym_link).
