"""Retention of raw files: a file that holds people goes from the working area on its source's day, recorded once;
its rows, the police's files and everything else stay; a file delivered again after it went simply lands again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from safer_communities import cli
from safer_communities.sources import ingest, retention
from safer_communities.sources.registry import get_source
from tests.conftest import PROJECT, drop_police
from tests.partner_files import csv_bytes, deliver_file, values_containing
from tests.test_marac import AS_OF, HEADER, REFERRALS

MARAC, POLICE, QUARTER = "marac_referrals", "police_street_crime", "2015/16 Q1"
DAYS = 30
RAW_REFERENCES = {ref.strip() for rows in REFERRALS.values() for row in rows for ref in (row[0], row[2])}


def ingest_marac(home, warehouse, rows=REFERRALS[QUARTER], header=HEADER) -> dict:
    deliver_file(home, MARAC, QUARTER, csv_bytes(header, rows))
    return ingest.ingest(MARAC, QUARTER, as_of=AS_OF, run_id="t", warehouse=warehouse)[0]


def last_use(warehouse, source: str = MARAC) -> date:
    """The day the pipeline last pulled or loaded a source's files (wall clock, as the audit records it)."""
    row = warehouse.query("SELECT MAX(f.last_pulled_at) AS pulled, MAX(b.loaded_at) AS loaded FROM audit.pulled_file "
                          "AS f LEFT JOIN audit.load_batch AS b ON b.source = f.source WHERE f.source = :s",
                          {"s": source})[0]
    return max(when for when in (row["pulled"], row["loaded"]) if when).date()


def deletions(warehouse) -> list[dict]:
    return warehouse.query("SELECT source, period, file_sha256, path, reason, as_of, run_id "
                           "FROM audit.raw_file_deletion ORDER BY deleted_at, path")


def marac_rows(warehouse) -> tuple[int, int]:
    return (warehouse.query("SELECT COUNT(*) AS n FROM staging.marac_referrals")[0]["n"],
            warehouse.query("SELECT COUNT(*) AS n FROM core.fact_marac_referral")[0]["n"])


def test_every_source_holding_people_deletes_its_raw_files_and_the_others_keep_them():
    from safer_communities.sources.contracts import load_contract
    from safer_communities.sources.registry import DeleteRawFiles, default_registry

    deleting = {name for name, source in default_registry().items() if isinstance(source.retention, DeleteRawFiles)}
    holding_people = {name for name, source in default_registry().items()
                      if load_contract(source.contract).has_person_refs}
    assert deleting == holding_people == {"marac_referrals", "iom_cohort", "community_survey"}
    assert retention.rules() == dict.fromkeys(deleting, DAYS)


def test_a_loaded_person_file_is_deleted_on_its_day_once_and_its_rows_stay(home, warehouse, key):
    assert ingest_marac(home, warehouse)["status"] == "available"
    drop_police(home, "2020-01")
    assert ingest.ingest(POLICE, "2020-01", as_of=AS_OF, run_id="t", warehouse=warehouse)[0]["status"] == "available"
    landed = {r["source"]: Path(r["landing_path"]) for r in
              warehouse.query("SELECT source, landing_path FROM audit.pulled_file")}
    rows, status = marac_rows(warehouse), warehouse.query("SELECT * FROM audit.source_status ORDER BY source")
    used = last_use(warehouse)

    assert retention.delete_raw_files(warehouse, as_of=used + timedelta(days=DAYS - 1), run_id="r1") == []
    assert landed[MARAC].is_file() and deletions(warehouse) == []

    deleted = retention.delete_raw_files(warehouse, as_of=used + timedelta(days=DAYS), run_id="r2")
    assert [(d.source, d.period, d.path) for d in deleted] == [(MARAC, QUARTER, str(landed[MARAC]))]
    assert not landed[MARAC].exists()
    (record,) = deletions(warehouse)
    assert (record["source"], record["period"], record["path"], record["run_id"]) == (
        MARAC, QUARTER, str(landed[MARAC]), "r2")
    assert record["file_sha256"] == landed[MARAC].stem and str(record["as_of"]) == str(used + timedelta(days=DAYS))
    assert record["reason"] == (f"loaded; last pulled or loaded {used}; due {used + timedelta(days=DAYS)}, {DAYS} "
                                "days after (registry retention.days_after_last_use)")
    assert retention.summary(deleted, used + timedelta(days=DAYS)) == (
        f"raw files deleted as at {used + timedelta(days=DAYS)}: 1 (community_survey 0, iom_cohort 0, "
        "marac_referrals 1)")
    # the load stays: rows, statuses; the police file (no people) is kept however long after
    assert marac_rows(warehouse) == rows == (6, 6)
    assert warehouse.query("SELECT * FROM audit.source_status ORDER BY source") == status
    assert landed[POLICE].is_file()

    # a second run, even years later, has nothing left to delete and records nothing
    assert retention.delete_raw_files(warehouse, as_of=used + timedelta(days=3650), run_id="r3") == []
    assert len(deletions(warehouse)) == 1 and landed[POLICE].is_file()
    assert values_containing(warehouse, RAW_REFERENCES) == []


