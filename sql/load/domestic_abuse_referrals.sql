-- Rebuild the domestic abuse referral facts for one (source, month) from its staging slice.
-- Bound: :source, :period.
DELETE FROM core.fact_da_referral WHERE source = :source AND period = :period;

INSERT INTO core.fact_da_referral
    (source, period, line, referral_date, service, district_code, referral_source, load_batch_id)
SELECT s.source, s.period, s.line, s.referral_date, s.service, a.area_code, s.referral_source, s.load_batch_id
FROM staging.domestic_abuse_referrals AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
