"""Disclosure control, relation by relation, on hand-made figures: what is withheld, and that an intruder
solving the published outputs (``tests/attacker.py``, written apart from the suppression code) can work
none of it out; and the audit that refuses to publish a leaky pattern, writing nothing.

Two districts (East, West; the county is their sum) and the real catalogue. Each case is computed for
real (``dashboard.compute`` into a DuckDB warehouse, through the audit) and read back from
``mart.dashboard_published`` and ``mart.dashboard_monthly_published``: what a report generator gets.
Each also shows that, published without its secondary cells, the relation gives the small number away.
"""

from __future__ import annotations

import pytest

from safer_communities import dashboard
from safer_communities.dashboard import COUNTY, Area, disclosure
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.periods import FinancialYear, Month, Quarter, month_range
from tests.attacker import attack, is_recovered

EAST, WEST = "E07000001", "E07000002"
AREAS = [Area(COUNTY, "County", "county", 4000, 2000), Area(EAST, "East", "district", 1000, 500),
         Area(WEST, "West", "district", 3000, 1500)]
FEMALES = {area.code: area.females for area in AREAS}
Q1 = Quarter(2015, 1)


def observation(indicator: str, district: str, start: Month, numerator: float, denominator: float | None = None,
                persons: int | None = None) -> dict:
    return {"indicator_id": indicator, "district_code": district, "period_start": start.start,
            "numerator": numerator, "denominator": denominator,
            "persons": round(numerator) if persons is None else persons, "weight_squares": None}


def available(source: str, periods) -> list[dict]:
    return [{"source": source, "period": str(period), "status": "available", "reason": "Loaded."} for period in periods]


def quarters(*years: int) -> list[Quarter]:
    return [quarter for year in years for quarter in FinancialYear(year).quarters]


@pytest.fixture
def publish(make_warehouse, monkeypatch, tmp_path):
    """Compute quarters from hand-made observations and statuses for real; return the published rows."""
    warehouse = make_warehouse("duckdb")

    def run(observations: list[dict], statuses: list[dict], *computed: Quarter) -> tuple[list[dict], list[dict]]:
        monkeypatch.setattr(dashboard, "read_inputs", lambda _warehouse, _quarter: (observations, statuses, AREAS))
        for quarter in computed:
            dashboard.compute(warehouse, quarter, run_id="test", export_dir=tmp_path / "exports")
        rows = warehouse.query("SELECT * FROM mart.dashboard_published")
        monthly = warehouse.query("SELECT * FROM mart.dashboard_monthly_published")
        return rows, monthly

    run.warehouse = warehouse
    return run


def row_of(rows: list[dict], indicator: str, area: str, quarter: Quarter = Q1) -> dict:
    return next(r for r in rows if (r["indicator_id"], r["area_code"], r["quarter_label"]) == (
        indicator, area, str(quarter)))


def findings(rows: list[dict], monthly: list[dict] = ()):
    return attack(rows, monthly, FEMALES, figures=("value", "ytd"))


def without_secondaries(rows: list[dict], true_rows: list[dict]) -> list[dict]:
    """The same publication with every secondary cell's figures put back: the old rule of hiding only the
    small numbers themselves."""
    true = {(r["quarter_label"], r["indicator_id"], r["area_code"]): r for r in true_rows}
    naive = []
    for row in rows:
        if row["suppression"] == "secondary" or row.get("ytd_suppression") == "secondary":
            row = {**row, **{key: true[(row["quarter_label"], row["indicator_id"], row["area_code"])][key]
                             for key in ("value", "numerator", "denominator", "ytd_value", "ytd_numerator",
                                         "ytd_denominator")}, "value_display": "shown"}
        naive.append(row)
    return naive


def true_rows(publish) -> list[dict]:
    return publish.warehouse.query("SELECT * FROM mart.dashboard_quarterly")


def test_the_county_is_the_sum_of_its_districts(publish):
    # First-time entrants in 2015/16 Q1: East 3, West 40; the county 43 is published.
    obs = [observation("youth_first_time_entrants", EAST, Q1.months[0], 3),
           observation("youth_first_time_entrants", WEST, Q1.months[0], 40)]
    rows, _ = publish(obs, available("youth_first_time_entrants", quarters(2014, 2015)), Q1)
    east, west, county = (row_of(rows, "youth_first_time_entrants", a) for a in (EAST, WEST, COUNTY))
    assert (east["value_display"], east["suppression"], east["value"]) == ("<5", "primary", None)
    assert (west["value_display"], west["suppression"], west["value"]) == ("[c]", "secondary", None)
    assert (county["value_display"], county["numerator"]) == ("43", 43)
    found = {f.area_code: f for f in findings(rows)}
    assert not any(is_recovered(f) for f in found.values())
    assert found[EAST].numerator_range == pytest.approx((0, 43))  # compatible with 0 and with 5 or more
    # West put back: 43 - 40 gives East away
    naive = {f.area_code: f for f in findings(without_secondaries(rows, true_rows(publish)))}
    assert is_recovered(naive[EAST]) and naive[EAST].numerator_range == pytest.approx((3, 3))


