"""The dashboard's rows from hand-made figures: values, windows, statuses, targets, trend, comparison, suppression.

Two districts (populations 1,000 and 3,000; the county is their sum) and a small catalogue,
so every expected figure can be worked out by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from safer_communities import dashboard
from safer_communities.dashboard import COUNTY, Area
from safer_communities.dashboard.indicators import Catalogue
from safer_communities.periods import FinancialYear, Month, Quarter, month_range

QUARTER = Quarter(2015, 1)  # April-June 2015
EAST, WEST = "E07000001", "E07000002"
AREAS = [Area(COUNTY, "County", "county", 4000, 2000), Area(EAST, "East", "district", 1000, 500),
         Area(WEST, "West", "district", 3000, 1500)]
CADENCES = {"monthly_source": "monthly", "quarterly_source": "quarterly", "annual_source": "annual"}
STAMP = {"run_id": "run-1", "version": "test", "computed_at": datetime(2015, 9, 17)}
MONTHS = month_range(Month(2013, 4), Month(2015, 6))


def catalogue(**indicator) -> Catalogue:
    base = {"id": "thing", "name": "A thing", "sources": ["monthly_source"], "grain": "month",
            "unit": "rate_per_1000", "numerator": "things", "denominator": "residents", "polarity": "low",
            "targets": {"2015/16": {"kind": "reduce_by_percent", "percent": 10}}}
    return Catalogue(priorities=[
        {"id": "crime", "name": "Crime", "indicators": [{**base, **indicator}]},
        {"id": "terrorism", "name": "Terrorism", "indicators": [], "no_measures": "Being determined."},
    ])


def monthly(counts: dict[str, dict[Month, float]], indicator: str = "thing", denominators=None) -> list[dict]:
    return [{"indicator_id": indicator, "district_code": district, "period_start": month.start,
             "numerator": count, "denominator": (denominators or {}).get(district, {}).get(month),
             "persons": None, "weight_squares": None}
            for district, by_month in counts.items() for month, count in by_month.items()]


def statuses(source: str = "monthly_source", periods=None, status="available", reason="Loaded.") -> list[dict]:
    return [{"source": source, "period": str(p), "status": status, "reason": reason} for p in periods or MONTHS]


def build(cat, observations, status_rows, quarter=QUARTER):
    return dashboard.build(quarter, cat, observations, status_rows, AREAS, CADENCES, STAMP["run_id"],
                           STAMP["version"], STAMP["computed_at"])


def by_area(rows) -> dict[str, dict]:
    return {row["area_code"]: row for row in rows}


def test_a_rate_its_year_to_date_last_year_and_the_target():
    # East: 10 a month; West: 30 a month, but 36 a month in April-June 2014 (last year).
    counts = {EAST: dict.fromkeys(MONTHS, 10), WEST: {m: 36 if m.financial_year == 2014 and m.month in (4, 5, 6)
                                                      else 30 for m in MONTHS}}
    rows, summary = build(catalogue(), monthly(counts), statuses())
    county, east = by_area(rows)[COUNTY], by_area(rows)[EAST]
    # county: 3 x (10 + 30) = 120 per 4,000 residents = 30 per 1,000
    assert county["value"] == 30.0 and county["numerator"] == 120 and county["denominator"] == 4000
    assert county["last_year_value"] == pytest.approx(3 * 46 / 4)  # 34.5
    assert county["change"] == pytest.approx(30 - 34.5)
    assert county["change_percent"] == pytest.approx(100 * -4.5 / 34.5, abs=1e-6)
    # Q1: the year to date is the quarter; the target is 10% below last year's 34.5 = 31.05: met
    assert county["ytd_value"] == 30.0 and county["previous_value"] == 34.5
    assert county["target_value"] == pytest.approx(31.05) and county["on_track"] == "green"
    # East alone: 30 per 1,000 against 30 last year: target 27 missed by 3/27 = 11%: red
    assert east["value"] == 30.0 and east["on_track"] == "red" and "11.1%" in east["on_track_reason"]
    assert county["value_display"] == "30.00" and county["status"] == "available"
    assert county["run_id"] == "run-1" and county["code_version"] == "test"
    overall = next(s for s in summary if s["priority_id"] == "all")
    assert (overall["indicators"], overall["with_data"], overall["on_track"], overall["not_available"]) == (1, 1, 1, 0)
    assert next(s for s in summary if s["priority_id"] == "terrorism")["note"] == "Being determined."


def test_year_to_date_runs_from_april_to_the_quarters_end():
    counts = {EAST: dict.fromkeys(MONTHS + month_range(Month(2015, 7), Month(2015, 9)), 10),
              WEST: dict.fromkeys(MONTHS + month_range(Month(2015, 7), Month(2015, 9)), 30)}
    counts[EAST][Month(2015, 8)] = 70  # one month higher in Q2
    rows, _ = build(catalogue(), monthly(counts), statuses(periods=month_range(Month(2013, 4), Month(2015, 9))),
                    quarter=Quarter(2015, 2))
    county = by_area(rows)[COUNTY]
    assert county["value"] == pytest.approx((3 * 40 + 60) / 4)  # the quarter alone: 180 per 4,000
    assert county["ytd_value"] == pytest.approx((6 * 40 + 60) / 4)  # April to September: 300 per 4,000
    assert county["previous_value"] == pytest.approx(6 * 40 / 4)  # April to September 2014


@pytest.mark.parametrize("status", ["unavailable", "awaited", "late", "rejected"])
def test_data_not_available_has_no_value_is_grey_and_says_why(status):
    counts = {EAST: dict.fromkeys(MONTHS, 10), WEST: dict.fromkeys(MONTHS, 30)}
    outage = statuses(periods=[Month(2015, 5)], status=status, reason="New records system (NICHE).")
    rows, summary = build(catalogue(), monthly(counts), statuses(periods=MONTHS[:-2] + MONTHS[-1:]) + outage)
    for row in rows:
        assert row["status"] == status and row["status_reason"] == "New records system (NICHE)."
        assert row["value"] is None and row["numerator"] is None and row["value_display"] == "n/a"
        assert row["on_track"] == "grey" and "NICHE" in row["on_track_reason"]
        assert row["comparison"] is None and row["trend"] == "cannot be calculated"
    assert by_area(rows)[COUNTY]["last_year_value"] == 30.0  # last year's quarter is still shown: 120 per 4,000
    overall = next(s for s in summary if s["priority_id"] == "all")
    assert overall["not_available"] == 1 and overall["with_data"] == 0 and overall["on_track"] == 0
    assert overall["unavailable_reasons"] == f"monthly_source ({status}): New records system (NICHE)."


def test_a_period_never_ingested_is_unavailable_and_named():
    rows, _ = build(catalogue(), [], statuses(periods=MONTHS[:-1]))
    county = by_area(rows)[COUNTY]
    assert county["status"] == "unavailable" and county["value"] is None
    assert county["status_reason"] == "No monthly_source data has been ingested for 2015-06."


def test_incomplete_data_is_shown_but_not_judged_and_has_no_trend():
    counts = {EAST: dict.fromkeys(MONTHS, 10), WEST: dict.fromkeys(MONTHS, 30)}
    gap = statuses(periods=[Month(2015, 6)], status="incomplete", reason="Charnwood fell below 25% of its median.")
    rows, summary = build(catalogue(), monthly(counts), statuses(periods=MONTHS[:-1]) + gap)
    county = by_area(rows)[COUNTY]
    assert county["status"] == "incomplete" and county["value"] == 30.0 and county["value_display"] == "30.00"
    assert county["on_track"] == "grey" and county["on_track_reason"].startswith("data incomplete: Charnwood")
    assert county["trend"] == "cannot be calculated"
    overall = next(s for s in summary if s["priority_id"] == "all")
    # it has data and a target, so it is not counted as "no target", nor as on track
    assert (overall["with_data"], overall["on_track"], overall["no_target"], overall["not_available"]) == (1, 0, 0, 0)


@pytest.mark.parametrize(("series", "polarity", "trend"), [
    ([100, 80, 64, 51, 41, 33], "low", "improving"),
    ([100, 80, 64, 51, 41, 33], "high", "worsening"),
    ([100, 80, 64, 51, 41, 33], "none", "decreasing"),
    ([50, 52, 49, 51, 50, 50], "low", "no significant change"),
])
def test_the_six_month_trend_to_the_quarters_end(series, polarity, trend):
    counts = {EAST: dict.fromkeys(MONTHS, 0), WEST: dict.fromkeys(MONTHS, 0)}
    for month, count in zip(month_range(Month(2015, 1), Month(2015, 6)), series, strict=True):
        counts[WEST][month] = count
    rows, _ = build(catalogue(polarity=polarity, targets={}), monthly(counts), statuses())
    assert by_area(rows)[COUNTY]["trend"] == trend
    assert by_area(rows)[WEST]["trend"] == trend
    assert by_area(rows)[EAST]["trend"] == "no significant change"  # all zero
    assert by_area(rows)[COUNTY]["trend_basis"].startswith("six months Jan 2015 to Jun 2015")


def test_an_incomplete_month_in_the_trend_window_stops_the_trend_only():
    counts = {EAST: dict.fromkeys(MONTHS, 0), WEST: dict.fromkeys(MONTHS, 0)}
    for month, count in zip(month_range(Month(2015, 1), Month(2015, 6)), [100, 80, 64, 51, 41, 33], strict=True):
        counts[WEST][month] = count
    gap = statuses(periods=[Month(2015, 2)], status="incomplete", reason="Short.")
    rows, _ = build(catalogue(), monthly(counts), [s for s in statuses() if s["period"] != "2015-02"] + gap)
    county = by_area(rows)[COUNTY]
    assert county["status"] == "available" and county["value"] is not None
    assert county["trend"] == "cannot be calculated"


# A repeat rate from a quarterly source loaded from 2014/15 Q1: a repeat looks back 12 months for the victim's
# previous referral, so until 12 months are loaded before a month, its repeats may be understated.
LOADED_QUARTERS = [Quarter(2014, n) for n in (1, 2, 3, 4)] + [Quarter(2015, 1), Quarter(2015, 2)]
LOOK_BACK = {"months": 12, "sources": ["quarterly_source"], "what": "repeat referrals"}


def repeat_rate(look_back: dict | None = LOOK_BACK) -> Catalogue:
    return catalogue(sources=["quarterly_source"], unit="percent", denominator="referrals", polarity="none",
                     targets={year: {"kind": "within_range", "low": 28, "high": 40} for year in ("2014/15", "2015/16")},
                     look_back=look_back)


def repeats() -> list[dict]:
    """East 3 of 10 and West 6 of 20 referrals are repeats every month: 30%, within the 28-40 range."""
    months = month_range(Month(2014, 4), Month(2015, 9))
    return monthly({EAST: dict.fromkeys(months, 3), WEST: dict.fromkeys(months, 6)},
                   denominators={EAST: dict.fromkeys(months, 10), WEST: dict.fromkeys(months, 20)})


def understated(quarters: str) -> str:
    return ("Repeat referrals look back 12 months; quarterly_source data are loaded only from 2014/15 Q1, "
            f"so repeat referrals in {quarters} may be understated.")


@pytest.mark.parametrize(("quarter", "status", "value_in", "ytd_in"), [
    (Quarter(2014, 1), "incomplete", "2014/15 Q1", "2014/15 Q1"),  # the first quarter of data: no history at all
    (Quarter(2014, 4), "incomplete", "2014/15 Q4", "2014/15 Q1 to 2014/15 Q4"),  # 9 of the 12 months loaded
    (Quarter(2015, 1), "available", None, None),  # 2014/15 Q1 to 2014/15 Q4 loaded: fully covered
])
def test_a_figure_whose_look_back_is_not_loaded_is_incomplete_and_says_which_periods(quarter, status, value_in,
                                                                                     ytd_in):
    rows, summary = build(repeat_rate(), repeats(), statuses("quarterly_source", LOADED_QUARTERS), quarter=quarter)
    county = by_area(rows)[COUNTY]
    assert county["status"] == status and county["value"] == 30.0 and county["value_display"] == "30.0%"
    overall = next(s for s in summary if s["priority_id"] == "all")
    assert (overall["with_data"], overall["not_available"]) == (1, 0)  # understated, not missing
    if status == "incomplete":
        assert county["status_reason"] == understated(value_in)
        # shown, not judged: the year to date (April to the quarter's end) says which quarters
        assert county["on_track"] == "grey" and county["on_track_reason"] == f"data incomplete: {understated(ytd_in)}"
        assert county["trend"] == "cannot be calculated"
        assert all(row["status"] == "incomplete" for row in rows)
    else:
        assert county["status_reason"] == "Loaded." and county["on_track"] == "green"
        assert county["last_year_value"] == 30.0  # 2014/15 Q1, itself understated, is still shown


def test_the_look_back_is_configuration():
    """The same data without a look-back is available from the first quarter; with 3 months, from the second."""
    loaded = statuses("quarterly_source", LOADED_QUARTERS)
    status = {(months, quarter): by_area(build(repeat_rate({**LOOK_BACK, "months": months} if months else None),
                                               repeats(), loaded, quarter=quarter)[0])[COUNTY]["status"]
              for months in (None, 3) for quarter in (Quarter(2014, 1), Quarter(2014, 2))}
    assert status == {(None, Quarter(2014, 1)): "available", (None, Quarter(2014, 2)): "available",
                      (3, Quarter(2014, 1)): "incomplete", (3, Quarter(2014, 2)): "available"}


def test_a_gap_in_the_look_back_is_named_and_the_trend_waits_for_a_covered_window():
    gap = statuses("quarterly_source", [Quarter(2014, 2)], status="unavailable", reason="Declared outage.")
    loaded = [s for s in statuses("quarterly_source", LOADED_QUARTERS) if s["period"] != "2014/15 Q2"] + gap
    county = by_area(build(repeat_rate(), repeats(), loaded, quarter=Quarter(2015, 1))[0])[COUNTY]
    assert county["status"] == "incomplete"  # its own quarter is loaded: understated, not unavailable
    assert county["status_reason"] == ("Repeat referrals look back 12 months; quarterly_source has no data for "
                                       "2014/15 Q2, so repeat referrals in 2015/16 Q1 may be understated.")
    # 2014/15 Q3 looks back to before the first quarter loaded and over the gap: both are said
    county = by_area(build(repeat_rate(), repeats(), loaded, quarter=Quarter(2014, 3))[0])[COUNTY]
    assert county["status_reason"] == (
        "Repeat referrals look back 12 months; quarterly_source data are loaded only from 2014/15 Q1 and "
        "quarterly_source has no data for 2014/15 Q2, so repeat referrals in 2014/15 Q3 may be understated.")
    # without the gap, 2015/16 Q2's six months (April to September 2015) all look back over loaded data
    covered = by_area(build(repeat_rate(), repeats(), statuses("quarterly_source", LOADED_QUARTERS),
                            quarter=Quarter(2015, 2))[0])[COUNTY]
    assert covered["status"] == "available" and covered["trend"] == "no significant change"


def test_the_monthly_series_says_which_months_may_be_understated():
    rows = build_monthly(repeat_rate(), repeats(), statuses("quarterly_source", LOADED_QUARTERS),
                         quarter=Quarter(2015, 1))
    county = {Month.of(row["month_start"]): row for row in rows if row["area_code"] == COUNTY}
    for month in month_range(Month(2015, 1), Month(2015, 3)):  # each looks back into 2013/14 Q4
        assert county[month]["status"] == "incomplete" and county[month]["value"] == 30.0
        assert county[month]["status_reason"] == understated("2014/15 Q4")
    assert {county[m]["status"] for m in month_range(Month(2015, 4), Month(2015, 6))} == {"available"}


def test_quarterly_and_annual_figures_say_which_comparison_they_use_instead():
    cat = catalogue(sources=["quarterly_source"], grain="quarter", unit="count", denominator=None)
    obs = [{"indicator_id": "thing", "district_code": EAST, "period_start": q.start, "numerator": 7,
            "denominator": None, "persons": None, "weight_squares": None}
           for q in (Quarter(2014, 1), Quarter(2015, 1))]
    rows, _ = build(cat, obs, statuses("quarterly_source", [Quarter(2014, 1), Quarter(2015, 1)]))
    county = by_area(rows)[COUNTY]
    assert county["value"] == 7 and county["last_year_value"] == 7 and county["change"] == 0
    assert county["trend"] == "cannot be calculated" and "same quarter last year" in county["trend_basis"]


def test_an_annual_cohort_shows_in_the_next_year_against_the_cohort_before():
    cat = catalogue(sources=["annual_source"], grain="year", unit="percent", interval="reduction",
                    denominator="baseline offences", polarity="high",
                    targets={"2015/16": {"kind": "beat_previous_cohort"}})
    # reduction = (baseline - follow-up) / baseline: 2013/14 cohort 39/100, 2014/15 cohort 56/100
    obs = [{"indicator_id": "thing", "district_code": EAST, "period_start": FinancialYear(year).start,
            "numerator": reduced, "denominator": 100, "persons": 20, "weight_squares": None}
           for year, reduced in ((2013, 39), (2014, 56))]
    rows, _ = build(cat, obs, statuses("annual_source", [FinancialYear(2013), FinancialYear(2014)]))
    county = by_area(rows)[COUNTY]
    assert county["value"] == 56.0 and county["previous_value"] == 39.0 and county["last_year_value"] == 39.0
    assert county["on_track"] == "green" and county["target_text"] == "better than the previous cohort"
    # 44 follow-up offences: Byar limits on 44 against the baseline of 100
    from safer_communities.dashboard.statistics import byar_interval

    low, high = byar_interval(44)
    assert county["interval_lower"] == pytest.approx(100 - high, abs=1e-6)
    assert county["interval_upper"] == pytest.approx(100 - low, abs=1e-6)
    assert "annual cohort" in county["trend_basis"]


def test_the_2015_16_cohort_in_progress_leaves_the_2016_17_quarters_awaited():
    cat = catalogue(sources=["annual_source"], grain="year", unit="percent", interval="reduction",
                    denominator="baseline offences", polarity="high", targets={})
    awaited = statuses("annual_source", [FinancialYear(2015)], status="awaited",
                       reason="Not yet due: expected by 2016-06-30.")
    rows, _ = build(cat, [], statuses("annual_source", [FinancialYear(2014)]) + awaited, quarter=Quarter(2016, 1))
    assert by_area(rows)[COUNTY]["status"] == "awaited" and by_area(rows)[COUNTY]["value"] is None


def test_district_comparison_with_wilson_intervals_and_rank():
    # a proportion: East 57 of 200 (28.5%, Wilson 22.7-35.1%), West 30 of 600 (5%); county 87/800 = 10.9%
    cat = catalogue(unit="percent", denominator="referrals", polarity="low", targets={})
    q1 = month_range(Month(2015, 4), Month(2015, 6))
    counts = {EAST: {q1[0]: 57}, WEST: {q1[0]: 30}}
    dens = {EAST: {q1[0]: 200}, WEST: {q1[0]: 600}}
    rows, _ = build(cat, monthly(counts, denominators=dens), statuses())
    east, west, county = by_area(rows)[EAST], by_area(rows)[WEST], by_area(rows)[COUNTY]
    assert east["value"] == 28.5 and county["value"] == pytest.approx(100 * 87 / 800, abs=1e-6)
    assert (round(east["interval_lower"], 1), round(east["interval_upper"], 1)) == (22.7, 35.1)
    assert east["interval_method"] == "Wilson"
    assert east["comparison"] == "worse" and west["comparison"] == "better"  # low is good
    assert (west["district_rank"], east["district_rank"], east["districts_ranked"]) == (1, 2, 2)
    assert county["comparison"] is None and county["district_rank"] is None


def test_no_judgement_indicators_compare_higher_or_lower_and_counts_per_head():
    # counts: East 30 (30 per 1,000), West 30 (10 per 1,000); county 60 per 4,000 = 15 per 1,000
    cat = catalogue(unit="count", denominator=None, polarity="none", targets={})
    q1 = month_range(Month(2015, 4), Month(2015, 6))
    rows, _ = build(cat, monthly({EAST: {q1[1]: 30}, WEST: {q1[1]: 30}}), statuses())
    east, west = by_area(rows)[EAST], by_area(rows)[WEST]
    assert east["value"] == 30 and west["value"] == 30
    assert east["comparison"] == "higher" and west["comparison"] == "lower"
    assert east["comparison_basis"].startswith("rate per 1,000 residents")
    assert (east["district_rank"], west["district_rank"]) == (1, 2)  # no judgement: the highest first


def test_small_person_counts_are_suppressed_with_a_secondary_cell():
    cat = catalogue(unit="count", denominator=None, polarity="none", person_level=True, targets={},
                    counts={"numerator": "things"})
    q1 = month_range(Month(2015, 4), Month(2015, 6))
    obs = monthly({EAST: {q1[0]: 3}, WEST: {q1[0]: 40}})
    for row in obs:
        row["persons"] = row["numerator"]
    rows, _ = build(cat, obs, statuses())
    east, west, county = by_area(rows)[EAST], by_area(rows)[WEST], by_area(rows)[COUNTY]
    assert (east["suppressed"], east["suppression"], east["value_display"]) == (True, "primary", "<5")
    # the county (43) less West would reveal East: West is hidden too
    assert (west["suppressed"], west["suppression"], west["value_display"]) == (True, "secondary", "[c]")
    assert (county["suppressed"], county["value_display"]) == (False, "43")
    assert east["value"] == 3 and west["value"] == 40  # the mart keeps the true values


def test_police_counts_are_never_suppressed():
    q1 = month_range(Month(2015, 4), Month(2015, 6))
    rows, _ = build(catalogue(), monthly({EAST: {q1[0]: 2}, WEST: {q1[0]: 40}}), statuses())
    assert not any(row["suppressed"] for row in rows)


def build_monthly(cat, observations, status_rows, quarter=QUARTER):
    return dashboard.build_monthly(quarter, cat, observations, status_rows, AREAS, CADENCES, STAMP["run_id"],
                                   STAMP["version"], STAMP["computed_at"])


def test_the_monthly_series_behind_the_trend_has_each_months_own_status():
    counts = {EAST: dict.fromkeys(MONTHS, 10), WEST: {m: 30 + m.month for m in MONTHS}}
    june = Month(2015, 6)
    status_rows = [row for row in statuses() if row["period"] != str(june)] + statuses(
        periods=[june], status="unavailable", reason="Declared outage.")
    rows = build_monthly(catalogue(), monthly(counts), status_rows)
    # three areas x the six months to June 2015
    assert len(rows) == 18
    assert sorted({row["month_start"] for row in rows}) == [m.start for m in month_range(Month(2015, 1), june)]
    cell = {(row["area_code"], row["month_start"]): row for row in rows}
    january = cell[(COUNTY, Month(2015, 1).start)]
    # January: East 10 + West 31 = 41 crimes per 4,000 residents = 10.25 per 1,000
    assert (january["value"], january["numerator"], january["denominator"]) == (10.25, 41, 4000)
    assert january["value_display"] == "10.25" and january["status"] == "available"
    assert cell[(WEST, Month(2015, 5).start)]["value"] == pytest.approx(35 / 3)  # 35 per 3,000
    gone = cell[(EAST, june.start)]
    assert (gone["status"], gone["value"], gone["numerator"], gone["value_display"]) == (
        "unavailable", None, None, "n/a")
    assert gone["status_reason"] == "Declared outage."
    assert not any(row["suppressed"] for row in rows)  # police-style rates are never hidden


def test_quarterly_and_annual_indicators_have_no_monthly_series():
    assert build_monthly(catalogue(grain="quarter", sources=["quarterly_source"]), [], statuses()) == []
    assert build_monthly(catalogue(grain="year", sources=["annual_source"]), [], statuses()) == []


def test_a_small_month_hides_enough_cells_that_no_published_total_reveals_it():
    cat = catalogue(unit="count", denominator=None, polarity="none", person_level=True, targets={},
                    counts={"numerator": "things"})
    jan, feb, mar, apr = (Month(2015, m) for m in (1, 2, 3, 4))
    obs = monthly({EAST: {jan: 3, feb: 10, mar: 12, apr: 10}, WEST: {jan: 20, feb: 30, mar: 8, apr: 30}})
    for row in obs:
        row["persons"] = row["numerator"]
    rows = build_monthly(cat, obs, statuses())
    cell = {(row["area_code"], Month.of(row["month_start"])): row for row in rows}
    assert (cell[(EAST, jan)]["suppression"], cell[(EAST, jan)]["value_display"]) == ("primary", "<5")
    # By hand: East's January (3) must stay compatible with 0 and with 5 given January's county total (23)
    # and East's and West's January-March quarters (25, 58). Hidden cells that move together form a
    # rectangle: East January +d, West January -d, East M -d, West M +d for another month M, with
    # -3 <= d <= 2, so East M >= 2 and West M >= 3. February (10, 30) and March (12, 8) both do; every
    # district month costs the same to hide and the smaller cells are preferred: March (20 in all).
    secondary = {(area, month) for (area, month), row in cell.items() if row["suppression"] == "secondary"}
    assert secondary == {(WEST, jan), (EAST, mar), (WEST, mar)}
    for month in (jan, feb, mar, apr):  # no county month with exactly one hidden district
        assert sum(cell[(area, month)]["suppressed"] for area in (EAST, WEST)) != 1
    for area in (COUNTY, EAST, WEST):  # no area's quarter with exactly one hidden month
        assert sum(cell[(area, month)]["suppressed"] for month in (jan, feb, mar)) != 1
    assert all(cell[(area, month)]["value_display"] == "[c]" for area, month in secondary)
    # the county's months and the April-June quarter have nothing small: all shown
    assert not any(row["suppressed"] for (area, month), row in cell.items() if area == COUNTY or month >= apr)
    assert cell[(COUNTY, jan)]["value_display"] == "23"
    assert cell[(EAST, jan)]["value"] == 3  # the mart keeps the true values


def test_the_small_number_threshold_is_configuration():
    # With a threshold of 10, East's 7 is small: shown "<10"; West (40) is withheld so the county cannot give it.
    cat = catalogue(unit="count", denominator=None, polarity="none", person_level=True, targets={},
                    counts={"numerator": "things"})
    cat = cat.model_copy(update={"small_numbers": cat.small_numbers.model_copy(update={"threshold": 10})})
    obs = monthly({EAST: {Month(2015, 4): 7}, WEST: {Month(2015, 4): 40}})
    rows, _ = build(cat, obs, statuses())
    east, west, county = by_area(rows)[EAST], by_area(rows)[WEST], by_area(rows)[COUNTY]
    assert (east["value_display"], west["value_display"], county["value_display"]) == ("<10", "[c]", "47")


def test_a_source_period_is_read_by_the_quarters_its_windows_reach():
    """Worked out from the catalogue's windows: a police month (monthly, not person-level), a MARAC quarter
    (person-level, with a 12-month look-back for repeats) and an IOM cohort year (annual)."""
    from datetime import date

    from safer_communities.dashboard import dependent_quarters
    from safer_communities.dashboard.indicators import load_catalogue

    real = load_catalogue()

    def quarters(source: str, period: str, as_of: date = date(2030, 1, 1)) -> list[str]:
        return [str(q) for q in dependent_quarters(source, period, real, as_of)]

    # March 2015: its quarter; the trend of Jan-Jun 2015; last year's value and the target's base of 2015/16 Q4
    assert quarters("police_street_crime", "2015-03") == ["2014/15 Q4", "2015/16 Q1", "2015/16 Q4"]
    # April 2013: every year to date of 2013/14, and the last-year figures of every 2014/15 quarter
    assert quarters("police_street_crime", "2013-04") == [f"{y} Q{n}" for y in ("2013/14", "2014/15")
                                                          for n in (1, 2, 3, 4)]
    # the annual cohort 2014/15: shown through 2015/16, compared with in 2016/17
    assert quarters("iom_cohort", "2014/15") == [f"{y} Q{n}" for y in ("2015/16", "2016/17") for n in (1, 2, 3, 4)]
    # MARAC 2014/15 Q1: repeats of the next four quarters look back at it, and their figures are last year's
    # values in 2016/17: three financial years
    assert quarters("marac_referrals", "2014/15 Q1") == [f"{y} Q{n}" for y in ("2014/15", "2015/16", "2016/17")
                                                         for n in (1, 2, 3, 4)]
    # only quarters that have ended by the run's date
    assert quarters("marac_referrals", "2014/15 Q1", date(2015, 9, 17)) == [
        "2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4", "2015/16 Q1"]
    # a source no indicator reads feeds no quarter
    assert dependent_quarters("no_such_source", "2015-03", real, date(2030, 1, 1)) == []
