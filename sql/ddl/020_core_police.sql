-- Police recorded crime and ASB facts. Each (source, month) slice is replaced as a
-- whole by sql/load/police_street.sql.

CREATE TABLE IF NOT EXISTS core.fact_police_crime (
    source         VARCHAR NOT NULL,
    month_start    DATE NOT NULL,
    lsoa_code      VARCHAR(9) NOT NULL,
    district_code  VARCHAR(9) NOT NULL,
    crime_type     VARCHAR NOT NULL,
    incidents      INTEGER NOT NULL,
    load_batch_id  VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_police_crime IS 'Police incidents per LSOA x month x crime type, for LSOAs of Leicester, Leicestershire and Rutland. County and district figures: core.police_crime_district.';

CREATE TABLE IF NOT EXISTS core.fact_police_crime_unallocated (
    source         VARCHAR NOT NULL,
    month_start    DATE NOT NULL,
    reason         VARCHAR NOT NULL,
    lsoa_code      VARCHAR(9),
    crime_type     VARCHAR NOT NULL,
    incidents      INTEGER NOT NULL,
    load_batch_id  VARCHAR NOT NULL
);
COMMENT ON TABLE core.fact_police_crime_unallocated IS 'Police incidents that cannot be placed in a district: reason no_location (not geocoded, force level) or outside_force_area (LSOA outside the lookup: border snap points). Counted, never in district figures.';

CREATE OR REPLACE VIEW core.police_crime_district AS
SELECT
    f.source,
    f.month_start,
    f.district_code,
    a.area_name AS district_name,
    f.crime_type,
    c.is_asb,
    CAST(SUM(f.incidents) AS BIGINT) AS incidents
FROM core.fact_police_crime AS f
JOIN core.dim_area AS a ON a.area_code = f.district_code
JOIN core.dim_crime_type AS c ON c.crime_type = f.crime_type
WHERE a.in_county
GROUP BY f.source, f.month_start, f.district_code, a.area_name, f.crime_type, c.is_asb;
COMMENT ON VIEW core.police_crime_district IS 'Police incidents per county district x month x crime type (Leicester and Rutland left out). Recorded crime = rows with is_asb false.';
