"""Rates per the population of their own year: the ONS mid-2014 or mid-2015 estimate, else the nearest, said so.

The populations are the reference file's (``include/reference/district_population.csv``) and every
expected figure is worked out by hand from it: Blaby 95,851 residents and 48,790 females at mid-2014,
96,500 residents at mid-2015 (rounded to 100, no female split); the county is the sum of its seven
districts: 667,905 and 337,398 females at mid-2014, 675,200 at mid-2015 (its own rounded row says 675,300).
A financial year's rates are per the mid-year estimate of the year it starts in: 2015/16 per mid-2015.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import pytest

from safer_communities import dashboard
from safer_communities.dashboard import COUNTY, Area, statistics
from safer_communities.dashboard.indicators import Catalogue
from safer_communities.periods import Month, Quarter, month_range
from safer_communities.settings import REFERENCE_DIR

BLABY = "E07000129"
CADENCES = {"monthly_source": "monthly"}
STAMP = ("run-1", "test", datetime(2015, 9, 17))
NOT_2019 = "mid-2015 estimate used: no estimate for 2019 in the reference data"
NO_FEMALES = "females: mid-2014 estimate used, the latest with a female split"


def reference_areas() -> list[Area]:
    """The county and its seven districts as the reference file gives them (the county: the districts' sums)."""
    with (REFERENCE_DIR / "district_population.csv").open(encoding="utf-8", newline="") as handle:
        districts = [row for row in csv.DictReader(handle) if row["lad_code"].startswith("E07")]
    areas = [Area(r["lad_code"], r["lad_name"], "district", int(r["pop_mid2014_all"]), int(r["pop_mid2014_female"]),
                  {2014: (int(r["pop_mid2014_all"]), int(r["pop_mid2014_female"])),
                   2015: (int(r["pop_mid2015_rounded_100"]), None)}) for r in districts]
    persons = {year: sum(a.by_year[year][0] for a in areas) for year in (2014, 2015)}
    females = sum(a.females for a in areas)
    return [Area(COUNTY, "Leicestershire", "county", persons[2014], females,
                 {2014: (persons[2014], females), 2015: (persons[2015], None)}), *areas]


AREAS = reference_areas()


def catalogue(**indicator) -> Catalogue:
    base = {"id": "burglary", "name": "Burglary", "sources": ["monthly_source"], "grain": "month",
            "unit": "rate_per_1000", "numerator": "burglaries", "denominator": "residents", "polarity": "low",
            "targets": {}}
    return Catalogue(priorities=[{"id": "crime", "name": "Crime", "indicators": [{**base, **indicator}]}])


def observations(months: list[Month], blaby: float = 10, others: float = 20, indicator: str = "burglary"):
    """``blaby`` a month in Blaby and ``others`` a month in each of the six other districts."""
    return [{"indicator_id": indicator, "district_code": area.code, "period_start": month.start,
             "numerator": blaby if area.code == BLABY else others, "denominator": None, "persons": None,
             "weight_squares": None} for area in AREAS[1:] for month in months]


def statuses(months: list[Month]) -> list[dict]:
    return [{"source": "monthly_source", "period": str(m), "status": "available", "reason": "Loaded."} for m in months]


def build(quarter: Quarter, cat: Catalogue | None = None) -> dict[str, dict]:
    cat = cat or catalogue()
    months = month_range(Month(quarter.fy_start - 2, 4), quarter.months[-1])
    rows, _ = dashboard.build(quarter, cat, observations(months, indicator=cat.indicators[0].id), statuses(months),
                              AREAS, CADENCES, *STAMP)
    return {row["area_code"]: row for row in rows}


def test_the_county_is_the_sum_of_its_districts_in_the_reference_file():
    text = (REFERENCE_DIR / "district_population.csv").read_text(encoding="utf-8")
    rows = {row["lad_code"]: row for row in csv.DictReader(io.StringIO(text))}
    districts = [row for code, row in rows.items() if code.startswith("E07")]
    assert len(districts) == 7
    assert sum(int(r["pop_mid2014_all"]) for r in districts) == int(rows[COUNTY]["pop_mid2014_all"]) == 667905
    assert sum(int(r["pop_mid2014_female"]) for r in districts) == 337398  # the county row has no female figure
    # mid-2015 is rounded to 100 on each row: the districts add up to 675,200, the county's row says 675,300;
    # the sum is used, so that the county is always the sum of its districts
    assert sum(int(r["pop_mid2015_rounded_100"]) for r in districts) == 675200
    assert int(rows[COUNTY]["pop_mid2015_rounded_100"]) == 675300
    assert AREAS[0].by_year == {2014: (667905, 337398), 2015: (675200, None)}


@pytest.mark.parametrize("unit, year, expected", [
    ("rate_per_1000", 2014, (95851, 2014, None)),
    ("rate_per_1000", 2015, (96500, 2015, None)),
    ("rate_per_1000", 2019, (96500, 2015, NOT_2019)),
    ("rate_per_1000", 2013, (95851, 2014, "mid-2014 estimate used: no estimate for 2013 in the reference data")),
    ("count", 2015, (96500, 2015, None)),  # a count is compared per residents
    ("rate_per_10000_females", 2014, (48790, 2014, None)),
    ("rate_per_10000_females", 2015, (48790, 2014, NO_FEMALES)),
    ("rate_per_10000_females", 2012, (48790, 2014, "females: mid-2014 estimate used, the earliest with a female "
                                                   "split")),
])
def test_the_population_of_the_year_else_the_nearest_with_a_note(unit, year, expected):
    indicator = catalogue(unit=unit).indicators[0]
    found = dashboard.population(indicator, AREAS[1], year)
    assert (found.count, found.year, found.note) == expected


def test_a_tie_between_two_years_takes_the_earlier():
    area = Area("E07000001", "Somewhere", "district", 100, 50, {2014: (100, 50), 2016: (300, None)})
    found = dashboard.population(catalogue().indicators[0], area, 2015)
    assert (found.count, found.year) == (100, 2014)
    assert found.note == "mid-2014 estimate used: no estimate for 2015 in the reference data"


def test_an_area_without_years_is_per_its_mid_2014_figures():
    area = Area("E07000001", "Somewhere", "district", 1000, 500)
    found = dashboard.population(catalogue().indicators[0], area, 2015)
    assert (found.count, found.year) == (1000, 2014) and "no estimate for 2015" in found.note


def test_a_2015_16_quarter_is_per_mid_2015_and_last_year_per_mid_2014():
    rows = build(Quarter(2015, 2))  # July-September 2015
    blaby, county = rows[BLABY], rows[COUNTY]
    # Blaby: 30 burglaries in the quarter, 60 April-September, the same a year before
    assert blaby["value"] == pytest.approx(30 / 96500 * 1000, abs=1e-6)
    assert (blaby["numerator"], blaby["denominator"]) == (30, 96500)
    assert (blaby["population_year"], blaby["population_note"]) == (2015, None)
    assert blaby["ytd_value"] == pytest.approx(60 / 96500 * 1000, abs=1e-6) and blaby["ytd_denominator"] == 96500
    assert blaby["last_year_value"] == pytest.approx(30 / 95851 * 1000, abs=1e-6)  # 2014/15 Q2: mid-2014
    assert blaby["previous_value"] == pytest.approx(60 / 95851 * 1000, abs=1e-6)
    assert blaby["change"] == pytest.approx(30 / 96500 * 1000 - 30 / 95851 * 1000, abs=1e-6)
    low, high = statistics.rate_interval(30, 96500, per=1000)
    assert blaby["interval_lower"] == pytest.approx(low, abs=1e-6)
    assert blaby["interval_upper"] == pytest.approx(high, abs=1e-6)
    # the county: 3 x (10 + 6 x 20) = 390 per the sum of the districts' mid-2015 figures
    assert county["value"] == pytest.approx(390 / 675200 * 1000, abs=1e-6) and county["denominator"] == 675200
    assert county["last_year_value"] == pytest.approx(390 / 667905 * 1000, abs=1e-6)
    assert county["population_year"] == 2015


def test_a_2014_15_quarter_is_per_mid_2014_and_says_last_year_fell_back():
    blaby = build(Quarter(2014, 2))[BLABY]
    assert blaby["value"] == pytest.approx(30 / 95851 * 1000, abs=1e-6) and blaby["denominator"] == 95851
    assert blaby["population_year"] == 2014
    # 2013/14 has no estimate of its own: mid-2014 is the nearest
    assert blaby["last_year_value"] == pytest.approx(30 / 95851 * 1000, abs=1e-6)
    assert blaby["population_note"] == ("last year's figures: mid-2014 estimate used: no estimate for 2013 in the "
                                        "reference data")


def test_2019_20_falls_back_to_mid_2015_and_says_so():
    blaby = build(Quarter(2019, 1))[BLABY]
    assert blaby["value"] == pytest.approx(30 / 96500 * 1000, abs=1e-6) and blaby["denominator"] == 96500
    assert blaby["population_year"] == 2015
    assert blaby["population_note"] == (f"{NOT_2019}; last year's figures: mid-2015 estimate used: no estimate for "
                                        "2018 in the reference data")


def test_a_rate_per_10000_females_stays_on_mid_2014_females_and_says_so():
    rows = build(Quarter(2015, 1), catalogue(id="marac", unit="rate_per_10000_females", polarity="none"))
    blaby, county = rows[BLABY], rows[COUNTY]
    assert blaby["value"] == pytest.approx(30 / 48790 * 10000, abs=1e-6) and blaby["denominator"] == 48790
    assert county["value"] == pytest.approx(390 / 337398 * 10000, abs=1e-6) and county["denominator"] == 337398
    assert (blaby["population_year"], blaby["population_note"]) == (2014, NO_FEMALES)
    assert blaby["last_year_value"] == pytest.approx(30 / 48790 * 10000, abs=1e-6)  # 2014/15: its own year


def test_no_value_no_population_year():
    months = month_range(Month(2013, 4), Month(2015, 9))
    rows, _ = dashboard.build(Quarter(2015, 2), catalogue(), observations(months), statuses(months[:-1]), AREAS,
                              CADENCES, *STAMP)  # September 2015 never ingested
    blaby = next(row for row in rows if row["area_code"] == BLABY)
    assert (blaby["value"], blaby["denominator"], blaby["population_year"], blaby["population_note"]) == (
        None, None, None, None)


def test_a_count_has_no_population_year_but_is_compared_per_its_years_residents():
    rows = build(Quarter(2015, 2), catalogue(unit="count", polarity="none"))
    assert {(row["population_year"], row["population_note"]) for row in rows.values()} == {(None, None)}
    # a count is compared per 1,000 residents of its year
    assert rows[BLABY]["comparison_basis"] == "rate per 1,000 residents (mid-2015 estimate), 95% interval"
    later = build(Quarter(2019, 1), catalogue(unit="count", polarity="none"))
    assert later[BLABY]["comparison_basis"] == f"rate per 1,000 residents ({NOT_2019}), 95% interval"


def test_the_six_month_trend_offsets_each_month_by_its_own_years_population(monkeypatch):
    offsets = {}

    def trend(counts, offset, polarity, complete, confidence):
        offsets[len(offsets)] = list(offset)
        return "no significant change"

    monkeypatch.setattr(statistics, "trend", trend)
    build(Quarter(2015, 1))  # January-June 2015: three months of 2014/15, three of 2015/16
    county, blaby = offsets[0], offsets[1]
    assert county == [667905] * 3 + [675200] * 3
    assert blaby == [95851] * 3 + [96500] * 3


def test_the_monthly_series_is_per_each_months_own_year():
    months = month_range(Month(2013, 4), Month(2015, 6))
    rows = dashboard.build_monthly(Quarter(2015, 1), catalogue(), observations(months), statuses(months), AREAS,
                                   CADENCES, *STAMP)
    blaby = {row["month_start"]: row for row in rows if row["area_code"] == BLABY}
    march, april = blaby[date(2015, 3, 1)], blaby[date(2015, 4, 1)]
    assert (march["denominator"], march["population_year"], march["population_note"]) == (95851, 2014, None)
    assert march["value"] == pytest.approx(10 / 95851 * 1000, abs=1e-6)
    assert (april["denominator"], april["population_year"], april["population_note"]) == (96500, 2015, None)
    assert april["value"] == pytest.approx(10 / 96500 * 1000, abs=1e-6)


# ---------------------------------------------------------------------------- the warehouse


def test_the_warehouse_holds_populations_by_year(warehouse):
    found = {(r["area_code"], r["year"]): (r["persons"], r["females"]) for r in warehouse.query(
        "SELECT area_code, year, persons, females FROM core.area_population")}
    assert found[(COUNTY, 2014)] == (667905, 337398)
    assert found[(COUNTY, 2015)] == (675200, None)  # the sum of the districts, not the rounded county row
    assert found[(BLABY, 2014)] == (95851, 48790) and found[(BLABY, 2015)] == (96500, None)
    assert found[("E06000016", 2014)] == (337653, 170321) and ("E06000016", 2015) not in found  # Leicester
    assert len(found) == 2 * 8 + 2
    # core.dim_area keeps its columns
    blaby = warehouse.query("SELECT population_mid2014, females_mid2014, population_mid2015 FROM core.dim_area "
                            "WHERE area_code = :code", {"code": BLABY})[0]
    assert (blaby["population_mid2014"], blaby["females_mid2014"], blaby["population_mid2015"]) == (95851, 48790,
                                                                                                   96500)


def test_the_mart_the_published_view_and_the_export_say_which_year(warehouse, home, tmp_path):
    lsoa = warehouse.query("SELECT MIN(lsoa_code) AS code FROM core.dim_lsoa WHERE district_code = :d",
                           {"d": BLABY})[0]["code"]
    months = month_range(Month(2013, 4), Month(2015, 9))
    with warehouse.begin() as connection:
        from sqlalchemy import text

        for month in months:
            connection.execute(text(
                "INSERT INTO core.fact_police_crime (source, month_start, lsoa_code, district_code, crime_type, "
                "incidents, load_batch_id) VALUES ('police_street_crime', :m, :lsoa, :d, 'Burglary', 10, 'test')"),
                {"m": month.start, "lsoa": lsoa, "d": BLABY})
            connection.execute(text(
                "INSERT INTO audit.source_status (source, period, status, reason, run_id, decided_at) "
                "VALUES ('police_street_crime', :p, 'available', 'Loaded.', 'test', :at)"),
                {"p": str(month), "at": datetime(2015, 10, 1)})
    result = dashboard.compute(warehouse, Quarter(2015, 2), run_id="test", export_dir=tmp_path)
    query = ("SELECT * FROM {table} WHERE quarter_label = '2015/16 Q2' AND indicator_id = 'burglary' "
             "AND area_code = :d")
    mart = warehouse.query(query.format(table="mart.dashboard_quarterly"), {"d": BLABY})[0]
    assert mart["value"] == pytest.approx(30 / 96500 * 1000, abs=1e-6) and mart["denominator"] == 96500
    assert (mart["population_year"], mart["population_note"]) == (2015, None)
    assert mart["last_year_value"] == pytest.approx(30 / 95851 * 1000, abs=1e-6)
    county = warehouse.query(query.format(table="mart.dashboard_published"), {"d": COUNTY})[0]
    assert (county["denominator"], county["population_year"]) == (675200, 2015)
    marac = warehouse.query("SELECT population_year, population_note FROM mart.dashboard_quarterly WHERE "
                            "quarter_label = '2015/16 Q2' AND indicator_id = 'marac_referrals'")
    assert {(r["population_year"], r["population_note"]) for r in marac} == {(None, None)}  # no MARAC data
    monthly = {r["month_start"]: r for r in warehouse.query(
        query.format(table="mart.dashboard_monthly_published"), {"d": BLABY})}
    assert (monthly[date(2015, 9, 1)]["denominator"], monthly[date(2015, 9, 1)]["population_year"]) == (96500, 2015)
    path = next(Path(f) for f in result["files"] if Path(f).name == "dashboard.csv")
    exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = next(r for r in exported if r["indicator_id"] == "burglary" and r["area_code"] == BLABY)
    assert (row["population_year"], row["population_note"], float(row["denominator"])) == ("2015", "", 96500)
