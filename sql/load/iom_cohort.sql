-- Rebuild the IOM cohort facts for one (source, cohort year) from its staging slice.
-- Bound: :source, :period (the cohort's financial year, e.g. '2014/15').
DELETE FROM core.fact_iom_offender WHERE source = :source AND cohort_fy = :period;

INSERT INTO core.fact_iom_offender
    (source, cohort_fy, offender_pseudonym, district_code, baseline_offences, followup_offences,
     start_date, exit_date, load_batch_id, pseudonym_key_id)
SELECT s.source, s.period, s.offender_pseudonym, a.area_code, s.baseline_offences, s.followup_offences,
       s.start_date, s.exit_date, s.load_batch_id, s.pseudonym_key_id
FROM staging.iom_cohort AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
