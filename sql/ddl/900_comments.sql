-- The analyst's data dictionary: one comment per column of every table and view in staging, core, mart and audit
-- (columns commented beside their DDL are not repeated here). Runs last on every migrate, so the views dropped and
-- made again by earlier files get their comments back. docs/data-dictionary.md is generated from these comments.

-- staging: typed copies of validated extracts, one slice per (source, period)

COMMENT ON COLUMN staging.police_street.source IS 'The registered source the row came from (police_street_crime); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.police_street.period IS 'The month the file was pulled for, YYYY-MM; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.police_street.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.police_street.line IS 'The row''s line in the landed file (the header is line 1), as named in validation messages.';
COMMENT ON COLUMN staging.police_street.crime_id IS 'data.police.uk Crime ID: 64 lower-case hex characters, one per crime; NULL for anti-social behaviour, which has none.';
COMMENT ON COLUMN staging.police_street.month IS 'Month as written in the file, YYYY-MM; always the slice''s period (a file with another month is rejected).';
COMMENT ON COLUMN staging.police_street.reported_by IS 'The force that provided the record, as written in the file.';
COMMENT ON COLUMN staging.police_street.falls_within IS 'The force whose area the record falls within, as written in the file.';
COMMENT ON COLUMN staging.police_street.longitude IS 'Longitude in degrees (WGS84) of the anonymised map point data.police.uk gives the record; NULL when it was not geocoded. A value outside Great Britain is a validation warning and loads as delivered.';
COMMENT ON COLUMN staging.police_street.latitude IS 'Latitude in degrees (WGS84) of the anonymised map point data.police.uk gives the record; NULL when it was not geocoded. A value outside Great Britain is a validation warning and loads as delivered.';
COMMENT ON COLUMN staging.police_street.location IS 'The anonymised location in words, e.g. ''On or near Main Street'', or ''No Location'' when not geocoded; NULL when the file leaves it empty (a validation warning).';
COMMENT ON COLUMN staging.police_street.lsoa_code IS 'ONS 2011 LSOA code of the location (E01 or W01 and six digits); NULL when not geocoded (counted as no_location in core.fact_police_crime_unallocated).';
COMMENT ON COLUMN staging.police_street.lsoa_name IS 'The LSOA''s name as written in the file, e.g. ''Blaby 003C''; NULL when not geocoded.';
COMMENT ON COLUMN staging.police_street.crime_type IS 'One of the 14 data.police.uk categories (core.dim_crime_type), Anti-social behaviour included.';
COMMENT ON COLUMN staging.police_street.last_outcome_category IS 'The latest outcome data.police.uk had recorded for the crime when the file was published; NULL for anti-social behaviour and where none is given.';
COMMENT ON COLUMN staging.police_street.context IS 'Free-text context data.police.uk may add to a record; usually NULL.';

COMMENT ON COLUMN staging.ref_lsoa_lookup.lsoa11cd IS 'ONS 2011 LSOA code (LSOA11CD of include/reference/lsoa11_to_lad15_llr.csv). Transit table: filled and emptied within every migrate; read core.dim_lsoa.';
COMMENT ON COLUMN staging.ref_lsoa_lookup.lsoa11nm IS 'LSOA name, e.g. ''Blaby 003C'' (LSOA11NM). Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_lsoa_lookup.lad15cd IS 'ONS code of the LSOA''s local authority district, 2015 boundaries (LAD15CD). Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_lsoa_lookup.lad15nm IS 'Name of the LSOA''s local authority district (LAD15NM). Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_lsoa_lookup.ccg15cd IS 'Code of the LSOA''s NHS clinical commissioning group, 2015 (CCG15CD); not used by the pipeline. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_lsoa_lookup.ccg15nm IS 'Name of the LSOA''s NHS clinical commissioning group (CCG15NM); not used by the pipeline. Transit table: empty outside a migrate.';

COMMENT ON COLUMN staging.ref_district_population.lad_code IS 'ONS code of the area: a county district, the county (E10000018), Leicester or Rutland (include/reference/district_population.csv). Transit table: filled and emptied within every migrate; read core.dim_area and core.area_population.';
COMMENT ON COLUMN staging.ref_district_population.lad_name IS 'The area''s name. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_district_population.pop_mid2014_all IS 'ONS mid-2014 resident population, all persons (exact). Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_district_population.pop_mid2014_male IS 'ONS mid-2014 male residents (exact); NULL for the county; not used by the pipeline. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_district_population.pop_mid2014_female IS 'ONS mid-2014 female residents (exact); NULL for the county. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_district_population.pop_mid2015_rounded_100 IS 'ONS mid-2015 resident population rounded to 100; NULL for Leicester and Rutland. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_district_population.source IS 'Where the row''s figures come from, in words (e.g. ''ONS mid-year estimates (2014 exact; 2015 rounded to 100)''). Transit table: empty outside a migrate.';

COMMENT ON COLUMN staging.ref_crime_type.crime_type IS 'data.police.uk category as written in its files (include/reference/police_crime_types.csv). Transit table: filled and emptied within every migrate; read core.dim_crime_type.';
COMMENT ON COLUMN staging.ref_crime_type.crime_type_code IS 'The category as a snake_case code, e.g. anti_social_behaviour. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_crime_type.is_asb IS 'True for anti-social behaviour, which is not recorded crime. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_crime_type.sort_order IS 'Display order of the category, 1-14. Transit table: empty outside a migrate.';

COMMENT ON COLUMN staging.ref_period.month_start IS 'First day of the month. Transit table: months of financial years 2000/01 to 2040/41, filled and emptied within every migrate; read core.dim_period.';
COMMENT ON COLUMN staging.ref_period.month IS 'The month as YYYY-MM. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.calendar_year IS 'Calendar year of the month. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.calendar_month IS 'Calendar month number, 1 (January) to 12. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.financial_year IS 'UK financial year (April-March) the month is in, e.g. ''2015/16''. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.fy_start_year IS 'The calendar year the financial year starts in, e.g. 2015 for 2015/16. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.fy_quarter IS 'Quarter of the financial year, 1 (April-June) to 4 (January-March). Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.quarter_label IS 'Financial-year quarter label, e.g. ''2015/16 Q1''. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.quarter_start IS 'First day of the quarter. Transit table: empty outside a migrate.';
COMMENT ON COLUMN staging.ref_period.month_of_fy IS 'Month of the financial year, 1 (April) to 12 (March). Transit table: empty outside a migrate.';

COMMENT ON COLUMN staging.marac_referrals.source IS 'The registered source the row came from (marac_referrals); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.marac_referrals.period IS 'The quarter the file was delivered for, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.marac_referrals.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.marac_referrals.line IS 'The row''s line in the landed file (the header is line 1; a workbook''s row number), as named in validation messages.';
COMMENT ON COLUMN staging.marac_referrals.case_ref IS 'Pseudonym of the MARAC case reference: HMAC-SHA256 under the key pseudonym_key_id (64 hex characters), never the reference itself.';
COMMENT ON COLUMN staging.marac_referrals.referral_date IS 'Date of the referral to MARAC; within the quarter of period.';
COMMENT ON COLUMN staging.marac_referrals.victim_pseudonym IS 'Pseudonym of the victim''s reference: HMAC-SHA256 under the key pseudonym_key_id (64 hex characters), the same for the same victim in every file under one key.';
COMMENT ON COLUMN staging.marac_referrals.district_name IS 'The county district as written in the file (one of the seven); core.fact_marac_referral holds its ONS code.';
COMMENT ON COLUMN staging.marac_referrals.referring_agency IS 'Who referred, one of SafeLives'' referral categories (e.g. Police, IDVA, Health); NULL when not recorded or when off the list (left empty: in a file that holds people an unlisted value is not known to be safe).';
COMMENT ON COLUMN staging.marac_referrals.dash_score IS 'DASH risk checklist score, 0-27 (the checklist has 27 questions); NULL when not given or outside 0-27 (left empty, a validation warning).';

COMMENT ON COLUMN staging.iom_cohort.source IS 'The registered source the row came from (iom_cohort); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.iom_cohort.period IS 'The cohort''s financial year the file was delivered for, e.g. ''2014/15''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.iom_cohort.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.iom_cohort.line IS 'The row''s line in the landed file (the header is line 1; a workbook''s row number), as named in validation messages.';
COMMENT ON COLUMN staging.iom_cohort.offender_pseudonym IS 'Pseudonym of the offender''s reference: HMAC-SHA256 under the key pseudonym_key_id (64 hex characters), the same for the same offender in every cohort under one key.';
COMMENT ON COLUMN staging.iom_cohort.cohort IS 'The cohort year as written in the file, e.g. ''2014/15''; always the slice''s period (a file naming another is rejected).';
COMMENT ON COLUMN staging.iom_cohort.district_name IS 'The offender''s county district as written in the file (one of the seven); core.fact_iom_offender holds its ONS code.';
COMMENT ON COLUMN staging.iom_cohort.baseline_offences IS 'Count of proven offences in the 12 months before adoption onto IOM (0-500).';
COMMENT ON COLUMN staging.iom_cohort.followup_offences IS 'Count of proven offences in the 12 months after adoption onto IOM (0-500).';
COMMENT ON COLUMN staging.iom_cohort.start_date IS 'Date the offender was adopted onto IOM; NULL when not given (an optional column) or outside the cohort year (left empty, a validation warning).';
COMMENT ON COLUMN staging.iom_cohort.exit_date IS 'Date the offender left IOM, when the file gives it; NULL when not given (an optional column).';

