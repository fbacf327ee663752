"""The dashboard mart on the demo data, on DuckDB and on PostgreSQL: the seed picture, equal results, exact re-runs.

The demo extracts go through every source's pipeline (``ingest.ingest``: what each DAG's tasks
do) as at the seed report's date, into a DuckDB file and a PostgreSQL database; then every quarter
from 2013/14 Q1 to 2015/16 Q1 is computed on each.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path

import pytest

from safer_communities import dashboard, ingest
from safer_communities.demo import REPORT_DATE, generate
from safer_communities.indicators import load_catalogue
from safer_communities.periods import Quarter
from safer_communities.registry import default_registry
from safer_communities.warehouse import Warehouse
from tests.conftest import PG_SERVER, PSEUDONYMISATION_KEY, _admin

SEED = "2015/16 Q1"
QUARTERS = [str(Quarter(fy, n)) for fy in (2013, 2014) for n in (1, 2, 3, 4)] + [SEED]
PERIODS = ("2013/14", "2014/15", "2015/16 Q1")
VOLATILE = {"run_id", "computed_at"}  # the only columns a re-run may change


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> dict[str, tuple[Warehouse, Path]]:
    """Both engines loaded with the demo and every quarter computed; engine -> (warehouse, export folder)."""
    root = tmp_path_factory.mktemp("dashboard")
    generate(root / "drop")
    database = f"sc_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{database}"')
    built = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFER_COMMUNITIES_HOME", str(root / "var"))
        patch.setenv("SAFER_COMMUNITIES_DROP", str(root / "drop"))
        patch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                     json.dumps({"conn_type": "generic", "password": PSEUDONYMISATION_KEY}))
        for engine, url in (("duckdb", f"duckdb:///{root / 'warehouse.duckdb'}"),
                            ("postgresql", f"{PG_SERVER}/{database}")):
            warehouse = Warehouse(url)
            warehouse.migrate()
            for source in default_registry():
                for period in PERIODS:
                    ingest.ingest(source, period, as_of=REPORT_DATE, run_id="demo", warehouse=warehouse)
            for quarter in QUARTERS:
                dashboard.compute(warehouse, Quarter.parse(quarter), run_id=f"{engine}-1",
                                  export_dir=root / "exports" / engine)
            built[engine] = (warehouse, root / "exports" / engine)
        yield built
    for warehouse, _ in built.values():
        warehouse.close()
    _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def exported(folder: Path, quarter: str, name: str = "dashboard") -> list[dict]:
    """An export's rows without the columns a re-run may change."""
    path = folder / Quarter.parse(quarter).slug / f"{name}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def county(warehouse: Warehouse, quarter: str = SEED) -> dict[str, dict]:
    return {r["indicator_id"]: r for r in warehouse.query(
        "SELECT * FROM mart.dashboard_quarterly WHERE quarter_label = :q AND area_code = 'E10000018'", {"q": quarter})}


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_the_seed_quarter_from_the_mart(marts, engine):
    warehouse, _ = marts[engine]
    rows = county(warehouse)
    # crime: not available, with the NICHE reason; grey, never zero
    for indicator in ("total_recorded_crime", "vehicle_crime", "burglary", "violence_sexual_offences",
                      "criminal_damage_arson", "police_recorded_asb"):
        row = rows[indicator]
        assert row["status"] == "unavailable" and "NICHE" in row["status_reason"]
        assert row["value"] is None and row["value_display"] == "n/a" and row["on_track"] == "grey"
    # re-offending: IOM down 56% for the 2014/15 cohort against 39% for the previous one; on track
    iom = rows["iom_offending_reduction"]
    assert (round(iom["value"]), round(iom["previous_value"]), iom["on_track"]) == (56, 39, "green")
    # MARAC: 28.5% repeats (35 of 123), referrals still rising on last year
    repeat = rows["marac_repeat_rate"]
    assert (repeat["numerator"], repeat["denominator"], repeat["value_display"]) == (35, 123, "28.5%")
    assert rows["marac_referrals"]["change"] > 0
    # domestic abuse support referrals up: 621 against 497 a year before
    abuse = rows["domestic_abuse_support_referrals"]
    assert (abuse["value"], abuse["last_year_value"]) == (621, 497)
    # youth re-offending and the survey: not yet available (late)
    for indicator in ("youth_proven_reoffending", "survey_asb_problem", "survey_agree_dealing"):
        assert rows[indicator]["status"] == "late" and rows[indicator]["value_display"] == "n/a"
    assert len(rows) == 14
    summary = {r["priority_id"]: r for r in warehouse.query(
        "SELECT * FROM mart.dashboard_summary WHERE quarter_label = :q", {"q": SEED})}
    assert summary["terrorism"]["note"] == "Appropriate measures for this priority are being determined."
    assert summary["terrorism"]["indicators"] == 0
    # where performance information is available, the majority of indicators are on track
    overall = summary["all"]
    assert (overall["with_data"], overall["on_track"], overall["amber"], overall["red"]) == (5, 3, 0, 0)
    assert overall["not_available"] == 9 and "NICHE" in overall["unavailable_reasons"]


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_every_quarter_has_every_indicator_for_the_county_and_seven_districts(marts, engine):
    warehouse, _ = marts[engine]
    counts = warehouse.query("SELECT quarter_label, COUNT(*) AS n, COUNT(DISTINCT area_code) AS areas "
                             "FROM mart.dashboard_quarterly GROUP BY quarter_label ORDER BY quarter_label")
    assert [(r["quarter_label"], r["n"], r["areas"]) for r in counts] == [(q, 14 * 8, 8) for q in QUARTERS]


