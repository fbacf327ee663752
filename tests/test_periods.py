from datetime import date

import pytest

from safer_communities.periods import Month, PeriodError, Quarter, add_months, parse_period


def test_financial_year_quarters_start_in_april():
    assert [str(m) for m in Quarter.parse("2015/16 Q1").months] == ["2015-04", "2015-05", "2015-06"]
    assert [str(m) for m in Quarter.parse("2015/16 Q4").months] == ["2016-01", "2016-02", "2016-03"]
    assert [str(m) for m in parse_period("2019/20 Q4")] == ["2020-01", "2020-02", "2020-03"]


@pytest.mark.parametrize(
    ("month", "label"),
    [("2015-04", "2015/16 Q1"), ("2015-12", "2015/16 Q3"), ("2016-03", "2015/16 Q4"), ("1999-01", "1998/99 Q4")],
)
def test_month_knows_its_quarter(month, label):
    assert str(Month.parse(month).quarter) == label


def test_month_arithmetic_and_ends():
    assert Month.parse("2020-01").shift(-1) == Month(2019, 12)
    assert Month.parse("2020-02").end == date(2020, 2, 29)
    assert Month.parse("2019-12").end == date(2019, 12, 31)


@pytest.mark.parametrize("text", ["2015-13", "2015/17 Q1", "2015/16 Q5", "Q1 2015", "", "2015-4"])
def test_bad_periods_are_refused_with_the_text(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_sources_get_the_periods_of_their_cadence():
    from safer_communities.periods import FinancialYear, periods_for

    assert [str(p) for p in periods_for("monthly", "2015/16 Q1")] == ["2015-04", "2015-05", "2015-06"]
    assert [str(p) for p in periods_for("quarterly", "2015-05")] == ["2015/16 Q1"]
    assert [str(p) for p in periods_for("quarterly", "2015/16")] == [f"2015/16 Q{n}" for n in range(1, 5)]
    assert [str(p) for p in periods_for("annual", "2016/17 Q4")] == ["2016/17"]
    year = FinancialYear.parse("2014/15")
    assert (year.start, year.end, year.slug) == (date(2014, 4, 1), date(2015, 3, 31), "2014-15")
    quarter = Quarter.parse("2015/16 Q4")
    assert (quarter.start, quarter.end, quarter.slug) == (date(2016, 1, 1), date(2016, 3, 31), "2015-16-Q4")


@pytest.mark.parametrize(
    ("cadence", "run_date", "expected"),
    [
        ("monthly", date(2015, 9, 1), "2015-08"),
        ("quarterly", date(2015, 9, 1), "2015/16 Q1"),   # Q2 has not ended
        ("quarterly", date(2015, 10, 1), "2015/16 Q2"),
        ("quarterly", date(2015, 9, 30), "2015/16 Q1"),  # Q2 ends that day
        ("annual", date(2015, 7, 1), "2014/15"),
        ("annual", date(2015, 4, 1), "2014/15"),
        ("annual", date(2015, 3, 31), "2013/14"),
    ],
)
def test_a_scheduled_run_asks_for_the_latest_ended_period_of_each_cadence(cadence, run_date, expected):
    from safer_communities.periods import latest_ended

    assert str(latest_ended(cadence, run_date)) == expected


def test_quarters_in_a_period_or_a_range():
    from safer_communities.periods import quarters_in

    assert quarters_in("2015/16 Q1") == [Quarter(2015, 1)]
    assert quarters_in("2015-05") == [Quarter(2015, 1)]
    assert quarters_in("2014/15") == [Quarter(2014, n) for n in (1, 2, 3, 4)]
    assert quarters_in("2014/15 Q4..2015/16 Q2") == [Quarter(2014, 4), Quarter(2015, 1), Quarter(2015, 2)]
    assert len(quarters_in("2013/14..2015/16 Q1")) == 9
    with pytest.raises(PeriodError, match="ends before it starts"):
        quarters_in("2015/16..2014/15")


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(date(2014, 5, 10), 12) == date(2015, 5, 10)
    assert add_months(date(2015, 1, 31), 1) == date(2015, 2, 28)  # as both engines add INTERVAL '1 month'
    assert add_months(date(2016, 2, 29), -12) == date(2015, 2, 28)
    assert add_months(date(2015, 3, 31), -13) == date(2014, 2, 28)