COMMENT ON COLUMN staging.youth_first_time_entrants.source IS 'The registered source the row came from (youth_first_time_entrants); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.youth_first_time_entrants.period IS 'The quarter the file was delivered for, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.youth_first_time_entrants.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.youth_first_time_entrants.line IS 'The row''s line in the landed file (the header is line 1; a workbook''s row number), as named in validation messages.';
COMMENT ON COLUMN staging.youth_first_time_entrants.district_name IS 'The county district as written in the file (one of the seven, once each).';
COMMENT ON COLUMN staging.youth_first_time_entrants.quarter IS 'The quarter as written in the file, e.g. ''2015/16 Q1''; always the slice''s period (a file naming another is rejected).';
COMMENT ON COLUMN staging.youth_first_time_entrants.first_time_entrants IS 'Count of young people (aged 10-17) entering the youth justice system for the first time in the quarter, in the district (0-1000).';

COMMENT ON COLUMN staging.youth_reoffending.source IS 'The registered source the row came from (youth_reoffending); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.youth_reoffending.period IS 'The cohort quarter the file was delivered for, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.youth_reoffending.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.youth_reoffending.line IS 'The row''s line in the landed file (the header is line 1; a workbook''s row number), as named in validation messages.';
COMMENT ON COLUMN staging.youth_reoffending.district_name IS 'The county district as written in the file (one of the seven, once each).';
COMMENT ON COLUMN staging.youth_reoffending.cohort_quarter IS 'The cohort quarter as written in the file, e.g. ''2015/16 Q1''; always the slice''s period (a file naming another is rejected).';
COMMENT ON COLUMN staging.youth_reoffending.cohort_size IS 'Count of young people in the district''s cohort: cautioned, convicted or released from custody in the quarter.';
COMMENT ON COLUMN staging.youth_reoffending.reoffenders IS 'Count of the cohort who re-offended within 12 months (proven within a further 6); never more than cohort_size.';

COMMENT ON COLUMN staging.domestic_abuse_referrals.source IS 'The registered source the row came from (domestic_abuse_referrals); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.period IS 'The month the file was delivered for, YYYY-MM; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.domestic_abuse_referrals.line IS 'The referral''s line in the landed file (the header is line 1; a workbook''s Excel row), as named in validation messages.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.referral_date IS 'Date of the referral; within the month of period.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.service IS 'The commissioned support service referred to, as named in the file.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.district_name IS 'The county district as written in the file (one of the seven); core.fact_da_referral holds its ONS code.';
COMMENT ON COLUMN staging.domestic_abuse_referrals.referral_source IS 'Who referred (e.g. Police, Self, Health) as written by the service; NULL when not recorded (a validation warning).';

COMMENT ON COLUMN staging.community_survey.source IS 'The registered source the row came from (community_survey); with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.community_survey.period IS 'The fieldwork quarter the file was delivered for, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN staging.community_survey.load_batch_id IS 'The load that wrote the row (audit.load_batch).';
COMMENT ON COLUMN staging.community_survey.line IS 'The row''s line in the landed file (the header is line 1; a workbook''s row number), as named in validation messages.';
COMMENT ON COLUMN staging.community_survey.respondent_pseudonym IS 'Pseudonym of the respondent''s reference: HMAC-SHA256 under the key pseudonym_key_id (64 hex characters), once per file.';
COMMENT ON COLUMN staging.community_survey.interview_date IS 'Date of the interview; within the quarter of period.';
COMMENT ON COLUMN staging.community_survey.district_name IS 'The respondent''s county district as written in the file (one of the seven); core.fact_survey_response holds its ONS code.';
COMMENT ON COLUMN staging.community_survey.weight IS 'Survey weight supplied by the research team (0.01-20): how many respondents this one counts as in weighted figures.';
COMMENT ON COLUMN staging.community_survey.asb_problem IS 'How big a problem anti-social behaviour is locally, in the questionnaire''s wording (Very big problem ... Not a problem at all, Don''t know); NULL when not asked or refused.';
COMMENT ON COLUMN staging.community_survey.agree_dealing IS 'Agreement that the police and council are dealing with the anti-social behaviour and crime issues that matter locally (Strongly agree ... Strongly disagree, Don''t know); NULL when not asked, refused, or off the questionnaire''s list (left empty, a validation warning).';
COMMENT ON COLUMN staging.community_survey.feel_safe_after_dark IS 'How safe the respondent feels outside after dark (Very safe, Fairly safe, A bit unsafe, Very unsafe, Don''t know); NULL when not asked, refused, or off the questionnaire''s list (left empty, a validation warning).';

COMMENT ON COLUMN staging.pseudonym_link.source IS 'The source whose slice brought the link; with period, the slice a load replaces whole.';
COMMENT ON COLUMN staging.pseudonym_link.period IS 'The period of the slice that brought the link (a month, quarter or financial year, as the source delivers).';
COMMENT ON COLUMN staging.pseudonym_link.load_batch_id IS 'The load that wrote the link (audit.load_batch).';
COMMENT ON COLUMN staging.pseudonym_link.from_key_id IS 'The id of the previous key, still accepted, that from_pseudonym was made under.';
COMMENT ON COLUMN staging.pseudonym_link.from_pseudonym IS 'A person reference of the file pseudonymised under the previous key from_key_id (64 hex characters).';
COMMENT ON COLUMN staging.pseudonym_link.to_key_id IS 'The id of the current key that to_pseudonym was made under.';
COMMENT ON COLUMN staging.pseudonym_link.to_pseudonym IS 'The same reference pseudonymised under the current key to_key_id, as stored in the slice''s rows.';

-- core: conformed dimensions

COMMENT ON COLUMN core.dim_period.month_start IS 'First day of the month; the key: one row per month of financial years 2000/01 to 2040/41.';
COMMENT ON COLUMN core.dim_period.month IS 'The month as YYYY-MM, as police periods are written.';
COMMENT ON COLUMN core.dim_period.calendar_year IS 'Calendar year of the month.';
COMMENT ON COLUMN core.dim_period.calendar_month IS 'Calendar month number, 1 (January) to 12 (December).';
COMMENT ON COLUMN core.dim_period.financial_year IS 'UK financial year (April-March) the month is in, e.g. ''2015/16''.';
COMMENT ON COLUMN core.dim_period.fy_start_year IS 'The calendar year the financial year starts in, e.g. 2015 for 2015/16 (the year of the ONS mid-year estimate its rates use).';
COMMENT ON COLUMN core.dim_period.fy_quarter IS 'Quarter of the financial year, 1 (April-June) to 4 (January-March).';
COMMENT ON COLUMN core.dim_period.quarter_start IS 'First day of the month''s financial-year quarter, e.g. 2015-04-01 for 2015/16 Q1.';
COMMENT ON COLUMN core.dim_period.month_of_fy IS 'Month of the financial year, 1 (April) to 12 (March).';

COMMENT ON COLUMN core.dim_area.area_code IS 'ONS code of the area (the key): E10000018 the county, E07... its seven districts, E06000016 Leicester, E06000017 Rutland.';
COMMENT ON COLUMN core.dim_area.area_name IS 'The area''s name, e.g. ''Leicestershire'', ''Blaby''.';
COMMENT ON COLUMN core.dim_area.area_type IS 'county, district or unitary authority (Leicester and Rutland).';
COMMENT ON COLUMN core.dim_area.parent_code IS 'For a district, its county''s code (E10000018); NULL for the county and the unitary authorities.';

COMMENT ON COLUMN core.dim_lsoa.lsoa_code IS 'ONS 2011 LSOA code (the key), in Leicester, Leicestershire or Rutland.';
COMMENT ON COLUMN core.dim_lsoa.lsoa_name IS 'The LSOA''s name, e.g. ''Blaby 003C''.';
COMMENT ON COLUMN core.dim_lsoa.district_code IS 'ONS code of the LSOA''s local authority district, 2015 boundaries (core.dim_area): a county district, Leicester or Rutland.';
COMMENT ON COLUMN core.dim_lsoa.in_county IS 'True when the LSOA is in one of the county''s seven districts; false for Leicester and Rutland.';

COMMENT ON COLUMN core.dim_crime_type.crime_type IS 'data.police.uk category as written in its files (the key), e.g. ''Vehicle crime''.';
COMMENT ON COLUMN core.dim_crime_type.crime_type_code IS 'The category as a snake_case code, e.g. vehicle_crime.';
COMMENT ON COLUMN core.dim_crime_type.is_asb IS 'True for anti-social behaviour, which is not recorded crime; false for the 13 crime categories.';
COMMENT ON COLUMN core.dim_crime_type.sort_order IS 'Display order of the category, 1-14.';

-- core: police