def test_duckdb_and_postgresql_give_the_same_dashboard(marts):
    duck, pg = marts["duckdb"][1], marts["postgresql"][1]
    for quarter in QUARTERS:
        for name in ("dashboard", "monthly", "summary"):
            assert exported(duck, quarter, name) == exported(pg, quarter, name), (quarter, name)


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_recomputing_a_quarter_replaces_it_exactly(marts, engine, tmp_path):
    warehouse, folder = marts[engine]
    before = {q: exported(folder, q) for q in ("2014/15 Q3", SEED)}
    dashboard.compute(warehouse, Quarter.parse(SEED), run_id=f"{engine}-2", export_dir=tmp_path)
    assert exported(tmp_path, SEED) == before[SEED]
    assert {r["run_id"] for r in warehouse.query(
        "SELECT DISTINCT run_id FROM mart.dashboard_quarterly WHERE quarter_label = :q", {"q": SEED})} == {
        f"{engine}-2"}
    # the other quarters are untouched
    assert {r["run_id"] for r in warehouse.query(
        "SELECT DISTINCT run_id FROM mart.dashboard_quarterly WHERE quarter_label <> :q", {"q": SEED})} == {
        f"{engine}-1"}
    assert warehouse.query("SELECT COUNT(*) AS n FROM mart.dashboard_quarterly")[0]["n"] == 14 * 8 * len(QUARTERS)
    assert exported(tmp_path, SEED, "monthly") == exported(folder, SEED, "monthly")
    assert {r["run_id"] for r in warehouse.query(
        "SELECT DISTINCT run_id FROM mart.dashboard_monthly WHERE quarter_label = :q", {"q": SEED})} == {f"{engine}-2"}