def test_a_quarter_is_the_sum_of_its_months(publish):
    # Domestic abuse referrals, April-June 2015: East 2, 20, 25; West 30 each month.
    april, may, june = Q1.months
    obs = [observation("domestic_abuse_support_referrals", district, month, count)
           for district, counts in ((EAST, (2, 20, 25)), (WEST, (30, 30, 30)))
           for month, count in zip((april, may, june), counts, strict=True)]
    months = month_range(Month(2014, 4), june)
    rows, monthly = publish(obs, available("domestic_abuse_referrals", months), Q1)
    cells = {(r["area_code"], Month.of(r["month_start"])): r for r in monthly
             if r["indicator_id"] == "domestic_abuse_support_referrals" and r["quarter_label"] == str(Q1)}
    assert cells[(EAST, april)]["value_display"] == "<5"
    # East's quarter (47), less its published months, would give April away: another East month is withheld,
    # and with it West's same month, or the county's month would give that one away.
    hidden_east = [m for m in (may, june) if cells[(EAST, m)]["suppressed"]]
    assert hidden_east and all(cells[(WEST, m)]["value_display"] == "[c]" for m in (april, *hidden_east))
    assert row_of(rows, "domestic_abuse_support_referrals", EAST)["value_display"] == "47"  # the quarter stays
    found = findings(rows, monthly)
    assert found and not any(is_recovered(f) for f in found)
    april_east = next(f for f in found if f.area_code == EAST and f.month_start == april.start)
    assert april_east.numerator_range[0] <= 0 and april_east.numerator_range[1] >= 5


def test_the_year_to_date_is_the_sum_of_its_quarters(publish):
    # First-time entrants: East 10 in Q1, 3 in Q2; West 20 and 30. Q2's year to date less Q1 gives Q2.
    q2 = Quarter(2015, 2)
    obs = [observation("youth_first_time_entrants", EAST, Q1.months[0], 10),
           observation("youth_first_time_entrants", EAST, q2.months[0], 3),
           observation("youth_first_time_entrants", WEST, Q1.months[0], 20),
           observation("youth_first_time_entrants", WEST, q2.months[0], 30)]
    rows, _ = publish(obs, available("youth_first_time_entrants", quarters(2014, 2015)), Q1, q2)
    east_q2 = row_of(rows, "youth_first_time_entrants", EAST, q2)
    assert east_q2["value_display"] == "<5" and east_q2["ytd_suppression"] is not None
    assert east_q2["ytd_value"] is None and east_q2["on_track"] is None  # judged on the withheld year to date
    assert row_of(rows, "youth_first_time_entrants", EAST)["value_display"] == "10"  # Q1 was published
    found = findings(rows)
    assert found and not any(is_recovered(f) for f in found)


def test_last_years_value_is_the_same_quarter_a_year_before(publish):
    # East had 3 first-time entrants in 2014/15 Q1 (hidden then); a year later its row shows last year's value.
    last = Quarter(2014, 1)
    obs = [observation("youth_first_time_entrants", EAST, last.months[0], 3),
           observation("youth_first_time_entrants", WEST, last.months[0], 40),
           observation("youth_first_time_entrants", EAST, Q1.months[0], 12),
           observation("youth_first_time_entrants", WEST, Q1.months[0], 30)]
    rows, _ = publish(obs, available("youth_first_time_entrants", quarters(2013, 2014, 2015)), last, Q1)
    assert row_of(rows, "youth_first_time_entrants", EAST, last)["value_display"] == "<5"
    east = row_of(rows, "youth_first_time_entrants", EAST)
    assert east["value_display"] == "12" and east["last_year_suppression"] == "primary"
    assert (east["last_year_value"], east["change"], east["change_percent"]) == (None, None, None)
    assert east["previous_value"] is None and east["target_value"] is None and east["on_track"] is None
    assert row_of(rows, "youth_first_time_entrants", WEST)["last_year_suppression"] == "secondary"
    found = findings(rows)
    assert found and not any(is_recovered(f) for f in found)


