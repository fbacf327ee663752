"""The intruder (tests/attacker.py) on tiny hand-made published tables: it finds what leaks, and only that.

Two districts, East and West, make up the county; every expected range is worked out by hand in the test.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from tests.attacker import Finding, InconsistentPublication, attack, is_recovered, recovered

COUNTY, EAST, WEST = "E10000018", "E07000129", "E07000130"
FEMALES = {EAST: 20000, WEST: 30000}
UNITS = {"marac_referrals": "rate_per_10000_females", "marac_repeat_rate": "percent",
         "domestic_abuse_support_referrals": "count", "youth_first_time_entrants": "count",
         "youth_proven_reoffending": "percent", "iom_offending_reduction": "percent"}
NUMBERS = ("value", "numerator", "denominator", "interval_lower", "interval_upper", "last_year_value", "change",
           "change_percent", "ytd_value", "ytd_numerator", "ytd_denominator", "previous_value", "target_value")


def quarterly(quarter: str, indicator: str, area: str, display: str = "shown", **numbers) -> dict:
    """A published quarterly row: the numbers given, None for the rest (a hidden row publishes none)."""
    return {"quarter_label": quarter, "indicator_id": indicator, "area_code": area,
            "area_type": "county" if area == COUNTY else "district", "unit": UNITS[indicator],
            "status": "available", "value_display": display, "target_kind": "none", **dict.fromkeys(NUMBERS),
            **numbers}


def monthly(quarter: str, indicator: str, area: str, month: date, display: str = "shown", **numbers) -> dict:
    return {"quarter_label": quarter, "indicator_id": indicator, "area_code": area,
            "area_type": "county" if area == COUNTY else "district", "unit": UNITS[indicator],
            "month_start": month, "status": "available", "value_display": display,
            **dict.fromkeys(("value", "numerator", "denominator")), **numbers}


def as_csv(rows: list[dict]) -> list[dict]:
    """The rows as the CSV export gives them: text, "" for None."""
    return [{key: "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
             for key, value in row.items()} for row in rows]


def count(value: float) -> dict:
    """A published count: value and numerator."""
    return {"value": value, "numerator": value}


def only(findings: list[Finding], **where) -> Finding:
    matching = [f for f in findings if all(getattr(f, key) == wanted for key, wanted in where.items())]
    assert len(matching) == 1, findings
    return matching[0]


def assert_range(found: tuple[float, float], low: float, high: float) -> None:
    assert found == pytest.approx((low, high), abs=1e-5)


def test_a_county_total_with_one_hidden_district_gives_it_away():
    # County 12, East 9: West is 3.
    rows = [quarterly("2015/16 Q1", "youth_first_time_entrants", COUNTY, **count(12)),
            quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, **count(9)),
            quarterly("2015/16 Q1", "youth_first_time_entrants", WEST, "<5")]
    finding = only(attack(rows))
    assert (finding.quarter_label, finding.area_code, finding.month_start, finding.display) == (
        "2015/16 Q1", WEST, None, "<5")
    assert_range(finding.numerator_range, 3, 3)
    assert finding.denominator_range is None
    assert finding.recovered and is_recovered(finding)


def test_two_hidden_districts_share_the_county_total_and_stay_hidden():
    # East 2 and West 9 hidden, the county's 11 published: either could be anything from 0 to 11.
    rows = [quarterly("2015/16 Q1", "youth_first_time_entrants", COUNTY, **count(11)),
            quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, "<5"),
            quarterly("2015/16 Q1", "youth_first_time_entrants", WEST, "[c]")]
    findings = attack(rows)
    assert [f.area_code for f in findings] == [EAST, WEST]
    for finding in findings:
        assert_range(finding.numerator_range, 0, 11)
    assert recovered(findings) == []


def test_the_year_to_date_minus_the_published_quarters_gives_a_hidden_quarter_away():
    # April-December 16, April-June 6, October-December 7: July-September is 3.
    rows = [quarterly("2015/16 Q1", "domestic_abuse_support_referrals", EAST, **count(6)),
            quarterly("2015/16 Q2", "domestic_abuse_support_referrals", EAST, "<5"),
            quarterly("2015/16 Q3", "domestic_abuse_support_referrals", EAST, **count(7), ytd_value=16,
                      ytd_numerator=16)]
    finding = only(attack(rows))
    assert finding.quarter_label == "2015/16 Q2"
    assert_range(finding.numerator_range, 3, 3)
    assert finding.recovered


def quarter_of_fourteen() -> tuple[list[dict], list[dict]]:
    """A quarter of 14 referrals published beside its months: April 5, May 6 and June shown "<5" (it is 3)."""
    label = "2015/16 Q1"
    rows = [quarterly(label, "domestic_abuse_support_referrals", EAST, **count(14))]
    months = [monthly(label, "domestic_abuse_support_referrals", EAST, date(2015, 4, 1), **count(5)),
              monthly(label, "domestic_abuse_support_referrals", EAST, date(2015, 5, 1), **count(6)),
              monthly(label, "domestic_abuse_support_referrals", EAST, date(2015, 6, 1), "<5")]
    return rows, months


def test_a_quarter_minus_its_published_months_gives_a_hidden_month_away():
    # The quarter 14, April 5, May 6: June is 3.
    rows, months = quarter_of_fourteen()
    finding = only(attack(rows, months))
    assert (finding.month_start, finding.display) == (date(2015, 6, 1), "<5")
    assert_range(finding.numerator_range, 3, 3)
    assert finding.recovered


def test_the_repeat_rate_denominator_gives_hidden_referrals_away():
    # 0 repeats of 4 referrals is published as a rate; the referrals themselves are hidden.
    rows = [quarterly("2015/16 Q1", "marac_referrals", EAST, "<5"),
            quarterly("2015/16 Q1", "marac_repeat_rate", EAST, value=0.0, numerator=0.0, denominator=4.0)]
    finding = only(attack(rows, females=FEMALES))
    assert finding.indicator_id == "marac_referrals"
    assert_range(finding.numerator_range, 4, 4)
    assert finding.denominator_range is None
    assert finding.recovered


@pytest.mark.parametrize("published, females", [
    ({"value": 1.5}, FEMALES), ({"value": 1.5, "denominator": 20000.0}, None),
], ids=["females given", "females as published"])
def test_repeats_are_bounded_by_the_referrals_a_published_rate_gives(published, females):
    # 1.5 per 10,000 of East's 20,000 females is 3 referrals; the hidden repeats are 0-3, not known.
    rows = [quarterly("2015/16 Q1", "marac_referrals", EAST, **published),
            quarterly("2015/16 Q1", "marac_repeat_rate", EAST, "<5")]
    finding = only(attack(rows, females=females))
    assert finding.indicator_id == "marac_repeat_rate"
    assert_range(finding.numerator_range, 0, 3)
    assert_range(finding.denominator_range, 3, 3)
    assert not finding.recovered


@pytest.mark.parametrize("published", [{"last_year_value": 2}, {"change": 6}, {"change_percent": 300}],
                         ids=["last year's value", "change", "change percent"])
def test_a_later_quarter_gives_last_years_hidden_cell_away(published):
    # 2014/15 Q1 hides East's 2; a year on, the value 8 with last year's 2 (or a change of 6, or +300%) shows it.
    rows = [quarterly("2014/15 Q1", "youth_first_time_entrants", EAST, "<5"),
            quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, value=8, numerator=8, **published)]
    finding = only(attack(rows))
    assert finding.quarter_label == "2014/15 Q1"
    assert_range(finding.numerator_range, 2, 2)
    assert finding.recovered


@pytest.mark.parametrize("published", [
    {"last_year_value": 10, "change": 2}, {"last_year_value": 10, "change_percent": 20},
    {"change": 2, "change_percent": 20},
], ids=["last year and change", "last year and change percent", "change and change percent"])
def test_a_value_worked_out_from_last_year_and_the_change_counts_too(published):
    # The county's value is not given, but last year's 10 and +2 (+20%) make it 12; East 9, so West is 3.
    rows = [quarterly("2015/16 Q1", "youth_first_time_entrants", COUNTY, **published),
            quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, **count(9)),
            quarterly("2015/16 Q1", "youth_first_time_entrants", WEST, "<5")]
    assert_range(only(attack(rows), quarter_label="2015/16 Q1").numerator_range, 3, 3)


def test_iom_cohort_percentages_published_a_year_later_give_hidden_counts_away():
    # 2014/15 shows the 2013/14 cohort: the county's 10 of 40 baseline offences avoided, both districts hidden.
    # 2015/16 rows show that cohort as last year's value: East 30%, West 10%. So 0.3 B_east + 0.1 (40 - B_east)
    # = 10, B_east = 30: East 9 of 30, West 1 of 10.
    hidden = [quarterly("2014/15 Q3", "iom_offending_reduction", COUNTY, value=25.0, numerator=10.0,
                        denominator=40.0),
              quarterly("2014/15 Q3", "iom_offending_reduction", EAST, "[c]"),
              quarterly("2014/15 Q3", "iom_offending_reduction", WEST, "<5")]
    west = only(attack(hidden), area_code=WEST)
    # Alone: West's reduction is at most its baseline (<= 40) and at least 10 minus East's (<= 40).
    assert_range(west.numerator_range, -30, 40)
    assert_range(west.denominator_range, 0, 40)
    later = [quarterly("2015/16 Q1", "iom_offending_reduction", EAST, last_year_value=30.0),
             quarterly("2015/16 Q1", "iom_offending_reduction", WEST, last_year_value=10.0)]
    findings = attack(hidden + later)
    assert_range(only(findings, area_code=EAST).numerator_range, 9, 9)
    assert_range(only(findings, area_code=EAST).denominator_range, 30, 30)
    assert_range(only(findings, area_code=WEST).numerator_range, 1, 1)
    assert_range(only(findings, area_code=WEST).denominator_range, 10, 10)
    assert len(recovered(findings)) == 2


def test_a_hidden_year_to_date_is_reported_when_asked_for():
    # April-June and July-September both hidden; October-December 7 of an April-December 10: the hidden
    # rows' quarters are 0-3 each, but July-September's year to date is 3.
    rows = [quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, "<5"),
            quarterly("2015/16 Q2", "youth_first_time_entrants", EAST, "<5"),
            quarterly("2015/16 Q3", "youth_first_time_entrants", EAST, **count(7), ytd_value=10, ytd_numerator=10)]
    values = attack(rows)
    assert [f.quarter_label for f in values] == ["2015/16 Q1", "2015/16 Q2"]
    for finding in values:
        assert_range(finding.numerator_range, 0, 3)
    assert recovered(values) == []
    findings = attack(rows, figures=("value", "ytd"))
    ytd = only(findings, figure="ytd")  # April-June's year to date is its value: not repeated
    assert ytd.quarter_label == "2015/16 Q2"
    assert_range(ytd.numerator_range, 3, 3)
    assert recovered(findings) == [ytd]


def test_the_csv_export_reads_the_same_and_a_row_given_twice_counts_once():
    rows, months = quarter_of_fourteen()
    assert attack(as_csv(rows), as_csv(months)) == attack(rows, months)
    assert attack(rows + as_csv(rows), months + as_csv(months)) == attack(rows, months)


def test_nothing_bounds_a_hidden_cell_without_a_total():
    finding = only(attack([quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, "<5")]))
    assert finding.numerator_range == (0, math.inf)
    assert not finding.recovered


@pytest.mark.parametrize("county, east", [(count(12), count(13)), ({"value": 12, "numerator": 13}, count(9))],
                         ids=["a district above the county", "a figure published two ways"])
def test_figures_that_contradict_each_other_are_an_error(county, east):
    rows = [quarterly("2015/16 Q1", "youth_first_time_entrants", COUNTY, **county),
            quarterly("2015/16 Q1", "youth_first_time_entrants", EAST, **east),
            quarterly("2015/16 Q1", "youth_first_time_entrants", WEST, "<5")]
    with pytest.raises(InconsistentPublication):
        attack(rows)


def test_a_percentage_of_nobody_is_not_a_disclosure_but_a_known_zero_rate_is():
    def finding(denominator: tuple[float, float]) -> Finding:
        return Finding("2015/16 Q1", "youth_proven_reoffending", EAST, None, "[c]", (0.0, 0.0), denominator)

    assert not is_recovered(finding((0.0, 0.0)))  # 0 of 0: no cohort, no one to disclose
    assert is_recovered(finding((3.0, 9.0)))  # 0 of some: nobody re-offended, and that is known
