-- Conformed dimensions, rebuilt from the project's reference data by
-- safer_communities.warehouse.load_reference (sql/load/reference.sql).

CREATE TABLE IF NOT EXISTS core.dim_period (
    month_start     DATE PRIMARY KEY,
    month           VARCHAR(7) NOT NULL,
    calendar_year   INTEGER NOT NULL,
    calendar_month  INTEGER NOT NULL,
    financial_year  VARCHAR(7) NOT NULL,
    fy_start_year   INTEGER NOT NULL,
    fy_quarter      INTEGER NOT NULL,
    quarter_label   VARCHAR(10) NOT NULL,
    quarter_start   DATE NOT NULL,
    month_of_fy     INTEGER NOT NULL
);
COMMENT ON TABLE core.dim_period IS 'Calendar months with their UK financial year (April-March) and quarter, e.g. 2015-04 is in 2015/16 Q1.';
COMMENT ON COLUMN core.dim_period.quarter_label IS 'Financial-year quarter label, e.g. ''2015/16 Q1'' (April-June 2015).';

CREATE TABLE IF NOT EXISTS core.dim_area (
    area_code           VARCHAR(9) PRIMARY KEY,
    area_name           VARCHAR NOT NULL,
    area_type           VARCHAR NOT NULL,
    parent_code         VARCHAR(9),
    in_county           BOOLEAN NOT NULL,
    population_mid2014  INTEGER,
    females_mid2014     INTEGER,
    population_mid2015  INTEGER
);
COMMENT ON TABLE core.dim_area IS 'Leicestershire county (E10000018), its seven districts, and Leicester and Rutland (same force area, not in the county dashboard). ONS mid-year populations.';
COMMENT ON COLUMN core.dim_area.in_county IS 'True for the county and its seven districts: the areas of the dashboard.';
COMMENT ON COLUMN core.dim_area.population_mid2014 IS 'ONS mid-2014 resident population (exact); the county''s is the sum of its districts''.';
COMMENT ON COLUMN core.dim_area.females_mid2014 IS 'ONS mid-2014 female residents (exact); NULL for the county, whose figure is the sum of its districts''.';
COMMENT ON COLUMN core.dim_area.population_mid2015 IS 'ONS mid-2015 resident population rounded to 100, as in the reference file (the county''s published 675,300; rates use core.area_population, where the county is the sum of its districts, 675,200).';

CREATE TABLE IF NOT EXISTS core.area_population (
    area_code  VARCHAR(9) NOT NULL,
    year       INTEGER NOT NULL,
    persons    INTEGER NOT NULL,
    females    INTEGER,
    PRIMARY KEY (area_code, year)
);
COMMENT ON TABLE core.area_population IS 'ONS mid-year population estimates by area and year, from include/reference/district_population.csv: mid-2014 (exact, with females) and mid-2015 (rounded to 100, no female split). The county''s figures are the sums of its seven districts''. A rate uses its own year''s estimate, else the nearest (docs/dashboard.md, Population years).';
COMMENT ON COLUMN core.area_population.area_code IS 'The area (core.dim_area): the county, a district, Leicester or Rutland.';
COMMENT ON COLUMN core.area_population.year IS 'The year of the mid-year (30 June) estimate, e.g. 2015: the rates of financial year 2015/16 are per it.';
COMMENT ON COLUMN core.area_population.persons IS 'All residents.';
COMMENT ON COLUMN core.area_population.females IS 'Female residents (all ages); NULL where the estimate has no female split (mid-2015).';

CREATE TABLE IF NOT EXISTS core.dim_lsoa (
    lsoa_code      VARCHAR(9) PRIMARY KEY,
    lsoa_name      VARCHAR NOT NULL,
    district_code  VARCHAR(9) NOT NULL,
    in_county      BOOLEAN NOT NULL
);
COMMENT ON TABLE core.dim_lsoa IS 'ONS LSOA 2011 to local authority district (2015) lookup for Leicester, Leicestershire and Rutland (611 LSOAs).';

CREATE TABLE IF NOT EXISTS core.dim_crime_type (
    crime_type       VARCHAR PRIMARY KEY,
    crime_type_code  VARCHAR NOT NULL,
    is_asb           BOOLEAN NOT NULL,
    sort_order       INTEGER NOT NULL
);
COMMENT ON TABLE core.dim_crime_type IS 'The 14 data.police.uk categories. is_asb marks anti-social behaviour, which is not recorded crime.';