COMMENT ON COLUMN core.fact_police_crime.source IS 'The registered source (police_street_crime); part of the key: one row per source x month x LSOA x crime type.';
COMMENT ON COLUMN core.fact_police_crime.month_start IS 'First day of the month of the slice; part of the key.';
COMMENT ON COLUMN core.fact_police_crime.lsoa_code IS 'ONS 2011 LSOA code of the incidents (core.dim_lsoa), in Leicester, Leicestershire or Rutland; part of the key.';
COMMENT ON COLUMN core.fact_police_crime.district_code IS 'ONS code of the LSOA''s district (core.dim_lsoa): a county district, Leicester or Rutland.';
COMMENT ON COLUMN core.fact_police_crime.crime_type IS 'data.police.uk category (core.dim_crime_type), anti-social behaviour included; part of the key.';
COMMENT ON COLUMN core.fact_police_crime.incidents IS 'Count of incidents (street-level records: crimes, or ASB incidents) in the LSOA, month and category; 1 or more (no row when none).';
COMMENT ON COLUMN core.fact_police_crime.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.fact_police_crime_unallocated.source IS 'The registered source (police_street_crime).';
COMMENT ON COLUMN core.fact_police_crime_unallocated.month_start IS 'First day of the month of the slice.';
COMMENT ON COLUMN core.fact_police_crime_unallocated.reason IS 'no_location: not geocoded (no LSOA; force level); outside_force_area: its LSOA is not in the Leicester, Leicestershire and Rutland lookup.';
COMMENT ON COLUMN core.fact_police_crime_unallocated.lsoa_code IS 'The LSOA code outside the lookup (outside_force_area); NULL for no_location.';
COMMENT ON COLUMN core.fact_police_crime_unallocated.crime_type IS 'data.police.uk category (core.dim_crime_type), anti-social behaviour included.';
COMMENT ON COLUMN core.fact_police_crime_unallocated.incidents IS 'Count of incidents (street-level records) with this reason, LSOA and category in the month; 1 or more.';
COMMENT ON COLUMN core.fact_police_crime_unallocated.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.police_crime_district.source IS 'The registered source (police_street_crime); part of the key: one row per source x month x district x crime type.';
COMMENT ON COLUMN core.police_crime_district.month_start IS 'First day of the month; part of the key.';
COMMENT ON COLUMN core.police_crime_district.district_code IS 'ONS code of the county district; part of the key.';
COMMENT ON COLUMN core.police_crime_district.district_name IS 'The district''s name.';
COMMENT ON COLUMN core.police_crime_district.crime_type IS 'data.police.uk category (core.dim_crime_type); part of the key.';
COMMENT ON COLUMN core.police_crime_district.is_asb IS 'True for anti-social behaviour; recorded crime is the rows with false.';
COMMENT ON COLUMN core.police_crime_district.incidents IS 'Count of incidents placed in the district''s LSOAs in the month and category; no row when none.';

-- core: MARAC

COMMENT ON COLUMN core.fact_marac_referral.source IS 'The registered source (marac_referrals).';
COMMENT ON COLUMN core.fact_marac_referral.period IS 'The quarter of the file the referral came in, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN core.fact_marac_referral.case_ref IS 'Pseudonym of the MARAC case reference (HMAC-SHA256 under pseudonym_key_id, 64 hex characters): one row per case.';
COMMENT ON COLUMN core.fact_marac_referral.referral_date IS 'Date of the referral to MARAC.';
COMMENT ON COLUMN core.fact_marac_referral.victim_pseudonym IS 'Pseudonym of the victim''s reference (HMAC-SHA256 under pseudonym_key_id, 64 hex characters); the same victim has the same pseudonym under one key.';
COMMENT ON COLUMN core.fact_marac_referral.district_code IS 'ONS code of the county district (core.dim_area).';
COMMENT ON COLUMN core.fact_marac_referral.referring_agency IS 'Who referred, one of SafeLives'' referral categories (e.g. Police, IDVA, Health); NULL when not recorded or off the list (left empty).';
COMMENT ON COLUMN core.fact_marac_referral.dash_score IS 'DASH risk checklist score, 0-27; NULL when not given or outside 0-27 (left empty).';
COMMENT ON COLUMN core.fact_marac_referral.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.marac_referral.source IS 'The registered source (marac_referrals).';
COMMENT ON COLUMN core.marac_referral.period IS 'The quarter of the file the referral came in, e.g. ''2015/16 Q1''.';
COMMENT ON COLUMN core.marac_referral.case_ref IS 'Pseudonym of the MARAC case reference (64 hex characters): one row per case.';
COMMENT ON COLUMN core.marac_referral.referral_date IS 'Date of the referral to MARAC.';
COMMENT ON COLUMN core.marac_referral.victim_pseudonym IS 'Pseudonym of the victim''s reference under the key pseudonym_key_id, as loaded.';
COMMENT ON COLUMN core.marac_referral.district_code IS 'ONS code of the county district (core.dim_area).';
COMMENT ON COLUMN core.marac_referral.referring_agency IS 'Who referred (a SafeLives referral category); NULL when not recorded or off the list.';
COMMENT ON COLUMN core.marac_referral.dash_score IS 'DASH risk checklist score, 0-27; NULL when not given or outside 0-27.';
COMMENT ON COLUMN core.marac_referral.load_batch_id IS 'The load that wrote the referral (audit.load_batch).';
COMMENT ON COLUMN core.marac_referral.pseudonym_key_id IS 'The id of the key case_ref and victim_pseudonym were made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN core.marac_referral.victim_linked_pseudonym IS 'The victim''s pseudonym under the latest key that saw them (core.pseudonym_link), else victim_pseudonym: the identity repeats are found by.';
COMMENT ON COLUMN core.marac_referral.previous_referral_date IS 'Date of the same victim''s previous referral among all referrals loaded (ordered by date, then case_ref); NULL for the victim''s first referral loaded.';

COMMENT ON COLUMN core.marac_referral_repeat.source IS 'The registered source (marac_referrals).';
COMMENT ON COLUMN core.marac_referral_repeat.period IS 'The quarter of the file the referral came in, e.g. ''2015/16 Q1''.';
COMMENT ON COLUMN core.marac_referral_repeat.case_ref IS 'Pseudonym of the MARAC case reference (64 hex characters): one row per case.';
COMMENT ON COLUMN core.marac_referral_repeat.referral_date IS 'Date of the referral to MARAC.';
COMMENT ON COLUMN core.marac_referral_repeat.victim_pseudonym IS 'Pseudonym of the victim''s reference under the key pseudonym_key_id, as loaded.';
COMMENT ON COLUMN core.marac_referral_repeat.district_code IS 'ONS code of the county district (core.dim_area).';
COMMENT ON COLUMN core.marac_referral_repeat.referring_agency IS 'Who referred (a SafeLives referral category); NULL when not recorded or off the list.';
COMMENT ON COLUMN core.marac_referral_repeat.dash_score IS 'DASH risk checklist score, 0-27; NULL when not given or outside 0-27.';
COMMENT ON COLUMN core.marac_referral_repeat.load_batch_id IS 'The load that wrote the referral (audit.load_batch).';
COMMENT ON COLUMN core.marac_referral_repeat.pseudonym_key_id IS 'The id of the key case_ref and victim_pseudonym were made under; NULL if loaded before key ids were recorded.';
COMMENT ON COLUMN core.marac_referral_repeat.victim_linked_pseudonym IS 'The victim''s pseudonym under the latest key that saw them (core.pseudonym_link), else victim_pseudonym: the identity repeats are found by.';
COMMENT ON COLUMN core.marac_referral_repeat.previous_referral_date IS 'Date of the same victim''s previous referral among all referrals loaded; NULL for the victim''s first referral loaded.';
COMMENT ON COLUMN core.marac_referral_repeat.is_repeat IS 'True when the victim''s previous referral was no more than 12 months before this one (the same date 12 months on still counts); false for a first referral.';

COMMENT ON COLUMN core.marac_quarterly.quarter_label IS 'Financial-year quarter of the referral date (not of the file), e.g. ''2015/16 Q1''; part of the key: one row per quarter x district.';
COMMENT ON COLUMN core.marac_quarterly.district_code IS 'ONS code of the county district; part of the key. A district with no referrals in the quarter has no row.';
COMMENT ON COLUMN core.marac_quarterly.referrals IS 'Count of MARAC referrals in the quarter and district.';
COMMENT ON COLUMN core.marac_quarterly.repeat_referrals IS 'Count of those referrals that are repeats (core.marac_referral_repeat.is_repeat); understated until 12 months of earlier referrals are loaded.';

-- core: probation (IOM)

COMMENT ON COLUMN core.fact_iom_offender.source IS 'The registered source (iom_cohort).';
COMMENT ON COLUMN core.fact_iom_offender.offender_pseudonym IS 'Pseudonym of the offender''s reference (HMAC-SHA256 under pseudonym_key_id, 64 hex characters): one row per offender in a cohort.';
COMMENT ON COLUMN core.fact_iom_offender.district_code IS 'ONS code of the offender''s county district (core.dim_area).';
COMMENT ON COLUMN core.fact_iom_offender.start_date IS 'Date adopted onto IOM; NULL when not given or outside the cohort year (left empty).';
COMMENT ON COLUMN core.fact_iom_offender.exit_date IS 'Date the offender left IOM, when the file gives it; NULL when not given.';
COMMENT ON COLUMN core.fact_iom_offender.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.iom_cohort_reduction.cohort_fy IS 'The cohort''s financial year, e.g. ''2014/15''; part of the key: one row per cohort year x area.';
COMMENT ON COLUMN core.iom_cohort_reduction.area_code IS 'ONS code of the area: the county (E10000018) or one of its seven districts; part of the key.';
COMMENT ON COLUMN core.iom_cohort_reduction.area_name IS 'The area''s name.';
COMMENT ON COLUMN core.iom_cohort_reduction.area_type IS 'county or district.';
COMMENT ON COLUMN core.iom_cohort_reduction.cohort_size IS 'Count of offenders in the cohort in the area; 0 when none.';
COMMENT ON COLUMN core.iom_cohort_reduction.baseline_offences IS 'Count of the cohort''s proven offences in the 12 months before adoption; 0 when none.';
COMMENT ON COLUMN core.iom_cohort_reduction.followup_offences IS 'Count of the cohort''s proven offences in the 12 months after adoption; 0 when none.';
COMMENT ON COLUMN core.iom_cohort_reduction.reduction_pct IS 'Reduction in proven offending, percent of the baseline: (baseline - follow-up) / baseline x 100; negative when offending rose; NULL when the baseline is 0.';
COMMENT ON COLUMN core.iom_cohort_reduction.previous_cohort_fy IS 'The financial year before cohort_fy; NULL when that cohort is not loaded.';
COMMENT ON COLUMN core.iom_cohort_reduction.previous_cohort_size IS 'Count of offenders in the previous year''s cohort in the area; NULL when that cohort is not loaded.';
COMMENT ON COLUMN core.iom_cohort_reduction.previous_reduction_pct IS 'The previous year''s cohort''s reduction_pct in the area (percent); NULL when that cohort is not loaded or its baseline is 0.';
COMMENT ON COLUMN core.iom_cohort_reduction.reduction_change_points IS 'reduction_pct minus previous_reduction_pct, in percentage points; NULL when either is NULL.';

