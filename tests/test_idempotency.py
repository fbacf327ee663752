"""Every load replaces exactly its (source, month) slice: re-runs and corrections leave one correct slice."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from safer_communities.sources import ingest
from safer_communities.sources.contracts import PARSE_RULES, load_contract
from tests.conftest import drop_police
from tests.police_samples import january_rows, to_bytes

AS_OF = date(2026, 11, 26)
SLICE_QUERIES = {
    "staging": "SELECT line, crime_id, month, longitude, latitude, lsoa_code, crime_type, last_outcome_category "
               "FROM staging.police_street WHERE period = '2020-01'",
    "facts": "SELECT lsoa_code, district_code, crime_type, incidents FROM core.fact_police_crime "
             "WHERE month_start = DATE '2020-01-01'",
    "unallocated": "SELECT reason, lsoa_code, crime_type, incidents FROM core.fact_police_crime_unallocated "
                   "WHERE month_start = DATE '2020-01-01'",
}


def slice_fingerprint(warehouse) -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the January slice in each table (load ids left out)."""
    fingerprint = {}
    for name, sql in SLICE_QUERIES.items():
        rows = sorted(repr(tuple(r.values())) for r in warehouse.query(sql))
        fingerprint[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return fingerprint


def run_january(warehouse) -> dict:
    return ingest.ingest("police_street_crime", "2020-01", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]


def test_loading_the_same_month_three_times_leaves_one_slice(home, warehouse):
    drop_police(home, "2020-01")
    loaded = run_january(warehouse)
    assert (loaded["status"], loaded["changed"]) == ("available", True)
    first = slice_fingerprint(warehouse)
    for _ in range(2):  # the identical file again: nothing validated, loaded or recorded again
        again = run_january(warehouse)
        assert (again["status"], again["reason"], again["changed"]) == ("available", loaded["reason"], False)
        assert slice_fingerprint(warehouse) == first
    assert first["staging"][0] == 8852
    pulled = warehouse.query("SELECT sha256, pull_count FROM audit.pulled_file")
    expected_sha = hashlib.sha256((home / "drop/police/2020-01-leicestershire-street.csv").read_bytes()).hexdigest()
    assert pulled == [{"sha256": expected_sha, "pull_count": 3}]
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.load_batch")[0]["n"] == 1
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.source_status_history")[0]["n"] == 1
    batches = warehouse.query("SELECT DISTINCT load_batch_id FROM staging.police_street")
    latest = warehouse.query("SELECT load_batch_id FROM audit.load_batch ORDER BY loaded_at DESC LIMIT 1")
    assert batches == latest
    # validation results and quarantine of the same bytes are replaced, not piled up
    assert warehouse.query("SELECT COUNT(DISTINCT run_id) AS n, COUNT(*) AS r FROM audit.validation_result") == [
        {"n": 1, "r": len(load_contract("police_street").rules) + len(PARSE_RULES)}]
    landed = list((home / "var/landing/police_street_crime/2020-01").iterdir())
    assert [p.name for p in landed] == [f"{expected_sha}.csv"]


def test_a_corrected_file_after_a_rejected_one_leaves_one_correct_slice(home, make_warehouse):
    clean = make_warehouse("duckdb")
    drop_police(home, "2020-01")
    run_january(clean)
    expected = slice_fingerprint(clean)
    good = (home / "drop/police/2020-01-leicestershire-street.csv").read_bytes()

    for engine in ("duckdb", "postgres"):
        warehouse = make_warehouse(engine)
        drop_police(home, "2020-01", good.replace(b",2020-01,", b",2019-12,", 5))  # wrong month inside
        rejected = run_january(warehouse)
        assert rejected["status"] == "rejected" and "month_is_period" in rejected["reason"]
        assert slice_fingerprint(warehouse)["staging"][0] == 0

        drop_police(home, "2020-01", good)
        assert run_january(warehouse)["status"] == "available"
        assert slice_fingerprint(warehouse) == expected
        history = warehouse.query("SELECT status FROM audit.source_status_history ORDER BY decided_at")
        assert [r["status"] for r in history] == ["rejected", "available"]

        # a bad re-delivery after a good load leaves the good slice and its status, and says so
        drop_police(home, "2020-01", good.replace(b",2020-01,", b",2019-12,", 5))
        again = run_january(warehouse)
        assert (again["status"], again["changed"]) == ("available", False)
        (notice,) = again["notices"]
        assert notice.startswith("A new file (2020-01-leicestershire-street.csv, sha256 ")
        assert "month_is_period" in notice and "(8,852 rows) is kept" in notice
        assert notice.endswith("and its status 'available' are kept.")
        assert slice_fingerprint(warehouse) == expected
        history = warehouse.query("SELECT status FROM audit.source_status_history ORDER BY decided_at")
        assert [r["status"] for r in history] == ["rejected", "available"]  # no downgrade recorded
        assert [r["notice"] for r in warehouse.query("SELECT notice FROM audit.delivery_notice")] == [notice]


def test_a_corrected_file_after_one_with_quarantined_rows_replaces_the_slice(home, warehouse):
    rows = january_rows(8852)
    rows[5][9] = "Burglarly"
    rows[6][4] = "west"
    drop_police(home, "2020-01", to_bytes(rows))
    first = run_january(warehouse)
    assert first["status"] == "available" and "2 rows quarantined" in first["reason"]
    assert slice_fingerprint(warehouse)["staging"][0] == 8850

    drop_police(home, "2020-01")
    assert run_january(warehouse)["status"] == "available"
    assert slice_fingerprint(warehouse)["staging"][0] == 8852
    assert warehouse.query("SELECT COUNT(*) AS n FROM staging.police_street")[0]["n"] == 8852
    # both files are kept, and the first file's quarantined rows stay on record
    assert len(list(Path(home / "var/landing/police_street_crime/2020-01").iterdir())) == 2
    assert warehouse.query("SELECT line, rules FROM audit.quarantine ORDER BY line") == [
        {"line": 6, "rules": "crime_type_known"}, {"line": 7, "rules": "parse_type"}]
