-- Rebuild the conformed dimensions from the reference files just copied into
-- staging.ref_* (see safer_communities.warehouse.load_reference).

DELETE FROM core.dim_period;
INSERT INTO core.dim_period
SELECT month_start, month, calendar_year, calendar_month, financial_year, fy_start_year,
       fy_quarter, quarter_label, quarter_start, month_of_fy
FROM staging.ref_period;

DELETE FROM core.dim_crime_type;
INSERT INTO core.dim_crime_type
SELECT crime_type, crime_type_code, is_asb, sort_order FROM staging.ref_crime_type;

DELETE FROM core.dim_area;
INSERT INTO core.dim_area
SELECT
    p.lad_code,
    p.lad_name,
    CASE WHEN p.lad_code LIKE 'E10%' THEN 'county'
         WHEN p.lad_code LIKE 'E07%' THEN 'district'
         ELSE 'unitary authority' END,
    CASE WHEN p.lad_code LIKE 'E07%' THEN 'E10000018' END,
    p.lad_code = 'E10000018' OR p.lad_code LIKE 'E07%',
    p.pop_mid2014_all,
    p.pop_mid2014_female,
    p.pop_mid2015_rounded_100
FROM staging.ref_district_population AS p;

-- Populations by year: each area's own figures, then the county as the sum of its districts (its rounded
-- mid-2015 row, 675,300, is not the sum of the districts' rounded figures, 675,200: the sum is used).
DELETE FROM core.area_population;
INSERT INTO core.area_population (area_code, year, persons, females)
SELECT p.lad_code, 2014, p.pop_mid2014_all, p.pop_mid2014_female
FROM staging.ref_district_population AS p
JOIN core.dim_area AS a ON a.area_code = p.lad_code
WHERE a.area_type <> 'county' AND p.pop_mid2014_all IS NOT NULL
UNION ALL
SELECT p.lad_code, 2015, p.pop_mid2015_rounded_100, NULL
FROM staging.ref_district_population AS p
JOIN core.dim_area AS a ON a.area_code = p.lad_code
WHERE a.area_type <> 'county' AND p.pop_mid2015_rounded_100 IS NOT NULL;
INSERT INTO core.area_population (area_code, year, persons, females)
SELECT a.parent_code, p.year, SUM(p.persons),
       CASE WHEN COUNT(p.females) = COUNT(*) THEN SUM(p.females) END
FROM core.area_population AS p
JOIN core.dim_area AS a ON a.area_code = p.area_code
WHERE a.parent_code IS NOT NULL
GROUP BY a.parent_code, p.year
HAVING COUNT(*) = (SELECT COUNT(*) FROM core.dim_area AS d WHERE d.parent_code = a.parent_code);

DELETE FROM core.dim_lsoa;
INSERT INTO core.dim_lsoa
SELECT r.lsoa11cd, r.lsoa11nm, r.lad15cd, a.in_county
FROM staging.ref_lsoa_lookup AS r
JOIN core.dim_area AS a ON a.area_code = r.lad15cd;

DELETE FROM staging.ref_period;
DELETE FROM staging.ref_crime_type;
DELETE FROM staging.ref_district_population;
DELETE FROM staging.ref_lsoa_lookup;