-- core: youth offending

COMMENT ON COLUMN core.fact_youth_first_time_entrants.source IS 'The registered source (youth_first_time_entrants); part of the key: one row per source x quarter x district.';
COMMENT ON COLUMN core.fact_youth_first_time_entrants.district_code IS 'ONS code of the county district (core.dim_area); part of the key.';
COMMENT ON COLUMN core.fact_youth_first_time_entrants.first_time_entrants IS 'Count of young people (aged 10-17) entering the youth justice system for the first time (first caution or conviction) in the quarter.';
COMMENT ON COLUMN core.fact_youth_first_time_entrants.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.fact_youth_reoffending.source IS 'The registered source (youth_reoffending); part of the key: one row per source x cohort quarter x district.';
COMMENT ON COLUMN core.fact_youth_reoffending.district_code IS 'ONS code of the county district (core.dim_area); part of the key.';
COMMENT ON COLUMN core.fact_youth_reoffending.cohort_size IS 'Count of young people in the cohort: cautioned, convicted or released from custody in the quarter.';
COMMENT ON COLUMN core.fact_youth_reoffending.reoffenders IS 'Count of the cohort who re-offended within 12 months (proven within a further 6); never more than cohort_size.';
COMMENT ON COLUMN core.fact_youth_reoffending.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.youth_reoffending_rate.period IS 'The cohort quarter, e.g. ''2015/16 Q1''; part of the key: one row per cohort quarter x area.';
COMMENT ON COLUMN core.youth_reoffending_rate.area_code IS 'ONS code of a district, or of the county (E10000018: the sum of the districts loaded); part of the key.';
COMMENT ON COLUMN core.youth_reoffending_rate.area_name IS 'The area''s name.';
COMMENT ON COLUMN core.youth_reoffending_rate.area_type IS 'county or district.';
COMMENT ON COLUMN core.youth_reoffending_rate.cohort_size IS 'Count of young people in the cohort.';
COMMENT ON COLUMN core.youth_reoffending_rate.reoffenders IS 'Count of the cohort who re-offended (proven).';
COMMENT ON COLUMN core.youth_reoffending_rate.rate_pct IS 'Proven re-offending rate, percent (0-100): reoffenders / cohort_size x 100; NULL for an empty cohort.';

-- core: domestic abuse support services

COMMENT ON COLUMN core.fact_da_referral.source IS 'The registered source (domestic_abuse_referrals).';
COMMENT ON COLUMN core.fact_da_referral.period IS 'The month of the file, YYYY-MM; with source, the slice a load replaces whole.';
COMMENT ON COLUMN core.fact_da_referral.line IS 'The referral''s line in the landed file (a workbook''s Excel row): with source and period it identifies a referral, which carries no person reference.';
COMMENT ON COLUMN core.fact_da_referral.referral_date IS 'Date of the referral.';
COMMENT ON COLUMN core.fact_da_referral.service IS 'The commissioned support service referred to, as named by the service.';
COMMENT ON COLUMN core.fact_da_referral.district_code IS 'ONS code of the county district (core.dim_area).';
COMMENT ON COLUMN core.fact_da_referral.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.da_referrals_monthly.month_start IS 'First day of the month of the referral date (not of the file); part of the key: one row per month x district.';
COMMENT ON COLUMN core.da_referrals_monthly.district_code IS 'ONS code of the county district; part of the key. A district with no referrals in the month has no row.';
COMMENT ON COLUMN core.da_referrals_monthly.referrals IS 'Count of referrals to domestic abuse support services in the month and district.';

-- core: community survey

COMMENT ON COLUMN core.fact_survey_response.source IS 'The registered source (community_survey).';
COMMENT ON COLUMN core.fact_survey_response.period IS 'The fieldwork quarter of the file, e.g. ''2015/16 Q1''; with source, the slice a load replaces whole.';
COMMENT ON COLUMN core.fact_survey_response.respondent_pseudonym IS 'Pseudonym of the respondent''s reference (HMAC-SHA256 under pseudonym_key_id, 64 hex characters): one row per respondent.';
COMMENT ON COLUMN core.fact_survey_response.interview_date IS 'Date of the interview; the quarter it falls in is the quarter the answers count in.';
COMMENT ON COLUMN core.fact_survey_response.district_code IS 'ONS code of the respondent''s county district (core.dim_area).';
COMMENT ON COLUMN core.fact_survey_response.weight IS 'Survey weight supplied by the research team (0.01-20): how many respondents this one counts as in weighted figures.';
COMMENT ON COLUMN core.fact_survey_response.asb_problem IS 'How big a problem anti-social behaviour is locally, in the questionnaire''s wording (Very big problem ... Not a problem at all, Don''t know); NULL when not asked or refused.';
COMMENT ON COLUMN core.fact_survey_response.feel_safe_after_dark IS 'How safe the respondent feels outside after dark (Very safe, Fairly safe, A bit unsafe, Very unsafe, Don''t know); NULL when not asked, refused, or off the questionnaire''s list (left empty).';
COMMENT ON COLUMN core.fact_survey_response.load_batch_id IS 'The load that wrote the row (audit.load_batch).';

COMMENT ON COLUMN core.survey_answer.source IS 'The registered source (community_survey).';
COMMENT ON COLUMN core.survey_answer.period IS 'The fieldwork quarter of the file, e.g. ''2015/16 Q1''.';
COMMENT ON COLUMN core.survey_answer.respondent_pseudonym IS 'Pseudonym of the respondent''s reference; with measure, the key: one row per respondent x measure.';
COMMENT ON COLUMN core.survey_answer.interview_date IS 'Date of the interview.';
COMMENT ON COLUMN core.survey_answer.district_code IS 'ONS code of the respondent''s county district.';
COMMENT ON COLUMN core.survey_answer.weight IS 'The respondent''s survey weight.';
COMMENT ON COLUMN core.survey_answer.measure IS 'The question: asb_problem, agree_dealing or feel_safe (after dark); with respondent_pseudonym, the key.';
COMMENT ON COLUMN core.survey_answer.answer IS 'The answer in the questionnaire''s wording; NULL when blank (not asked, refused, or left empty at validation).';
COMMENT ON COLUMN core.survey_answer.in_base IS 'True for a substantive answer, counted in the measure''s base; false for Don''t know, blank or an unknown wording.';
COMMENT ON COLUMN core.survey_answer.is_yes IS 'True for the answers the measure counts: a very or fairly big problem, strongly or tend to agree, very or fairly safe.';

COMMENT ON COLUMN core.survey_quarterly.quarter_label IS 'Financial-year quarter of the interview date, e.g. ''2015/16 Q1''; part of the key: one row per quarter x area x measure.';
COMMENT ON COLUMN core.survey_quarterly.area_code IS 'ONS code of the area: the county (E10000018) or one of its seven districts; part of the key.';
COMMENT ON COLUMN core.survey_quarterly.area_name IS 'The area''s name.';
COMMENT ON COLUMN core.survey_quarterly.measure IS 'asb_problem, agree_dealing or feel_safe; part of the key.';
COMMENT ON COLUMN core.survey_quarterly.respondents IS 'Count of respondents in the base (unweighted: substantive answers only); 0 when none.';
COMMENT ON COLUMN core.survey_quarterly.weighted_yes IS 'Sum of the survey weights of the respondents answering yes (core.survey_answer.is_yes); 0 when none.';
COMMENT ON COLUMN core.survey_quarterly.weighted_total IS 'Sum of the survey weights of the respondents in the base; 0 when none.';
COMMENT ON COLUMN core.survey_quarterly.weighted_pct IS 'Weighted percentage answering yes, percent (0-100): 100 x weighted_yes / weighted_total; NULL when nobody is in the base.';
COMMENT ON COLUMN core.survey_quarterly.effective_n IS 'Kish effective sample size, (sum of weights)^2 / sum of squared weights: the n for a confidence interval; NULL when nobody is in the base.';

-- mart: the quarterly dashboard (true values)

