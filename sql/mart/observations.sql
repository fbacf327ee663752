-- Every indicator's raw figures per county district and period, read by safer_communities.dashboard.
-- One row per indicator x district x period that has data; a district with nothing in a period has
-- no row (the dashboard counts it as 0 when the source is available). County figures are the sums
-- of the districts. Rates' populations come from core.area_population, by year, not from here.
--   period_start the month, a quarter's first month or a financial year's April, as the
--                indicator's grain in include/config/indicators.yaml says
--   numerator    the count, or a percentage's numerator (survey: the weighted yes)
--   denominator  a percentage's denominator (survey: the weighted base); NULL for counts and rates
--   persons      the people behind the figure, for small-number suppression; NULL if not person-level
--   weight_squares  survey only: sum of squared weights (Kish effective n)
-- Bound: :first_month, :last_month (dates; the first days of the first and last months wanted).
WITH districts AS (
    SELECT area_code FROM core.dim_area WHERE in_county AND area_type = 'district'
),
police AS (
    SELECT p.month_start, p.district_code, p.crime_type, p.is_asb, p.incidents
    FROM core.police_crime_district AS p
    WHERE p.month_start BETWEEN :first_month AND :last_month
),
marac AS (
    SELECT
        CAST(DATE_TRUNC('month', r.referral_date) AS DATE) AS month_start,
        r.district_code,
        COUNT(*) AS referrals,
        SUM(CASE WHEN r.is_repeat THEN 1 ELSE 0 END) AS repeats
    FROM core.marac_referral_repeat AS r
    WHERE r.referral_date >= :first_month
      AND r.referral_date < CAST(:last_month AS DATE) + INTERVAL '1 month'
    GROUP BY 1, 2
),
youth_quarters AS (
    SELECT DISTINCT quarter_label, quarter_start FROM core.dim_period
    WHERE quarter_start BETWEEN :first_month AND :last_month
),
survey AS (
    SELECT
        p.quarter_start,
        s.district_code,
        s.measure,
        SUM(CASE WHEN s.is_yes THEN s.weight ELSE 0 END) AS weighted_yes,
        SUM(s.weight) AS weighted_total,
        SUM(s.weight * s.weight) AS weight_squares
    FROM core.survey_answer AS s
    JOIN core.dim_period AS p
      ON p.calendar_year = EXTRACT(YEAR FROM s.interview_date)
     AND p.calendar_month = EXTRACT(MONTH FROM s.interview_date)
    WHERE s.in_base AND p.quarter_start BETWEEN :first_month AND :last_month
    GROUP BY 1, 2, 3
),
observations AS (
    SELECT 'total_recorded_crime' AS indicator_id, month_start AS period_start, district_code,
           CAST(SUM(incidents) AS DOUBLE PRECISION) AS numerator, CAST(NULL AS DOUBLE PRECISION) AS denominator,
           CAST(NULL AS BIGINT) AS persons, CAST(NULL AS DOUBLE PRECISION) AS weight_squares
    FROM police WHERE NOT is_asb GROUP BY month_start, district_code
    UNION ALL
    -- one police.uk category each
    SELECT c.indicator_id, p.month_start, p.district_code, SUM(p.incidents), NULL, NULL, NULL
    FROM police AS p
    JOIN (VALUES ('vehicle_crime', 'Vehicle crime'), ('burglary', 'Burglary'),
                 ('violence_sexual_offences', 'Violence and sexual offences'),
                 ('criminal_damage_arson', 'Criminal damage and arson')) AS c (indicator_id, crime_type)
      ON p.crime_type = c.crime_type
    GROUP BY c.indicator_id, p.month_start, p.district_code
    UNION ALL
    SELECT 'police_recorded_asb', month_start, district_code, SUM(incidents), NULL, NULL, NULL
    FROM police WHERE is_asb GROUP BY month_start, district_code
    UNION ALL
    -- The cohort of a financial year, dated at its April.
    SELECT 'iom_offending_reduction', y.month_start, f.district_code,
           SUM(f.baseline_offences - f.followup_offences), SUM(f.baseline_offences), COUNT(*), NULL
    FROM core.fact_iom_offender AS f
    JOIN core.dim_period AS y ON y.financial_year = f.cohort_fy AND y.month_of_fy = 1
    WHERE y.month_start BETWEEN :first_month AND :last_month
    GROUP BY y.month_start, f.district_code
    UNION ALL
    SELECT 'youth_proven_reoffending', q.quarter_start, r.district_code,
           SUM(r.reoffenders), SUM(r.cohort_size), SUM(r.reoffenders), NULL
    FROM core.fact_youth_reoffending AS r
    JOIN youth_quarters AS q ON q.quarter_label = r.period
    GROUP BY q.quarter_start, r.district_code
    UNION ALL
    SELECT 'youth_first_time_entrants', q.quarter_start, e.district_code,
           SUM(e.first_time_entrants), NULL, SUM(e.first_time_entrants), NULL
    FROM core.fact_youth_first_time_entrants AS e
    JOIN youth_quarters AS q ON q.quarter_label = e.period
    GROUP BY q.quarter_start, e.district_code
    UNION ALL
    SELECT 'marac_referrals', month_start, district_code, SUM(referrals), NULL, SUM(referrals), NULL
    FROM marac GROUP BY month_start, district_code
    UNION ALL
    SELECT 'marac_repeat_rate', month_start, district_code, SUM(repeats), SUM(referrals), SUM(repeats), NULL
    FROM marac GROUP BY month_start, district_code
    UNION ALL
    SELECT 'domestic_abuse_support_referrals', d.month_start, d.district_code,
           SUM(d.referrals), NULL, SUM(d.referrals), NULL
    FROM core.da_referrals_monthly AS d
    WHERE d.month_start BETWEEN :first_month AND :last_month
    GROUP BY d.month_start, d.district_code
    UNION ALL
    SELECT 'survey_asb_problem', quarter_start, district_code,
           SUM(weighted_yes), SUM(weighted_total), NULL, SUM(weight_squares)
    FROM survey WHERE measure = 'asb_problem' GROUP BY quarter_start, district_code
    UNION ALL
    SELECT 'survey_agree_dealing', quarter_start, district_code,
           SUM(weighted_yes), SUM(weighted_total), NULL, SUM(weight_squares)
    FROM survey WHERE measure = 'agree_dealing' GROUP BY quarter_start, district_code
)
SELECT o.indicator_id, o.period_start, o.district_code,
       CAST(o.numerator AS DOUBLE PRECISION) AS numerator, CAST(o.denominator AS DOUBLE PRECISION) AS denominator,
       CAST(o.persons AS BIGINT) AS persons, CAST(o.weight_squares AS DOUBLE PRECISION) AS weight_squares
FROM observations AS o
JOIN districts AS d ON d.area_code = o.district_code
ORDER BY o.indicator_id, o.period_start, o.district_code
