-- Typed copies of validated extracts, one slice per (source, period). On PostgreSQL, migrate partitions each
-- table that holds files' rows by source and then by period, one partition per slice (warehouse/slices.py).

CREATE TABLE IF NOT EXISTS staging.police_street (
    source                 VARCHAR NOT NULL,
    period                 VARCHAR(10) NOT NULL,
    load_batch_id          VARCHAR NOT NULL,
    line                   INTEGER NOT NULL,
    crime_id               VARCHAR(64),
    month                  VARCHAR(7),
    reported_by            VARCHAR,
    falls_within           VARCHAR,
    longitude              DOUBLE PRECISION,
    latitude               DOUBLE PRECISION,
    location               VARCHAR,
    lsoa_code              VARCHAR(9),
    lsoa_name              VARCHAR,
    crime_type             VARCHAR,
    last_outcome_category  VARCHAR,
    context                VARCHAR
);
COMMENT ON TABLE staging.police_street IS 'Validated data.police.uk street-level rows as delivered (quarantined rows excluded); line is the row''s line in the landed file.';

-- Reference files as shipped in include/reference/, reloaded on every migrate.
CREATE TABLE IF NOT EXISTS staging.ref_lsoa_lookup (
    lsoa11cd VARCHAR, lsoa11nm VARCHAR, lad15cd VARCHAR, lad15nm VARCHAR, ccg15cd VARCHAR, ccg15nm VARCHAR
);
CREATE TABLE IF NOT EXISTS staging.ref_district_population (
    lad_code VARCHAR, lad_name VARCHAR, pop_mid2014_all INTEGER, pop_mid2014_male INTEGER,
    pop_mid2014_female INTEGER, pop_mid2015_rounded_100 INTEGER, source VARCHAR
);
CREATE TABLE IF NOT EXISTS staging.ref_crime_type (
    crime_type VARCHAR, crime_type_code VARCHAR, is_asb BOOLEAN, sort_order INTEGER
);
CREATE TABLE IF NOT EXISTS staging.ref_period (
    month_start DATE, month VARCHAR, calendar_year INTEGER, calendar_month INTEGER,
    financial_year VARCHAR, fy_start_year INTEGER, fy_quarter INTEGER, quarter_label VARCHAR,
    quarter_start DATE, month_of_fy INTEGER
);
COMMENT ON TABLE staging.ref_lsoa_lookup IS 'Transit copy of include/reference/lsoa11_to_lad15_llr.csv (ONS LSOA 2011 to district 2015), filled and emptied within every migrate, so always empty otherwise; read core.dim_lsoa.';
COMMENT ON TABLE staging.ref_district_population IS 'Transit copy of include/reference/district_population.csv (ONS mid-year estimates), filled and emptied within every migrate, so always empty otherwise; read core.dim_area and core.area_population.';
COMMENT ON TABLE staging.ref_crime_type IS 'Transit copy of include/reference/police_crime_types.csv (the data.police.uk crime types), filled and emptied within every migrate, so always empty otherwise; read core.dim_crime_type.';
COMMENT ON TABLE staging.ref_period IS 'Transit copy of the period calendar (FY 2000/01 to 2040/41) built by the migration, filled and emptied within every migrate, so always empty otherwise; read core.dim_period.';
