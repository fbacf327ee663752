-- Community Based Survey: staging slice per (source, quarter), one core row per respondent
-- (pseudonymised), and the weighted quarterly measures per area.

CREATE TABLE IF NOT EXISTS staging.community_survey (
    source                VARCHAR NOT NULL,
    period                VARCHAR(10) NOT NULL,
    load_batch_id         VARCHAR NOT NULL,
    line                  INTEGER NOT NULL,
    respondent_pseudonym  VARCHAR(64),
    interview_date        DATE,
    district_name         VARCHAR,
    weight                DOUBLE PRECISION,
    asb_problem           VARCHAR,
    agree_dealing         VARCHAR,
    feel_safe_after_dark  VARCHAR
);
COMMENT ON TABLE staging.community_survey IS 'Validated Community Based Survey responses as delivered, respondent reference already replaced by its HMAC-SHA256 pseudonym.';

CREATE TABLE IF NOT EXISTS core.fact_survey_response (
    source                VARCHAR NOT NULL,
    period                VARCHAR(10) NOT NULL,
    respondent_pseudonym  VARCHAR(64) NOT NULL,
    interview_date        DATE NOT NULL,
    district_code         VARCHAR(9) NOT NULL,
    weight                DOUBLE PRECISION NOT NULL,
    asb_problem           VARCHAR,
    agree_dealing         VARCHAR,
    feel_safe_after_dark  VARCHAR,
    load_batch_id         VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_survey_response IS 'One row per survey respondent. respondent_pseudonym is a keyed hash; weight is the survey weight supplied by the research team. Answers are the questionnaire''s wording; empty = not asked or refused.';
COMMENT ON COLUMN core.fact_survey_response.agree_dealing IS 'Agreement that the police and council are dealing with the anti-social behaviour and crime issues that matter in the area.';

CREATE OR REPLACE VIEW core.survey_answer AS
SELECT
    r.source, r.period, r.respondent_pseudonym, r.interview_date, r.district_code, r.weight,
    'asb_problem' AS measure,
    r.asb_problem AS answer,
    COALESCE(r.asb_problem IN ('Very big problem', 'Fairly big problem', 'Not a very big problem',
                               'Not a problem at all'), FALSE) AS in_base,
    COALESCE(r.asb_problem IN ('Very big problem', 'Fairly big problem'), FALSE) AS is_yes
FROM core.fact_survey_response AS r
UNION ALL
SELECT
    r.source, r.period, r.respondent_pseudonym, r.interview_date, r.district_code, r.weight,
    'agree_dealing' AS measure,
    r.agree_dealing AS answer,
    COALESCE(r.agree_dealing IN ('Strongly agree', 'Tend to agree', 'Neither agree nor disagree',
                                 'Tend to disagree', 'Strongly disagree'), FALSE) AS in_base,
    COALESCE(r.agree_dealing IN ('Strongly agree', 'Tend to agree'), FALSE) AS is_yes
FROM core.fact_survey_response AS r
UNION ALL
SELECT
    r.source, r.period, r.respondent_pseudonym, r.interview_date, r.district_code, r.weight,
    'feel_safe' AS measure,
    r.feel_safe_after_dark AS answer,
    COALESCE(r.feel_safe_after_dark IN ('Very safe', 'Fairly safe', 'A bit unsafe', 'Very unsafe'), FALSE)
        AS in_base,
    COALESCE(r.feel_safe_after_dark IN ('Very safe', 'Fairly safe'), FALSE) AS is_yes
FROM core.fact_survey_response AS r;
COMMENT ON VIEW core.survey_answer IS 'One row per respondent and measure. in_base: a substantive answer (not Don''t know, not blank, not an unknown wording); is_yes: asb_problem = very or fairly big problem, agree_dealing = strongly or tend to agree, feel_safe = very or fairly safe (after dark).';

CREATE OR REPLACE VIEW core.survey_quarterly AS
WITH answers AS (
    SELECT p.quarter_label, area.area_code, s.measure, s.weight, s.is_yes
    FROM core.survey_answer AS s
    JOIN core.dim_period AS p
      ON p.calendar_year = EXTRACT(YEAR FROM s.interview_date)
     AND p.calendar_month = EXTRACT(MONTH FROM s.interview_date)
    JOIN core.dim_area AS d ON d.area_code = s.district_code
    JOIN core.dim_area AS area ON area.area_code = d.area_code OR area.area_code = d.parent_code
    WHERE s.in_base
),
sums AS (
    SELECT
        quarter_label, area_code, measure,
        COUNT(*) AS respondents,
        SUM(CASE WHEN is_yes THEN weight ELSE 0 END) AS weighted_yes,
        SUM(weight) AS weighted_total,
        SUM(weight * weight) AS weighted_squares
    FROM answers
    GROUP BY quarter_label, area_code, measure
),
quarters AS (
    SELECT DISTINCT p.quarter_label
    FROM core.fact_survey_response AS r
    JOIN core.dim_period AS p
      ON p.calendar_year = EXTRACT(YEAR FROM r.interview_date)
     AND p.calendar_month = EXTRACT(MONTH FROM r.interview_date)
),
measures AS (
    SELECT 'asb_problem' AS measure
    UNION ALL SELECT 'agree_dealing'
    UNION ALL SELECT 'feel_safe'
)
SELECT
    q.quarter_label,
    a.area_code,
    a.area_name,
    m.measure,
    COALESCE(s.respondents, 0) AS respondents,
    COALESCE(s.weighted_yes, 0) AS weighted_yes,
    COALESCE(s.weighted_total, 0) AS weighted_total,
    100 * s.weighted_yes / NULLIF(s.weighted_total, 0) AS weighted_pct,
    s.weighted_total * s.weighted_total / NULLIF(s.weighted_squares, 0) AS effective_n
FROM quarters AS q
CROSS JOIN core.dim_area AS a
CROSS JOIN measures AS m
LEFT JOIN sums AS s
  ON s.quarter_label = q.quarter_label AND s.area_code = a.area_code AND s.measure = m.measure
WHERE a.in_county;
COMMENT ON VIEW core.survey_quarterly IS 'Community Based Survey measures per financial-year quarter, area (the county E10000018 and each district) and measure (asb_problem, agree_dealing, feel_safe). Don''t know and blank answers are left out of the base. respondents = unweighted n in the base; weighted_pct = 100 * weighted_yes / weighted_total; effective_n = (sum w)^2 / sum w^2 (Kish), the n to use for a confidence interval (safer_communities.dashboard.statistics.wilson_interval). An area with no respondents in the base has respondents 0 and no percentage.';