def test_the_repeat_rates_denominator_is_the_marac_referrals_count(publish):
    # MARAC, 2015/16 Q1: East 4 referrals, no repeat; West 30 referrals, 9 repeats. The old dashboard showed
    # East's repeat rate as 0/4 beside referrals "<5".
    april = Q1.months[0]
    obs = [observation("marac_referrals", EAST, april, 4), observation("marac_referrals", WEST, april, 30),
           observation("marac_repeat_rate", EAST, april, 0, 4), observation("marac_repeat_rate", WEST, april, 9, 30)]
    rows, monthly = publish(obs, available("marac_referrals", quarters(2014, 2015)), Q1)
    referrals, rate = (row_of(rows, i, EAST) for i in ("marac_referrals", "marac_repeat_rate"))
    assert referrals["value_display"] == "<5"
    assert rate["value_display"] == "[c]"  # its own count is 0 people: not "<5"
    assert (rate["value"], rate["numerator"], rate["denominator"]) == (None, None, None)
    found = findings(rows, monthly)
    assert found and not any(is_recovered(f) for f in found)
    east_rate = next(f for f in found if (f.indicator_id, f.area_code, f.month_start) ==
                     ("marac_repeat_rate", EAST, None))
    assert east_rate.numerator_range[1] >= 1  # the rate is not pinned at 0%


def test_a_rate_and_its_denominator_would_give_the_numerator(publish):
    # Youth proven re-offending, 2015/16 Q1 cohort: East 3 of 20, West 10 of 30. 15% of 20 is 3: the value
    # of a withheld rate, its numerator and its denominator all go.
    obs = [observation("youth_proven_reoffending", EAST, Q1.months[0], 3, 20),
           observation("youth_proven_reoffending", WEST, Q1.months[0], 10, 30)]
    rows, _ = publish(obs, available("youth_reoffending", quarters(2014, 2015)), Q1)
    east, west = (row_of(rows, "youth_proven_reoffending", a) for a in (EAST, WEST))
    assert east["value_display"] == "<5" and west["value_display"] == "[c]"
    for row in (east, west):
        assert [row[k] for k in ("value", "numerator", "denominator", "interval_lower", "interval_upper")] == [None] * 5
    found = findings(rows)
    assert found and not any(is_recovered(f) for f in found)


def test_an_iom_cohorts_offences_stay_uncertain(publish):
    # IOM cohort 2014/15 (shown through 2015/16): East 2 offenders, 20 baseline offences, 10 reduced; West 30
    # offenders, 200 and 100. The county (220, 110) less West would give East's two offenders' record away.
    start = Month(2014, 4)
    obs = [observation("iom_offending_reduction", EAST, start, 10, 20, persons=2),
           observation("iom_offending_reduction", WEST, start, 100, 200, persons=30)]
    rows, _ = publish(obs, available("iom_cohort", ["2013/14", "2014/15"]), Q1)
    east, west, county = (row_of(rows, "iom_offending_reduction", a) for a in (EAST, WEST, COUNTY))
    assert (east["value_display"], west["value_display"], county["value_display"]) == ("<5", "[c]", "50.0%")
    found = {f.area_code: f for f in findings(rows)}
    assert not any(is_recovered(f) for f in found.values())
    low, high = found[EAST].denominator_range  # baseline offences: at least 5 either way
    assert low <= 15 and high >= 25


def test_the_audit_refuses_a_leaky_pattern_and_names_the_cell_and_relation():
    catalogue = load_catalogue()
    by_key = {("youth_first_time_entrants", EAST): [observation("youth_first_time_entrants", EAST, Q1.months[0], 3)],
              ("youth_first_time_entrants", WEST): [observation("youth_first_time_entrants", WEST, Q1.months[0], 40)]}
    model = disclosure.build_model(Q1, catalogue, by_key, lambda i, m: i.id == "youth_first_time_entrants",
                                   COUNTY, [EAST, WEST])
    for key, cell in model.cells.items():  # the small numbers alone, as the dashboard once did
        if cell.primary:
            model.hidden[key] = "primary"
    with pytest.raises(disclosure.DisclosureError) as refused:
        disclosure.audit(model, model.shown_cells())
    message = str(refused.value)
    assert "youth first time entrants, E07000001, 2015/16 Q1" in message
    assert "the county = the sum of its districts" in message and "E07000002" in message
    disclosure.protect(model)
    assert disclosure.audit(model, model.shown_cells()) > 0


