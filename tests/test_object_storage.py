"""The hand-off files on object storage: a real S3-API server on loopback (moto's server mode), as the compose
file's MinIO. Landing, quarantine and validated files go there and nowhere local; the loads, statuses and
pseudonym links are the same as on the local working area; retention deletes the objects on their day.
(The two-host Celery run on the same storage is in tests/test_deployment.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from safer_communities.sources import ingest, retention
from tests.conftest import drop_police
from tests.object_store import STORED, s3_keys, s3_server, storage_env
from tests.partner_files import csv_bytes, deliver_file, values_containing
from tests.test_marac import AS_OF, HEADER, REFERRALS
from tests.test_retention import DAYS, RAW_REFERENCES, last_use

MARAC, POLICE = "marac_referrals", "police_street_crime"


@pytest.fixture
def s3(monkeypatch):
    """moto's S3 server with the pipeline's bucket, and the pipeline pointed at it; yields its port."""
    from tests.airflow_services import free_ports

    (port,) = free_ports(1)
    server = s3_server(port)
    for name, value in storage_env(port).items():
        monkeypatch.setenv(name, value)
    try:
        yield port
    finally:
        server.stop()


def local_files(home, *folders: str) -> list:
    return [path for folder in folders for path in (home / "var" / folder).rglob("*") if path.is_file()]


def test_files_land_validate_and_load_through_object_storage(home, make_warehouse, key, s3):
    warehouse = make_warehouse("duckdb")
    for quarter in ("2015/16 Q1", "2014/15 Q4"):
        deliver_file(home, MARAC, quarter, csv_bytes(HEADER, REFERRALS[quarter]))
    drop_police(home, "2020-01")
    # a file missing a column is rejected: its copy and the reason go to quarantine, in the store too
    deliver_file(home, MARAC, "2014/15 Q3", csv_bytes(HEADER[:2], [row[:2] for row in REFERRALS["2014/15 Q3"]]))

    states = {s["period"]: s for q in ("2015/16 Q1", "2014/15 Q4", "2014/15 Q3")
              for s in ingest.ingest(MARAC, q, as_of=AS_OF, run_id="t", warehouse=warehouse)}
    police = ingest.ingest(POLICE, "2020-01", as_of=AS_OF, run_id="t", warehouse=warehouse)
    assert {p: s["status"] for p, s in states.items()} == {
        "2015/16 Q1": "available", "2014/15 Q4": "available", "2014/15 Q3": "rejected"}
    assert police[0]["status"] == "available"
    assert f"{STORED}/quarantine/{MARAC}/2014-15-Q3/" in states[
        "2014/15 Q3"]["reason"]

    keys = s3_keys(s3)
    assert {key.split("/")[1] for key in keys} == {"landing", "quarantine", "validated"}
    landed = warehouse.query("SELECT source, period, sha256, landing_path FROM audit.pulled_file ORDER BY period")
    assert len(landed) == 4
    for row in landed:
        slug = row["period"].replace("/", "-").replace(" ", "-")
        assert f"pipeline/landing/{row['source']}/{slug}/{row['sha256']}.csv" in keys
        assert row["landing_path"].startswith(f"{STORED}/landing/")
    for quarter in ("2015-16-Q1", "2014-15-Q4"):
        assert {key.rsplit("/", 1)[1].split(".", 1)[1] for key in keys
                if key.startswith(f"pipeline/validated/{MARAC}/{quarter}/")} == {
            "parquet", "results.csv", "quarantine.csv", "links.csv"}
    (rejected,) = [row["sha256"] for row in landed if row["period"] == "2014/15 Q3"]
    note, copy = sorted(key.rsplit("/", 1)[1] for key in keys if key.startswith(f"pipeline/quarantine/{MARAC}/"))
    assert copy.startswith(f"{rejected}__") and copy.endswith(".csv") and note == f"{rejected}.reason.txt"
    assert local_files(home, "landing", "quarantine", "validated") == []  # nothing handed over locally

    # the same rows and statuses as on the local working area; no raw reference anywhere in the warehouse
    assert warehouse.query("SELECT COUNT(*) AS n FROM core.fact_marac_referral")[0]["n"] == len(
        REFERRALS["2015/16 Q1"]) + len(REFERRALS["2014/15 Q4"])
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.validation_result WHERE period = '2014/15 Q3'")[0]["n"] > 0
    assert values_containing(warehouse, RAW_REFERENCES) == []

    # the identical file again: recognised in the store, nothing loaded again
    again = ingest.ingest(MARAC, "2015/16 Q1", as_of=AS_OF, run_id="t2", warehouse=warehouse)[0]
    assert (again["status"], again["changed"]) == ("available", False)

    # retention deletes the MARAC objects (landed, quarantined copy and note) on their day; the police file stays
    deleted = retention.delete_raw_files(warehouse, as_of=last_use(warehouse) + timedelta(days=DAYS), run_id="r")
    assert {d.source for d in deleted} == {MARAC} and len(deleted) == 5  # 3 landed, a quarantined copy, its note
    left = s3_keys(s3)
    assert not [k for k in left if k.startswith((f"pipeline/landing/{MARAC}/", f"pipeline/quarantine/{MARAC}/"))]
    assert [k for k in left if k.startswith(f"pipeline/landing/{POLICE}/")]
