"""The six real Leicestershire months through the whole path, on DuckDB and on PostgreSQL.

Expected figures are derived here, independently of the pipeline, from the raw
CSV files and the ONS lookup with the csv module.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from safer_communities.settings import REFERENCE_DIR
from safer_communities.sources import ingest
from tests.conftest import POLICE_FIXTURES, drop_police

MONTHS = ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"]
AS_OF = date(2026, 11, 26)
COUNTY_DISTRICTS = {"E07000129", "E07000130", "E07000131", "E07000132", "E07000133", "E07000134", "E07000135"}


def _lookup() -> dict[str, str]:
    with (REFERENCE_DIR / "lsoa11_to_lad15_llr.csv").open(newline="") as handle:
        return {row["LSOA11CD"]: row["LAD15CD"] for row in csv.DictReader(handle)}


def expected_counts() -> tuple[Counter, Counter]:
    """(district, month) recorded crime excluding ASB, and (month, reason) of rows outside any district."""
    lookup = _lookup()
    crime, unallocated = Counter(), Counter()
    for month in MONTHS:
        with (POLICE_FIXTURES / f"{month}-leicestershire-street.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                district = lookup.get(row["LSOA code"])
                if not row["LSOA code"]:
                    unallocated[(month, "no_location")] += 1
                elif district is None:
                    unallocated[(month, "outside_force_area")] += 1
                elif district in COUNTY_DISTRICTS and row["Crime type"] != "Anti-social behaviour":
                    crime[(district, month)] += 1
    return crime, unallocated


def load_six_months(home, warehouse) -> list[dict]:
    for month in MONTHS:
        drop_police(home, month)
    statuses = []
    for period in ("2019/20 Q4", "2020/21 Q1"):
        statuses += ingest.ingest("police_street_crime", period, as_of=AS_OF, run_id="test", warehouse=warehouse)
    return statuses


def warehouse_counts(warehouse) -> tuple[Counter, Counter]:
    crime = Counter({
        (r["district_code"], str(r["month_start"])[:7]): int(r["incidents"])
        for r in warehouse.query(
            "SELECT district_code, month_start, SUM(incidents) AS incidents FROM core.police_crime_district "
            "WHERE NOT is_asb GROUP BY district_code, month_start"
        )
    })
    unallocated = Counter({
        (str(r["month_start"])[:7], r["reason"]): int(r["incidents"])
        for r in warehouse.query(
            "SELECT month_start, reason, SUM(incidents) AS incidents FROM core.fact_police_crime_unallocated "
            "GROUP BY month_start, reason"
        )
    })
    return crime, unallocated


def test_district_month_counts_equal_the_raw_files(home, warehouse):
    load_six_months(home, warehouse)
    crime, unallocated = warehouse_counts(warehouse)
    expected_crime, expected_unallocated = expected_counts()
    assert crime == expected_crime
    assert unallocated == expected_unallocated
    # spot values published in the data notes: the March 2020 collapse
    assert crime[("E07000131", "2020-03")] == 4
    assert crime[("E07000135", "2020-03")] == 5
    assert unallocated[("2020-03", "no_location")] == 1157


def test_every_row_is_accounted_for(home, warehouse):
    load_six_months(home, warehouse)
    rows = {
        str(r["month_start"])[:7]: int(r["n"])
        for r in warehouse.query(
            "SELECT month_start, SUM(n) AS n FROM ("
            " SELECT month_start, incidents AS n FROM core.fact_police_crime"
            " UNION ALL SELECT month_start, incidents FROM core.fact_police_crime_unallocated) AS t"
            " GROUP BY month_start"
        )
    }
    assert rows == {"2020-01": 8852, "2020-02": 7857, "2020-03": 8146, "2020-04": 7809, "2020-05": 8116,
                    "2020-06": 8245}
    # Leicester and Rutland are in the force area but never in county figures
    county = warehouse.query("SELECT DISTINCT district_code FROM core.police_crime_district")
    assert {r["district_code"] for r in county} == COUNTY_DISTRICTS


def test_statuses_of_the_real_months(home, warehouse):
    statuses = {s["period"]: s for s in load_six_months(home, warehouse)}
    assert {p: s["status"] for p, s in statuses.items()} == {
        "2020-01": "available", "2020-02": "available", "2020-03": "incomplete",
        "2020-04": "available", "2020-05": "available", "2020-06": "available",
    }
    march = statuses["2020-03"]["reason"]
    assert "Harborough 4" in march and "Oadby and Wigston 5" in march
    assert "1,157 of 8,146 rows (14.2%) have no location" in march
    stored = warehouse.query("SELECT period, status, reason FROM audit.source_status ORDER BY period")
    assert [(r["period"], r["status"]) for r in stored] == [(p, statuses[p]["status"]) for p in MONTHS]
    checks = warehouse.query(
        "SELECT check_name, passed FROM audit.completeness_result WHERE period = '2020-03' ORDER BY check_name")
    assert [(r["check_name"], r["passed"]) for r in checks] == [("district_collapse", False),
                                                               ("no_location_share", False), ("volume", True)]
    volume = warehouse.query("SELECT detail FROM audit.completeness_result WHERE period = '2020-06' "
                             "AND check_name = 'volume'")
    # June against the six months before: 8,852, 7,857, 8,146, 7,809, 8,116 -> median 8,116 (five loaded)
    assert volume == [{"detail": "8,245 rows against a median of 8,116 over the 5 periods loaded before (102%)"}]


def test_declared_outage_and_missing_months(home, warehouse):
    statuses = ingest.ingest("police_street_crime", "2015/16 Q1", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert [s["status"] for s in statuses] == ["unavailable"] * 3
    assert all("NICHE" in s["reason"] for s in statuses)
    late = ingest.ingest("police_street_crime", "2026-10", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert late[0]["status"] == "awaited" and "expected by 2026-12-30" in late[0]["reason"]
    gone = ingest.ingest("police_street_crime", "2026-01", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert gone[0]["status"] == "late" and "deadline 2026-04-01" in gone[0]["reason"]
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_police_crime")[0]["n"] == 0


@pytest.mark.parametrize("engines", [("duckdb", "postgres")])
def test_duckdb_and_postgres_give_the_same_warehouse(home, make_warehouse, engines):
    dumps = []
    for engine in engines:
        warehouse = make_warehouse(engine)
        load_six_months(home, warehouse)
        dumps.append({
            "facts": sorted(
                (str(r["month_start"]), r["lsoa_code"], r["district_code"], r["crime_type"], int(r["incidents"]))
                for r in warehouse.query("SELECT * FROM core.fact_police_crime")
            ),
            "unallocated": sorted(
                (str(r["month_start"]), r["reason"], r["lsoa_code"] or "", r["crime_type"], int(r["incidents"]))
                for r in warehouse.query("SELECT * FROM core.fact_police_crime_unallocated")
            ),
            "status": sorted((r["period"], r["status"], r["reason"])
                             for r in warehouse.query("SELECT * FROM audit.source_status")),
            "periods": warehouse.query("SELECT COUNT(*) AS n, MIN(quarter_label) AS lo FROM core.dim_period"),
        })
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["facts"]) > 10_000


def test_a_month_delivered_half_size_is_incomplete_against_the_forces_own_history(home, warehouse):
    """A cut copy that happens to end on a line boundary passes every rule; its volume does not."""
    for month in ("2020-01", "2020-02", "2020-03"):
        drop_police(home, month)
        assert ingest.ingest("police_street_crime", month, as_of=AS_OF, run_id="t",
                             warehouse=warehouse)[0]["status"] in ("available", "incomplete")
    lines = (POLICE_FIXTURES / "2020-04-leicestershire-street.csv").read_bytes().splitlines(keepends=True)
    drop_police(home, "2020-04", b"".join(lines[:3905]))  # the header and 3,904 of its 7,809 rows
    (cut,) = ingest.ingest("police_street_crime", "2020-04", as_of=AS_OF, run_id="t", warehouse=warehouse)
    # median of 8,852 (January), 7,857 (February) and 8,146 (March) is 8,146; 3,904 / 8,146 = 48%
    assert cut["status"] == "incomplete"
    assert ("3,904 rows against a median of 8,146 over the 3 periods loaded before (48%): below 70%, "
            "a partial delivery") in cut["reason"]
    drop_police(home, "2020-04")  # the whole month, re-delivered
    (whole,) = ingest.ingest("police_street_crime", "2020-04", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert "partial delivery" not in whole["reason"]
