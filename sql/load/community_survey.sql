-- Rebuild the survey responses for one (source, quarter) from its staging slice.
-- Bound: :source, :period.
DELETE FROM core.fact_survey_response WHERE source = :source AND period = :period;

INSERT INTO core.fact_survey_response
    (source, period, respondent_pseudonym, interview_date, district_code, weight, asb_problem, agree_dealing,
     feel_safe_after_dark, load_batch_id, pseudonym_key_id)
SELECT s.source, s.period, s.respondent_pseudonym, s.interview_date, a.area_code, s.weight, s.asb_problem,
       s.agree_dealing, s.feel_safe_after_dark, s.load_batch_id, s.pseudonym_key_id
FROM staging.community_survey AS s
JOIN core.dim_area AS a ON a.area_name = s.district_name AND a.area_type = 'district'
WHERE s.source = :source AND s.period = :period;