COMMENT ON COLUMN mart.dashboard_quarterly.quarter_label IS 'Financial-year quarter, e.g. ''2015/16 Q1''; part of the key: one row per quarter x indicator x area.';
COMMENT ON COLUMN mart.dashboard_quarterly.quarter_start IS 'First day of the quarter, e.g. 2015-04-01.';
COMMENT ON COLUMN mart.dashboard_quarterly.priority_id IS 'The priority the indicator belongs to (its id in include/config/indicators.yaml, e.g. crime).';
COMMENT ON COLUMN mart.dashboard_quarterly.priority_name IS 'The priority''s name, e.g. ''Ongoing reductions in crime''.';
COMMENT ON COLUMN mart.dashboard_quarterly.indicator_id IS 'The indicator (its id in include/config/indicators.yaml, e.g. total_recorded_crime); part of the key.';
COMMENT ON COLUMN mart.dashboard_quarterly.indicator_name IS 'The indicator''s name as the dashboard prints it.';
COMMENT ON COLUMN mart.dashboard_quarterly.sort_order IS 'The indicator''s position in the catalogue (1 = first): the dashboard''s row order.';
COMMENT ON COLUMN mart.dashboard_quarterly.area_code IS 'ONS code of the area: the county (E10000018, the sum of its districts) or one of its seven districts; part of the key.';
COMMENT ON COLUMN mart.dashboard_quarterly.area_name IS 'The area''s name.';
COMMENT ON COLUMN mart.dashboard_quarterly.area_type IS 'county or district.';
COMMENT ON COLUMN mart.dashboard_quarterly.unit IS 'The unit of the row''s values and intervals: count, rate_per_1000 (per 1,000 residents), rate_per_10000_females (per 10,000 female residents) or percent (0-100).';
COMMENT ON COLUMN mart.dashboard_quarterly.polarity IS 'Which way is good: low, high, or none (no judgement).';
COMMENT ON COLUMN mart.dashboard_quarterly.status_reason IS 'Why the row has its status, in words: the sources'' reasons for the worst status.';
COMMENT ON COLUMN mart.dashboard_quarterly.value_display IS 'What the published dashboard prints: the value in its unit (621, 3.65, 28.5%), n/a when the data is not available, <5 for a count of 1-4 people, [c] when withheld so that a small number elsewhere cannot be worked out.';
COMMENT ON COLUMN mart.dashboard_quarterly.numerator IS 'The count behind the value: the count itself, a rate''s events, or a percentage''s numerator (survey: weighted respondents answering yes; IOM: baseline minus follow-up offences). NULL when the data is not available.';
COMMENT ON COLUMN mart.dashboard_quarterly.denominator IS 'A rate''s population (residents, or female residents, of population_year''s ONS mid-year estimate) or a percentage''s base (survey: weighted); NULL for counts and when the data is not available.';
COMMENT ON COLUMN mart.dashboard_quarterly.interval_lower IS 'Lower bound of the value''s 95% confidence interval, in the indicator''s unit (method in interval_method); NULL when there is no value.';
COMMENT ON COLUMN mart.dashboard_quarterly.interval_upper IS 'Upper bound of the value''s 95% confidence interval, in the indicator''s unit (method in interval_method); NULL when there is no value.';
COMMENT ON COLUMN mart.dashboard_quarterly.interval_method IS 'How the interval was worked out: exact Poisson (under 10 events) or Byar for counts and rates, Wilson for percentages, Wilson (Kish effective n) for the weighted survey, on follow-up offences for the IOM reduction; NULL when there is no interval.';
COMMENT ON COLUMN mart.dashboard_quarterly.last_year_value IS 'The same quarter a year before (annual cohorts: the previous cohort), in the indicator''s unit; a rate per the population of its own year. NULL when that data is not available.';
COMMENT ON COLUMN mart.dashboard_quarterly.change IS 'value minus last_year_value, a difference in the indicator''s own unit: referrals or people for counts, per 1,000 residents or per 10,000 females for rates, percentage points for percentages (not a relative change: see change_percent). NULL when either is missing.';
COMMENT ON COLUMN mart.dashboard_quarterly.change_percent IS 'The relative change on last year, in percent: 100 x change / last_year_value (-3.0 is 3% lower). NULL when either value is missing or last year''s is 0.';
COMMENT ON COLUMN mart.dashboard_quarterly.ytd_value IS 'Year to date, April to the quarter''s end (annual cohorts: the cohort, as value), in the indicator''s unit; the on-track judgement is made on it. NULL when its data is not available.';
COMMENT ON COLUMN mart.dashboard_quarterly.ytd_numerator IS 'The year to date''s numerator, as numerator is for the quarter; NULL when ytd_value is NULL.';
COMMENT ON COLUMN mart.dashboard_quarterly.ytd_denominator IS 'The year to date''s denominator, as denominator is for the quarter (NULL for counts); NULL when ytd_value is NULL.';
COMMENT ON COLUMN mart.dashboard_quarterly.previous_value IS 'What a target is set from: last year''s year to date (annual cohorts: the previous cohort), in the indicator''s unit. NULL unless all its data is available (incomplete is not enough).';
COMMENT ON COLUMN mart.dashboard_quarterly.target_kind IS 'The financial year''s target: reduce_by_percent, within_range, beat_previous_cohort, or none (no target set, or monitored only).';
COMMENT ON COLUMN mart.dashboard_quarterly.target_value IS 'The figure the year to date is judged against, in the indicator''s unit: last year''s year to date less the target percentage (reduce_by_percent) or the previous cohort''s value (beat_previous_cohort). NULL for a range (see target_text), no target, no previous value, or data not available.';
COMMENT ON COLUMN mart.dashboard_quarterly.target_text IS 'The target in words, e.g. ''year to date 3% below last year''s'', ''year to date within 28%-40%'', ''better than the previous cohort'', ''no target set for 2016/17''.';
COMMENT ON COLUMN mart.dashboard_quarterly.on_track_reason IS 'Why on_track is what it is, in words, e.g. ''above the target 38.96: missed by 2.1%'', or ''data incomplete: ...'' / ''data not available: ...'' with the sources'' reason.';
COMMENT ON COLUMN mart.dashboard_quarterly.trend_basis IS 'How the trend was judged (the six months and the test), or for quarterly and annual indicators which comparison to read instead.';
COMMENT ON COLUMN mart.dashboard_quarterly.comparison_basis IS 'What the district comparison used, e.g. ''rate per 1,000 residents (mid-2015 estimate), 95% interval'' or ''Wilson 95% interval''; NULL where there is no comparison.';
COMMENT ON COLUMN mart.dashboard_quarterly.district_rank IS 'The district''s rank among the districts compared (1 = best: the lowest where low is good, else the highest; ties share a rank). NULL for the county and for a district not compared (no value, or its value withheld).';
COMMENT ON COLUMN mart.dashboard_quarterly.districts_ranked IS 'How many districts were ranked (those with a value that is published); NULL for the county and when none were.';
COMMENT ON COLUMN mart.dashboard_quarterly.suppressed IS 'True when disclosure control withholds the quarter''s value (suppression is set); the figures in this table are the true ones either way.';
COMMENT ON COLUMN mart.dashboard_quarterly.run_id IS 'The run that computed the quarter: an Airflow DAG run id, or cli__<time> from the command line.';
COMMENT ON COLUMN mart.dashboard_quarterly.code_version IS 'The package version and a digest of what decides a figure (catalogue, observations SQL, mart DDL, code), as <version>+<12 hex characters>.';
COMMENT ON COLUMN mart.dashboard_quarterly.computed_at IS 'When the quarter was computed (UTC).';

COMMENT ON COLUMN mart.dashboard_monthly.quarter_label IS 'The quarter whose six-month trend window (the six months to its end) the month is in; part of the key: one row per quarter x indicator x area x month.';
COMMENT ON COLUMN mart.dashboard_monthly.indicator_id IS 'The indicator (its id in include/config/indicators.yaml); monthly indicators only; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly.indicator_name IS 'The indicator''s name as the dashboard prints it.';
COMMENT ON COLUMN mart.dashboard_monthly.sort_order IS 'The indicator''s position in the catalogue (1 = first), as in mart.dashboard_quarterly.';
COMMENT ON COLUMN mart.dashboard_monthly.area_code IS 'ONS code of the area: the county (E10000018) or one of its seven districts; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly.area_name IS 'The area''s name.';
COMMENT ON COLUMN mart.dashboard_monthly.area_type IS 'county or district.';
COMMENT ON COLUMN mart.dashboard_monthly.unit IS 'The unit of value: count, rate_per_1000 (per 1,000 residents), rate_per_10000_females (per 10,000 female residents) or percent (0-100).';
COMMENT ON COLUMN mart.dashboard_monthly.polarity IS 'Which way is good: low, high, or none (no judgement).';
COMMENT ON COLUMN mart.dashboard_monthly.month_start IS 'First day of the month; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly.status_reason IS 'Why the month has its status, in words.';
COMMENT ON COLUMN mart.dashboard_monthly.value IS 'The month''s value in the indicator''s unit (a rate per the ONS mid-year population of population_year); NULL when the data is not available (never 0). The true value, withheld or not.';
COMMENT ON COLUMN mart.dashboard_monthly.value_display IS 'What the published series prints: the value in its unit, n/a when the data is not available, <5 for a count of 1-4 people, [c] when withheld so that a small number elsewhere cannot be worked out.';
COMMENT ON COLUMN mart.dashboard_monthly.numerator IS 'The month''s count: the count itself, a rate''s events, or a percentage''s numerator; NULL when the data is not available.';
COMMENT ON COLUMN mart.dashboard_monthly.denominator IS 'A rate''s population (of population_year) or a percentage''s base count; NULL for counts and when the data is not available.';
COMMENT ON COLUMN mart.dashboard_monthly.persons IS 'The people behind the month''s figure (person-level indicators); NULL for other indicators and when the data is not available; not published.';
COMMENT ON COLUMN mart.dashboard_monthly.suppressed IS 'True when disclosure control withholds the month''s value (suppression is set); the figures in this table are the true ones either way.';
COMMENT ON COLUMN mart.dashboard_monthly.run_id IS 'The run that computed the quarter: an Airflow DAG run id, or cli__<time> from the command line.';
COMMENT ON COLUMN mart.dashboard_monthly.code_version IS 'The package version and a digest of what decides a figure, as in mart.dashboard_quarterly.';
COMMENT ON COLUMN mart.dashboard_monthly.computed_at IS 'When the quarter was computed (UTC).';