def test_a_rejected_person_file_goes_with_its_quarantined_copy_on_its_own_day(home, make_warehouse, key):
    warehouse = make_warehouse("duckdb")
    header = ["case ref", "referral date", "district", "referring agency"]  # no victim column: rejected
    outcome = ingest_marac(home, warehouse, [row[:4] for row in REFERRALS[QUARTER]], header)
    assert outcome["status"] == "rejected"
    assert outcome["reason"].endswith(" until 30 days after its last use (the source's retention rule).")
    slug = "2015-16-Q1"
    held = sorted([*(home / "var" / "landing" / MARAC / slug).iterdir(),
                   *(home / "var" / "quarantine" / MARAC / slug).iterdir()])
    sha = next(path.stem for path in held if "landing" in path.parts)
    assert [path.name for path in held] == [f"{sha}.csv", f"{sha}.reason.txt", f"{sha}__marac-referrals-2015-16-Q1.csv"]
    used = last_use(warehouse)  # never loaded: the day it was pulled and quarantined

    assert retention.delete_raw_files(warehouse, as_of=used + timedelta(days=DAYS - 1), run_id="r1") == []
    deleted = retention.delete_raw_files(warehouse, as_of=used + timedelta(days=DAYS), run_id="r2")
    assert sorted(d.path for d in deleted) == [str(path) for path in held]
    assert not any(path.exists() for path in held)
    records = deletions(warehouse)
    assert {(r["file_sha256"], r["run_id"]) for r in records} == {(sha, "r2")} and len(records) == 3
    assert all(r["reason"].startswith(f"never loaded; last pulled or loaded {used};") for r in records)
    assert warehouse.query("SELECT status FROM audit.source_status") == [{"status": "rejected"}]
    assert retention.delete_raw_files(warehouse, as_of=used + timedelta(days=DAYS), run_id="r3") == []
    assert len(deletions(warehouse)) == 3


def test_a_file_delivered_again_after_deletion_lands_again_and_is_handled(home, make_warehouse, key):
    warehouse = make_warehouse("duckdb")
    ingest_marac(home, warehouse)
    (gone,) = retention.delete_raw_files(warehouse, as_of=last_use(warehouse) + timedelta(days=DAYS), run_id="r1")

    # the same bytes again: they land anew, are recognised as the file the status is about, and nothing reloads
    again = ingest.ingest(MARAC, QUARTER, as_of=AS_OF, run_id="t2", warehouse=warehouse)[0]
    assert (again["status"], again["changed"]) == ("available", False)
    assert Path(gone.path).is_file() and marac_rows(warehouse) == (6, 6)
    assert warehouse.query("SELECT pull_count FROM audit.pulled_file") == [{"pull_count": 2}]

    # a corrected file replaces the slice; both files go in their turn (the copy landed anew recorded again)
    assert ingest_marac(home, warehouse, REFERRALS[QUARTER][:5])["status"] == "available"
    deleted = retention.delete_raw_files(warehouse, as_of=last_use(warehouse) + timedelta(days=DAYS), run_id="r2")
    assert len(deleted) == 2 and gone.path in [d.path for d in deleted]
    assert marac_rows(warehouse) == (5, 5)

    # then the first file comes back: with no copy left, it lands anew, is validated and loaded
    back = ingest_marac(home, warehouse)
    assert (back["status"], back["changed"]) == ("available", True) and marac_rows(warehouse) == (6, 6)
    assert Path(gone.path).is_file()
    assert [r["path"] for r in deletions(warehouse)].count(gone.path) == 2


def test_the_command_line_deletes_and_prints_counts(home, make_warehouse, key, monkeypatch, capsys):
    warehouse = make_warehouse("duckdb")
    ingest_marac(home, warehouse)
    due = last_use(warehouse) + timedelta(days=DAYS)
    warehouse.close()
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse.url}}))
    cli.main(["retention", "--as-of", due.isoformat()])
    printed = capsys.readouterr().out
    assert f"raw files deleted as at {due}: 1 (community_survey 0, iom_cohort 0, marac_referrals 1)" in printed
    assert not any(ref in printed for ref in RAW_REFERENCES)


def test_the_daily_dag_deletes_what_is_due_at_its_run_date(airflow_db, home, key, tmp_path, monkeypatch, capfd):
    from airflow.dag_processing.dagbag import DagBag

    from safer_communities.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'dag-retention.duckdb'}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    with Warehouse(url) as warehouse:
        warehouse.migrate()
        ingest_marac(home, warehouse)
        due = last_use(warehouse) + timedelta(days=get_source(MARAC).retention.days_after_last_use)
    dag = DagBag(dag_folder=str(PROJECT / "dags" / "raw_file_retention.py")).dags["raw_file_retention"]

    dag_run = dag.test(run_after=datetime.combine(due, time(6), tzinfo=UTC))
    assert dag_run.state == "success"
    with Warehouse(url) as warehouse:
        assert [(r["source"], r["run_id"]) for r in deletions(warehouse)] == [(MARAC, dag_run.run_id)]
        assert marac_rows(warehouse) == (6, 6)
    printed = capfd.readouterr()
    assert f"raw files deleted as at {due}: 1 (community_survey 0, iom_cohort 0, marac_referrals 1)" in printed.out
    assert not any(ref in printed.out + printed.err for ref in RAW_REFERENCES)