def test_nothing_is_written_when_the_audit_refuses(publish, monkeypatch, tmp_path):
    def small_numbers_only(model):
        for key, cell in model.cells.items():
            if cell.primary:
                model.hidden[key] = "primary"
        return model

    monkeypatch.setattr(disclosure, "protect", small_numbers_only)
    obs = [observation("youth_first_time_entrants", EAST, Q1.months[0], 3),
           observation("youth_first_time_entrants", WEST, Q1.months[0], 40)]
    with pytest.raises(disclosure.DisclosureError, match="publication refused"):
        publish(obs, available("youth_first_time_entrants", quarters(2014, 2015)), Q1)
    assert publish.warehouse.query("SELECT COUNT(*) AS n FROM mart.dashboard_quarterly")[0]["n"] == 0
    assert publish.warehouse.query("SELECT COUNT(*) AS n FROM mart.dashboard_monthly")[0]["n"] == 0
    assert not (tmp_path / "exports").exists()


def test_small_numbers_are_shown_as_less_than_five_only_for_one_to_four_people(publish):
    # Nothing below 5 is published; "<5" is never shown for a figure whose own count is 0 or 5 and more.
    april = Q1.months[0]
    obs = [observation("marac_referrals", district, april, count) for district, count in ((EAST, 2), (WEST, 7))] + [
        observation("marac_repeat_rate", district, april, repeats, count)
        for district, repeats, count in ((EAST, 0, 2), (WEST, 5, 7))]
    rows, monthly = publish(obs, available("marac_referrals", quarters(2014, 2015)), Q1)
    truth = {(r["quarter_label"], r["indicator_id"], r["area_code"]): r for r in true_rows(publish)}
    for row in rows:
        persons = truth[(row["quarter_label"], row["indicator_id"], row["area_code"])]["persons"]
        if row["value_display"] == "<5":
            assert 1 <= persons <= 4
        elif persons is not None and 1 <= persons <= 4 and row["status"] in dashboard.WITH_DATA:
            pytest.fail(f"{row['indicator_id']} {row['area_code']}: {persons} people published")
    # West's 5 repeats are not few, but its 7 referrals are withheld to protect East's 2: "[c]", not "<5"
    assert row_of(rows, "marac_repeat_rate", WEST)["value_display"] == "[c]"


def test_random_small_counts_in_every_source_over_six_quarters_leave_nothing_to_work_out(publish):
    """Partner-shaped data full of small numbers (a fixed seed): every quarter passes its audit, and the
    intruder, given all six quarters' publications, recovers nothing and every "<5" still reaches 0 and 5."""
    import random

    rng = random.Random(20151)
    counts = [0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20]
    obs = []
    for district in (EAST, WEST):
        for month in month_range(Month(2014, 4), Month(2015, 9)):
            referrals = rng.choice(counts)
            obs += [observation("marac_referrals", district, month, referrals),
                    observation("marac_repeat_rate", district, month, rng.randint(0, referrals), referrals),
                    observation("domestic_abuse_support_referrals", district, month, rng.choice(counts))]
        for quarter in quarters(2014, 2015):
            cohort = rng.choice(counts)
            obs += [observation("youth_first_time_entrants", district, quarter.months[0], rng.choice(counts)),
                    observation("youth_proven_reoffending", district, quarter.months[0], rng.randint(0, cohort),
                                cohort)]
        for year in (2013, 2014):
            baseline, followup = rng.randint(0, 40), rng.randint(0, 40)
            obs.append(observation("iom_offending_reduction", district, Month(year, 4), baseline - followup,
                                   baseline, persons=rng.choice([2, 3, 8, 12])))
    computed = [*quarters(2014), Quarter(2015, 1), Quarter(2015, 2)]
    statuses = available("marac_referrals", computed) + available("youth_first_time_entrants", computed) + \
        available("youth_reoffending", computed) + available("iom_cohort", ["2013/14", "2014/15"]) + \
        available("domestic_abuse_referrals", month_range(Month(2014, 4), Month(2015, 9)))
    rows, monthly = publish(obs, statuses, *computed)
    found = findings(rows, monthly)
    assert len(found) > 100
    assert not [str(f) for f in found if is_recovered(f)]
    for finding in found:
        if finding.figure == "value" and finding.display == "<5" and finding.indicator_id != "iom_offending_reduction":
            assert finding.numerator_range[0] <= 1e-6 and finding.numerator_range[1] >= 5 - 1e-6, str(finding)
