-- Rebuild the MARAC referral facts for one (source, quarter) from its staging slice.
-- Bound: :source, :period.
DELETE FROM core.fact_marac_referral WHERE source = :source AND period = :period;

INSERT INTO core.fact_marac_referral
    (source, period, case_ref, referral_date, victim_pseudonym, district_code, referring_agency,
     dash_score, load_batch_id, pseudonym_key_id)
SELECT s.source, s.period, s.case_ref, s.referral_date, s.victim_pseudonym, a.area_code, s.referring_agency,
       s.dash_score, s.load_batch_id, s.pseudonym_key_id
FROM staging.marac_referrals AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