COMMENT ON COLUMN mart.dashboard_summary.quarter_label IS 'Financial-year quarter, e.g. ''2015/16 Q1''; part of the key: one row per quarter x priority.';
COMMENT ON COLUMN mart.dashboard_summary.priority_id IS 'The priority (its id in the catalogue), or ''all'' for the overall row; part of the key.';
COMMENT ON COLUMN mart.dashboard_summary.priority_name IS 'The priority''s name, or ''All priorities''.';
COMMENT ON COLUMN mart.dashboard_summary.sort_order IS '0 for the overall row, then the priorities in catalogue order (1 = first).';
COMMENT ON COLUMN mart.dashboard_summary.indicators IS 'Count of the priority''s indicators (county rows).';
COMMENT ON COLUMN mart.dashboard_summary.with_data IS 'Count of indicators with data (status available or incomplete).';
COMMENT ON COLUMN mart.dashboard_summary.on_track IS 'Count of indicators on track (green), as published: a withheld judgement is not counted.';
COMMENT ON COLUMN mart.dashboard_summary.amber IS 'Count of indicators amber (target missed by no more than 5%), as published.';
COMMENT ON COLUMN mart.dashboard_summary.red IS 'Count of indicators red (target missed by more than 5%), as published.';
COMMENT ON COLUMN mart.dashboard_summary.no_target IS 'Count of indicators with data but no target for the year (target_kind none).';
COMMENT ON COLUMN mart.dashboard_summary.not_available IS 'Count of indicators without data (awaited, late, unavailable or rejected).';
COMMENT ON COLUMN mart.dashboard_summary.improving IS 'Count of indicators whose published six-month trend is improving.';
COMMENT ON COLUMN mart.dashboard_summary.worsening IS 'Count of indicators whose published six-month trend is worsening.';
COMMENT ON COLUMN mart.dashboard_summary.unavailable_reasons IS 'Each source leaving an indicator without data: ''<source> (<status>): <reason>'', separated by '' | ''; NULL when every indicator has data.';
COMMENT ON COLUMN mart.dashboard_summary.note IS 'For a priority without indicators, why (e.g. ''Appropriate measures for this priority are being determined.''); NULL otherwise.';
COMMENT ON COLUMN mart.dashboard_summary.run_id IS 'The run that computed the quarter: an Airflow DAG run id, or cli__<time> from the command line.';
COMMENT ON COLUMN mart.dashboard_summary.code_version IS 'The package version and a digest of what decides a figure, as in mart.dashboard_quarterly.';
COMMENT ON COLUMN mart.dashboard_summary.computed_at IS 'When the quarter was computed (UTC).';

-- mart: the published views (after disclosure control)

COMMENT ON COLUMN mart.dashboard_published.quarter_label IS 'Financial-year quarter, e.g. ''2015/16 Q1''; part of the key: one row per quarter x indicator x area.';
COMMENT ON COLUMN mart.dashboard_published.quarter_start IS 'First day of the quarter, e.g. 2015-04-01.';
COMMENT ON COLUMN mart.dashboard_published.priority_id IS 'The priority the indicator belongs to (its id in include/config/indicators.yaml, e.g. crime).';
COMMENT ON COLUMN mart.dashboard_published.priority_name IS 'The priority''s name, e.g. ''Ongoing reductions in crime''.';
COMMENT ON COLUMN mart.dashboard_published.indicator_id IS 'The indicator (its id in include/config/indicators.yaml, e.g. total_recorded_crime); part of the key.';
COMMENT ON COLUMN mart.dashboard_published.indicator_name IS 'The indicator''s name as the dashboard prints it.';
COMMENT ON COLUMN mart.dashboard_published.sort_order IS 'The indicator''s position in the catalogue (1 = first): the dashboard''s row order.';
COMMENT ON COLUMN mart.dashboard_published.area_code IS 'ONS code of the area: the county (E10000018, the sum of its districts) or one of its seven districts; part of the key.';
COMMENT ON COLUMN mart.dashboard_published.area_name IS 'The area''s name.';
COMMENT ON COLUMN mart.dashboard_published.area_type IS 'county or district.';
COMMENT ON COLUMN mart.dashboard_published.unit IS 'The unit of the row''s values and intervals: count, rate_per_1000 (per 1,000 residents), rate_per_10000_females (per 10,000 female residents) or percent (0-100).';
COMMENT ON COLUMN mart.dashboard_published.polarity IS 'Which way is good: low, high, or none (no judgement).';
COMMENT ON COLUMN mart.dashboard_published.status IS 'Availability inherited from the sources: the worst status of any source period the quarter''s value needs (rejected, unavailable, late, awaited, incomplete, available).';
COMMENT ON COLUMN mart.dashboard_published.status_reason IS 'Why the row has its status, in words: the sources'' reasons for the worst status.';
COMMENT ON COLUMN mart.dashboard_published.value IS 'The quarter''s value in the indicator''s unit (annual cohorts: the previous financial year''s cohort); a rate is per the ONS mid-year population of its year (core.area_population). NULL when the data is not available (never 0) or the value is withheld by disclosure control.';
COMMENT ON COLUMN mart.dashboard_published.value_display IS 'What to print: the value in its unit (621, 3.65, 28.5%), n/a when the data is not available, <5 for a count of 1-4 people, [c] when withheld so that a small number elsewhere cannot be worked out.';
COMMENT ON COLUMN mart.dashboard_published.numerator IS 'The count behind the value: the count itself, a rate''s events, or a percentage''s numerator (survey: weighted respondents answering yes; IOM: baseline minus follow-up offences). NULL when the data is not available or the value is withheld.';
COMMENT ON COLUMN mart.dashboard_published.denominator IS 'A rate''s population (residents, or female residents, of population_year''s ONS mid-year estimate) or a percentage''s base (survey: weighted); NULL for counts, when the data is not available, and when the value is withheld.';
COMMENT ON COLUMN mart.dashboard_published.population_year IS 'Rates: the year of the ONS mid-year estimate (core.area_population) the value, year to date and denominator are per: the year the financial year starts in, else the nearest available. NULL for counts and percentages, and when there is no value.';
COMMENT ON COLUMN mart.dashboard_published.population_note IS 'Rates: why a figure of the row is not per its own year''s estimate, e.g. ''mid-2015 estimate used: no estimate for 2019 in the reference data''; NULL when every figure uses its own year, and for counts and percentages.';
COMMENT ON COLUMN mart.dashboard_published.interval_lower IS 'Lower bound of the value''s 95% confidence interval, in the indicator''s unit (method in interval_method); NULL when there is no value or it is withheld.';
COMMENT ON COLUMN mart.dashboard_published.interval_upper IS 'Upper bound of the value''s 95% confidence interval, in the indicator''s unit (method in interval_method); NULL when there is no value or it is withheld.';
COMMENT ON COLUMN mart.dashboard_published.interval_method IS 'How the interval was worked out: exact Poisson (under 10 events) or Byar for counts and rates, Wilson for percentages, Wilson (Kish effective n) for the weighted survey, on follow-up offences for the IOM reduction; NULL when there is no interval.';
COMMENT ON COLUMN mart.dashboard_published.last_year_value IS 'The same quarter a year before (annual cohorts: the previous cohort), in the indicator''s unit; a rate per the population of its own year. NULL when that data is not available or it is withheld (last_year_suppression).';
COMMENT ON COLUMN mart.dashboard_published.change IS 'value minus last_year_value, a difference in the indicator''s own unit: referrals or people for counts, per 1,000 residents or per 10,000 females for rates, percentage points for percentages (not a relative change: see change_percent). NULL when either is missing or withheld.';
COMMENT ON COLUMN mart.dashboard_published.change_percent IS 'The relative change on last year, in percent: 100 x change / last_year_value (-3.0 is 3% lower). NULL when either value is missing or withheld, or last year''s is 0.';
COMMENT ON COLUMN mart.dashboard_published.ytd_value IS 'Year to date, April to the quarter''s end (annual cohorts: the cohort, as value), in the indicator''s unit; the on-track judgement is made on it. NULL when its data is not available or it is withheld (ytd_suppression).';
COMMENT ON COLUMN mart.dashboard_published.ytd_numerator IS 'The year to date''s numerator, as numerator is for the quarter; NULL when ytd_value is NULL or withheld.';
COMMENT ON COLUMN mart.dashboard_published.ytd_denominator IS 'The year to date''s denominator, as denominator is for the quarter (NULL for counts); NULL when ytd_value is NULL or withheld.';
COMMENT ON COLUMN mart.dashboard_published.previous_value IS 'What a target is set from: last year''s year to date (annual cohorts: the previous cohort), in the indicator''s unit. NULL unless all its data is available, and when it is withheld (previous_suppression).';
COMMENT ON COLUMN mart.dashboard_published.target_kind IS 'The financial year''s target: reduce_by_percent, within_range, beat_previous_cohort, or none (no target set, or monitored only).';
COMMENT ON COLUMN mart.dashboard_published.target_value IS 'The figure the year to date is judged against, in the indicator''s unit: last year''s year to date less the target percentage (reduce_by_percent) or the previous cohort''s value (beat_previous_cohort). NULL for a range, no target, no previous value, data not available, or when it would reveal a withheld previous value.';
COMMENT ON COLUMN mart.dashboard_published.target_text IS 'The target in words, e.g. ''year to date 3% below last year''s'', ''year to date within 28%-40%'', ''better than the previous cohort'', ''no target set for 2016/17''.';
COMMENT ON COLUMN mart.dashboard_published.on_track IS 'green (target met), amber (missed by no more than 5%), red (missed by more) or grey (no target, or data not available or incomplete), judged on the year to date; NULL when the figures it is judged on are withheld.';
COMMENT ON COLUMN mart.dashboard_published.on_track_reason IS 'Why on_track is what it is, in words (e.g. ''above the target 38.96: missed by 2.1%''), or that it is not shown because the figures it is judged on are withheld.';
COMMENT ON COLUMN mart.dashboard_published.trend IS 'Six-month trend of a monthly indicator (Poisson regression, Wald test): improving, worsening, increasing, decreasing, no significant change, or cannot be calculated (also every quarterly and annual indicator). NULL when the value or a month of the trend is withheld.';
COMMENT ON COLUMN mart.dashboard_published.trend_basis IS 'How the trend was judged (the six months and the test), or for quarterly and annual indicators which comparison to read instead.';
COMMENT ON COLUMN mart.dashboard_published.comparison IS 'Districts only: better, similar or worse than the county by the district''s 95% interval (higher, similar or lower where there is no judgement). NULL for the county, when either value is missing, and when the district''s or the county''s value is withheld.';
COMMENT ON COLUMN mart.dashboard_published.comparison_basis IS 'What the district comparison used, e.g. ''rate per 1,000 residents (mid-2015 estimate), 95% interval'' or ''Wilson 95% interval''; NULL where there is no comparison.';
COMMENT ON COLUMN mart.dashboard_published.district_rank IS 'The district''s rank among the districts whose value is published (1 = best: the lowest where low is good, else the highest; ties share a rank). NULL for the county and for a district not ranked or withheld.';
COMMENT ON COLUMN mart.dashboard_published.districts_ranked IS 'How many districts were ranked (those with a published value); NULL for the county and when none were.';
COMMENT ON COLUMN mart.dashboard_published.suppressed IS 'True when the quarter''s value is withheld, and with it its numerator, denominator, interval, change, comparison, rank and trend.';
COMMENT ON COLUMN mart.dashboard_published.suppression IS 'Why the quarter''s value is withheld: primary (its own count is 1-4 people, shown <5) or secondary (so that a small number elsewhere cannot be worked out, shown [c]); NULL when published.';
COMMENT ON COLUMN mart.dashboard_published.ytd_suppression IS 'The year to date withheld (primary or secondary), and with it the on-track judgement; NULL when published.';
COMMENT ON COLUMN mart.dashboard_published.last_year_suppression IS 'Last year''s value withheld (primary or secondary), and with it the change; NULL when published.';
COMMENT ON COLUMN mart.dashboard_published.previous_suppression IS 'The previous value withheld (primary or secondary), and with it a target and on-track judgement set from it; NULL when published.';
COMMENT ON COLUMN mart.dashboard_published.trend_suppressed IS 'True when a month of the six-month trend is withheld, so the trend word is not published.';
COMMENT ON COLUMN mart.dashboard_published.run_id IS 'The run that computed the quarter: an Airflow DAG run id, or cli__<time> from the command line.';
COMMENT ON COLUMN mart.dashboard_published.code_version IS 'The package version and a digest of what decides a figure (catalogue, observations SQL, mart DDL, code), as <version>+<12 hex characters>.';
COMMENT ON COLUMN mart.dashboard_published.computed_at IS 'When the quarter was computed (UTC).';