def test_the_export_is_csv_and_parquet_with_the_same_rows(marts):
    import duckdb

    _, folder = marts["duckdb"]
    base = folder / Quarter.parse(SEED).slug
    parquet_file = base / "dashboard.parquet"
    with duckdb.connect() as connection:
        parquet = connection.execute(f"SELECT * FROM read_parquet('{parquet_file}')").fetchall()
        csv_rows = connection.execute(f"SELECT * FROM read_csv('{base / 'dashboard.csv'}')").fetchall()
        types = dict(connection.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{parquet_file}'))").fetchall())
    assert len(parquet) == len(csv_rows) == 14 * 8
    assert types["value"] == "DOUBLE" and types["suppressed"] == "BOOLEAN" and types["district_rank"] == "INTEGER"
    assert "persons" not in types  # not published


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_the_published_view_hides_small_numbers_and_never_leaves_one_district_hidden(marts, engine):
    warehouse, _ = marts[engine]
    truth = {(r["quarter_label"], r["indicator_id"], r["area_code"]): r for r in warehouse.query(
        "SELECT quarter_label, indicator_id, area_code, persons, value FROM mart.dashboard_quarterly")}
    published = warehouse.query("SELECT * FROM mart.dashboard_published")
    primary = [r for r in published if r["suppression"] == "primary"]
    assert primary, "the demo has districts with 1-4 people in a quarter"
    for row in published:
        persons = truth[(row["quarter_label"], row["indicator_id"], row["area_code"])]["persons"]
        if row["suppressed"]:
            assert row["value"] is None and row["numerator"] is None and row["ytd_value"] is None
            assert row["last_year_value"] is None and row["previous_value"] is None
            # judgements of a hidden figure would hint at it
            assert row["on_track"] is None and row["comparison"] is None and row["district_rank"] is None
            assert row["trend"] is None and row["on_track_reason"] == "figures hidden: fewer than 5 people"
            if row["status"] in ("available", "incomplete"):
                assert row["value_display"] == ("<5" if row["suppression"] == "primary" else "[c]")
            else:  # not available this quarter; last year's small figure is what is hidden
                assert row["value_display"] == "n/a"
        elif row["status"] in ("available", "incomplete"):
            assert persons is None or persons == 0 or persons >= 5
            assert row["value"] == truth[(row["quarter_label"], row["indicator_id"], row["area_code"])]["value"]
    hidden: dict[tuple[str, str], int] = {}
    for row in published:
        if row["area_type"] == "district" and row["suppressed"]:
            hidden[(row["quarter_label"], row["indicator_id"])] = hidden.get(
                (row["quarter_label"], row["indicator_id"]), 0) + 1
    assert 1 not in hidden.values()


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_the_monthly_series_adds_up_to_the_quarter_and_says_which_months_are_missing(marts, engine):
    warehouse, _ = marts[engine]
    series = warehouse.query("SELECT * FROM mart.dashboard_monthly WHERE quarter_label = :q AND area_code = "
                             "'E10000018' ORDER BY indicator_id, month_start", {"q": SEED})
    by_indicator: dict[str, list[dict]] = {}
    for row in series:
        by_indicator.setdefault(row["indicator_id"], []).append(row)
    monthly = {i.id for p in load_catalogue().priorities for i in p.indicators if i.grain == "month"}
    assert set(by_indicator) == monthly
    assert all([str(r["month_start"]) for r in rows] == ["2015-01-01", "2015-02-01", "2015-03-01", "2015-04-01",
                                                          "2015-05-01", "2015-06-01"] for rows in by_indicator.values())
    quarter = county(warehouse)
    # April-June 2015 sum to the quarter: 123 MARAC referrals, 35 repeats, 621 domestic abuse referrals
    for indicator in ("marac_referrals", "marac_repeat_rate", "domestic_abuse_support_referrals"):
        spring = by_indicator[indicator][3:]
        assert all(r["status"] == "available" for r in by_indicator[indicator])
        assert sum(r["numerator"] for r in spring) == quarter[indicator]["numerator"]
    repeat = by_indicator["marac_repeat_rate"][3:]
    assert sum(r["denominator"] for r in repeat) == 123
    # crime: January-March 2015 loaded, April-June the NICHE outage: no value, never 0
    for row in by_indicator["vehicle_crime"]:
        if row["month_start"].month <= 3:
            assert row["status"] == "available" and row["value"] > 0
        else:
            assert row["status"] == "unavailable" and "NICHE" in row["status_reason"]
            assert row["value"] is None and row["value_display"] == "n/a"


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_the_published_monthly_series_never_leaves_one_cell_of_a_total_hidden(marts, engine):
    warehouse, _ = marts[engine]
    truth = {(r["quarter_label"], r["indicator_id"], r["area_code"], str(r["month_start"])): r["persons"]
             for r in warehouse.query("SELECT * FROM mart.dashboard_monthly")}
    published = warehouse.query("SELECT * FROM mart.dashboard_monthly_published")
    assert any(r["suppression"] == "primary" for r in published), "the demo has months of 1-4 people"
    by_month: dict[tuple, list[dict]] = {}
    by_quarter: dict[tuple, list[dict]] = {}
    for row in published:
        persons = truth[(row["quarter_label"], row["indicator_id"], row["area_code"], str(row["month_start"]))]
        if row["suppressed"]:
            assert row["value"] is None and row["numerator"] is None and row["denominator"] is None
            assert row["value_display"] in ("<5", "[c]") and (row["value_display"] == "<5") == (
                row["suppression"] == "primary")
        elif row["status"] in ("available", "incomplete"):
            assert persons is None or persons == 0 or persons >= 5
        month = row["month_start"]
        if row["area_type"] == "district":
            by_month.setdefault((row["quarter_label"], row["indicator_id"], month), []).append(row)
        quarter = (month.month - 1) // 3
        by_quarter.setdefault((row["quarter_label"], row["indicator_id"], row["area_code"], month.year, quarter),
                              []).append(row)
    counties = {(r["quarter_label"], r["indicator_id"], r["month_start"]): r for r in published
                if r["area_type"] == "county"}
    for key, cells in by_month.items():
        if not counties[key]["suppressed"]:
            assert sum(r["suppressed"] for r in cells) != 1, key
    for key, cells in by_quarter.items():
        assert len(cells) == 3
        if sum(r["suppressed"] for r in cells) == 1:  # only where the quarter is itself 1-4 people: hidden too
            total = sum(truth[(r["quarter_label"], r["indicator_id"], r["area_code"], str(r["month_start"]))] or 0
                        for r in cells)
            assert 1 <= total <= 4, key