COMMENT ON COLUMN mart.dashboard_monthly_published.quarter_label IS 'The quarter whose six-month trend window (the six months to its end) the month is in; part of the key: one row per quarter x indicator x area x month.';
COMMENT ON COLUMN mart.dashboard_monthly_published.indicator_id IS 'The indicator (its id in include/config/indicators.yaml); monthly indicators only; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly_published.indicator_name IS 'The indicator''s name as the dashboard prints it.';
COMMENT ON COLUMN mart.dashboard_monthly_published.sort_order IS 'The indicator''s position in the catalogue (1 = first), as in the dashboard.';
COMMENT ON COLUMN mart.dashboard_monthly_published.area_code IS 'ONS code of the area: the county (E10000018) or one of its seven districts; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly_published.area_name IS 'The area''s name.';
COMMENT ON COLUMN mart.dashboard_monthly_published.area_type IS 'county or district.';
COMMENT ON COLUMN mart.dashboard_monthly_published.unit IS 'The unit of value: count, rate_per_1000 (per 1,000 residents), rate_per_10000_females (per 10,000 female residents) or percent (0-100).';
COMMENT ON COLUMN mart.dashboard_monthly_published.polarity IS 'Which way is good: low, high, or none (no judgement).';
COMMENT ON COLUMN mart.dashboard_monthly_published.month_start IS 'First day of the month; part of the key.';
COMMENT ON COLUMN mart.dashboard_monthly_published.status IS 'The month''s own availability: the worst status of its source periods (rejected, unavailable, late, awaited, incomplete, available).';
COMMENT ON COLUMN mart.dashboard_monthly_published.status_reason IS 'Why the month has its status, in words.';
COMMENT ON COLUMN mart.dashboard_monthly_published.value IS 'The month''s value in the indicator''s unit (a rate per the ONS mid-year population of population_year); NULL when the data is not available (never 0) or the month is withheld by disclosure control.';
COMMENT ON COLUMN mart.dashboard_monthly_published.value_display IS 'What to print: the value in its unit, n/a when the data is not available, <5 for a count of 1-4 people, [c] when withheld so that a small number elsewhere cannot be worked out.';
COMMENT ON COLUMN mart.dashboard_monthly_published.numerator IS 'The month''s count: the count itself, a rate''s events, or a percentage''s numerator; NULL when the data is not available or the month is withheld.';
COMMENT ON COLUMN mart.dashboard_monthly_published.denominator IS 'A rate''s population (of population_year) or a percentage''s base count; NULL for counts, when the data is not available, and when the month is withheld.';
COMMENT ON COLUMN mart.dashboard_monthly_published.population_year IS 'Rates: the year of the ONS mid-year estimate the month''s value is per (its financial year''s, else the nearest available); NULL for counts and percentages, and when there is no value.';
COMMENT ON COLUMN mart.dashboard_monthly_published.population_note IS 'Rates: why the month''s value is not per its own year''s estimate; NULL when it is.';
COMMENT ON COLUMN mart.dashboard_monthly_published.suppressed IS 'True when the month''s value is withheld by disclosure control (value, numerator and denominator are NULL).';
COMMENT ON COLUMN mart.dashboard_monthly_published.suppression IS 'primary (1-4 people in the month, shown <5) or secondary (withheld so that a small number elsewhere cannot be worked out, shown [c]); NULL when published.';
COMMENT ON COLUMN mart.dashboard_monthly_published.run_id IS 'The run that computed the quarter: an Airflow DAG run id, or cli__<time> from the command line.';
COMMENT ON COLUMN mart.dashboard_monthly_published.code_version IS 'The package version and a digest of what decides a figure, as in the dashboard.';
COMMENT ON COLUMN mart.dashboard_monthly_published.computed_at IS 'When the quarter was computed (UTC).';

-- audit: what was pulled, validated, quarantined and loaded, and every period's status

COMMENT ON COLUMN audit.pulled_file.source IS 'The registered source the file was pulled for; part of the key: one row per source x period x file content.';
COMMENT ON COLUMN audit.pulled_file.period IS 'The source''s period the file was pulled for (YYYY-MM, ''2015/16 Q1'' or ''2015/16''); part of the key.';
COMMENT ON COLUMN audit.pulled_file.sha256 IS 'SHA-256 of the file''s bytes (64 hex characters): the file''s identity; part of the key.';
COMMENT ON COLUMN audit.pulled_file.bytes IS 'Size of the file, in bytes.';
COMMENT ON COLUMN audit.pulled_file.rows IS 'Data rows in the file, counted on landing: lines after the header (a workbook: non-empty rows after the header of its sheet).';
COMMENT ON COLUMN audit.pulled_file.original_name IS 'The file''s name as delivered.';
COMMENT ON COLUMN audit.pulled_file.origin IS 'Where it was fetched from: its path in the drop folder, or its URL.';
COMMENT ON COLUMN audit.pulled_file.landing_path IS 'Where the pipeline keeps it: landing/<source>/<period>/<sha256><suffix>, a local path or an object-storage URL (deleted by a retention rule for sources that hold people: audit.raw_file_deletion).';
COMMENT ON COLUMN audit.pulled_file.first_pulled_at IS 'When these bytes were first pulled for the period (UTC).';
COMMENT ON COLUMN audit.pulled_file.last_pulled_at IS 'When these bytes were last pulled for the period (UTC).';
COMMENT ON COLUMN audit.pulled_file.pull_count IS 'Count of pulls of these bytes for the period (a retried task recording the same pull counts once).';
COMMENT ON COLUMN audit.pulled_file.first_run_id IS 'The run that first pulled the file (its Airflow DAG run id).';
COMMENT ON COLUMN audit.pulled_file.last_run_id IS 'The run that last pulled the file.';

COMMENT ON COLUMN audit.validation_result.source IS 'The registered source of the file validated.';
COMMENT ON COLUMN audit.validation_result.period IS 'The source''s period the file was pulled for.';
COMMENT ON COLUMN audit.validation_result.file_sha256 IS 'The file validated (audit.pulled_file.sha256).';
COMMENT ON COLUMN audit.validation_result.run_id IS 'The run that validated the file.';
COMMENT ON COLUMN audit.validation_result.suite_name IS 'The contract''s suite, <contract>.v<version>, e.g. police_street.v1.';
COMMENT ON COLUMN audit.validation_result.suite_version IS 'The contract''s version (include/contracts/<name>.yaml), raised whenever a rule changes.';
COMMENT ON COLUMN audit.validation_result.rule IS 'The rule''s id in the contract (e.g. district_known), or a parse rule: parse_utf8, parse_field_count, parse_type.';
COMMENT ON COLUMN audit.validation_result.expectation IS 'The Great Expectations expectation the rule ran as (e.g. expect_column_values_to_not_be_null), or parse for the parse rules.';
COMMENT ON COLUMN audit.validation_result.column_name IS 'The file column the rule checks, as the contract names it; NULL for rules on the whole file and for parse rules.';
COMMENT ON COLUMN audit.validation_result.severity IS 'critical (the file is rejected, or the failing rows quarantined), warning (the rows load; in a file that holds people the failing value is left empty) or info (recorded only).';
COMMENT ON COLUMN audit.validation_result.scope IS 'file (a critical failure rejects the whole file) or row (a critical failure quarantines the failing rows).';
COMMENT ON COLUMN audit.validation_result.success IS 'True when the rule passed.';
COMMENT ON COLUMN audit.validation_result.unexpected_count IS 'Count of rows that failed the rule; 0 when it passed.';
COMMENT ON COLUMN audit.validation_result.observed_value IS 'What Great Expectations observed, as JSON (e.g. the row count); NULL when it reports none.';
COMMENT ON COLUMN audit.validation_result.message IS 'The failure in words, naming the file, the rule, and the first failing lines and values (described, never quoted, in a file that holds people); NULL or empty when the rule passed.';
COMMENT ON COLUMN audit.validation_result.validated_at IS 'When the file was validated (UTC).';

COMMENT ON COLUMN audit.quarantine.source IS 'The registered source of the file.';
COMMENT ON COLUMN audit.quarantine.period IS 'The source''s period the file was pulled for.';
COMMENT ON COLUMN audit.quarantine.file_sha256 IS 'The file the row is in (audit.pulled_file.sha256).';
COMMENT ON COLUMN audit.quarantine.run_id IS 'The run whose validation held the row back.';
COMMENT ON COLUMN audit.quarantine.line IS 'The row''s line in the landed file (the header is line 1).';
COMMENT ON COLUMN audit.quarantine.rules IS 'The critical rules the row broke, comma-separated rule ids (audit.validation_result.rule).';
COMMENT ON COLUMN audit.quarantine.detail IS 'What was wrong with the row: the failing values (in a file that holds people, described by kind and length, never quoted) or the parse problem.';
COMMENT ON COLUMN audit.quarantine.raw_record IS 'The row as delivered (the raw line, or a workbook row as read; bad bytes shown as \xNN); for a file that holds people, only a note that it is withheld.';
COMMENT ON COLUMN audit.quarantine.quarantined_at IS 'When the row was held back (UTC).';

COMMENT ON COLUMN audit.load_batch.load_batch_id IS 'The load''s id (32 hex characters), carried by every staging and core row it wrote; the key.';
COMMENT ON COLUMN audit.load_batch.source IS 'The registered source of the slice loaded.';
COMMENT ON COLUMN audit.load_batch.period IS 'The source''s period of the slice loaded.';
COMMENT ON COLUMN audit.load_batch.file_sha256 IS 'The file loaded (audit.pulled_file.sha256).';
COMMENT ON COLUMN audit.load_batch.run_id IS 'The run that loaded the slice.';
COMMENT ON COLUMN audit.load_batch.rows_read IS 'Data rows read from the file, quarantined ones included.';
COMMENT ON COLUMN audit.load_batch.rows_loaded IS 'Rows loaded into staging.';
COMMENT ON COLUMN audit.load_batch.rows_quarantined IS 'Rows held back in audit.quarantine.';
COMMENT ON COLUMN audit.load_batch.loaded_at IS 'When the slice was loaded (UTC).';

COMMENT ON COLUMN audit.completeness_result.source IS 'The registered source of the slice checked.';
COMMENT ON COLUMN audit.completeness_result.period IS 'The source''s period of the slice checked.';
COMMENT ON COLUMN audit.completeness_result.run_id IS 'The run that loaded and checked the slice.';
COMMENT ON COLUMN audit.completeness_result.check_name IS 'The check, as declared for the source in the registry: no_location_share, district_collapse, volume, months_covered, districts_covered or follow_up_complete.';
COMMENT ON COLUMN audit.completeness_result.passed IS 'True when the check passed; a failure makes the period incomplete.';
COMMENT ON COLUMN audit.completeness_result.detail IS 'The check''s finding in words, e.g. ''1,234 of 9,876 rows (12.5%) have no location; above the 10% limit''.';
COMMENT ON COLUMN audit.completeness_result.checked_at IS 'When the check ran (UTC).';

COMMENT ON COLUMN audit.source_status.source IS 'The registered source; part of the key: one row per source x period.';
COMMENT ON COLUMN audit.source_status.period IS 'The source''s own period (YYYY-MM, ''2015/16 Q1'' or ''2015/16'', by its cadence); part of the key.';
COMMENT ON COLUMN audit.source_status.status IS 'available, incomplete, awaited (not yet due), late (deadline missed), unavailable (declared outage) or rejected.';
COMMENT ON COLUMN audit.source_status.reason IS 'Why, in words a board member can read.';
COMMENT ON COLUMN audit.source_status.file_sha256 IS 'The file the status is about (audit.pulled_file.sha256): the loaded or rejected file; NULL when there is no file.';
COMMENT ON COLUMN audit.source_status.run_id IS 'The run that decided the status.';
COMMENT ON COLUMN audit.source_status.decided_at IS 'When the status was decided (UTC).';

COMMENT ON COLUMN audit.source_status_history.source IS 'The registered source.';
COMMENT ON COLUMN audit.source_status_history.period IS 'The source''s own period (YYYY-MM, ''2015/16 Q1'' or ''2015/16'', by its cadence).';
COMMENT ON COLUMN audit.source_status_history.status IS 'The status decided: available, incomplete, awaited, late, unavailable or rejected.';
COMMENT ON COLUMN audit.source_status_history.reason IS 'Why, in words a board member can read.';
COMMENT ON COLUMN audit.source_status_history.file_sha256 IS 'The file the decision was about; NULL when there was no file.';
COMMENT ON COLUMN audit.source_status_history.run_id IS 'The run that made the decision.';
COMMENT ON COLUMN audit.source_status_history.decided_at IS 'When the decision was made (UTC); order by it for the history.';

COMMENT ON COLUMN audit.delivery_notice.source IS 'The registered source.';
COMMENT ON COLUMN audit.delivery_notice.period IS 'The source''s period the warning is about.';
COMMENT ON COLUMN audit.delivery_notice.run_id IS 'The run that noticed.';
COMMENT ON COLUMN audit.delivery_notice.noted_at IS 'When it was noted (UTC).';

COMMENT ON COLUMN audit.source_glance.source IS 'The registered source; with period, the key.';
COMMENT ON COLUMN audit.source_glance.period IS 'The source''s own period; with source, the key.';
COMMENT ON COLUMN audit.source_glance.status IS 'The current status (audit.source_status).';
COMMENT ON COLUMN audit.source_glance.reason IS 'Why, in words.';
COMMENT ON COLUMN audit.source_glance.decided_at IS 'When the status was decided (UTC).';
COMMENT ON COLUMN audit.source_glance.run_id IS 'The run that decided the status.';
COMMENT ON COLUMN audit.source_glance.file_sha256 IS 'The file the status is about; NULL when there is none.';
COMMENT ON COLUMN audit.source_glance.last_loaded_at IS 'When the slice was last loaded (UTC); NULL when never loaded.';
COMMENT ON COLUMN audit.source_glance.last_rows_loaded IS 'Rows the last load put in staging; NULL when never loaded.';
COMMENT ON COLUMN audit.source_glance.last_load_run_id IS 'The run of the last load; NULL when never loaded.';
COMMENT ON COLUMN audit.source_glance.critical_failures IS 'Count of critical rules the status''s file failed; 0 when none, or no file.';
COMMENT ON COLUMN audit.source_glance.warnings IS 'Count of non-critical rules (warning or info) the status''s file failed; 0 when none, or no file.';
COMMENT ON COLUMN audit.source_glance.failed_rules IS 'The ids of the rules the status''s file failed, comma-separated; NULL when none, or no file.';
COMMENT ON COLUMN audit.source_glance.quarantined_rows IS 'Count of the status''s file''s rows in audit.quarantine; 0 when none, or no file.';

COMMENT ON COLUMN audit.schema_version.digest IS 'SHA-256 (64 hex characters) of the names and contents of every sql/ddl file the warehouse was migrated with.';
COMMENT ON COLUMN audit.schema_version.migrated_at IS 'When the migration ran (UTC).';

COMMENT ON COLUMN audit.dashboard_readiness.quarter_label IS 'Financial-year quarter, e.g. ''2015/16 Q1''; the key: one row per quarter.';
COMMENT ON COLUMN audit.dashboard_readiness.run_id IS 'The run of the last check: a dashboard_deadlines DAG run, or cli__<time> from the command line.';
