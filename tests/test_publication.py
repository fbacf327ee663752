"""One computation of a quarter at a time, and versioned publication: exports and reports, their change log.

Three real police months (2019/20 Q4) are loaded (``ingest.ingest``, what the DAG's tasks do) and the
quarter computed. Two computations started at once on PostgreSQL leave one set of rows, the second having
waited for the quarter's lock; a re-publication of the same figures keeps version 1; January re-delivered
with two Charnwood crimes quarantined publishes version 2, whose change log names the cells and the file;
a publication that fails midway leaves the previous version latest and nothing half-written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from safer_communities import dashboard
from safer_communities.dashboard import publication
from safer_communities.periods import Quarter
from safer_communities.publish import report
from safer_communities.sources import ingest
from safer_communities.warehouse import Warehouse, lock_key
from tests.conftest import drop_police
from tests.police_samples import january_rows, to_bytes

QUARTER = Quarter.parse("2019/20 Q4")
AS_OF = date(2026, 11, 26)
MONTHS = ("2020-01", "2020-02", "2020-03")
TABLES = {"mart.dashboard_quarterly": ("indicator_id", "area_code"),
          "mart.dashboard_monthly": ("indicator_id", "area_code", "month_start"),
          "mart.dashboard_summary": ("priority_id",)}


def load_police(home: Path, warehouse: Warehouse) -> None:
    for month in MONTHS:
        drop_police(home, month)
    ingest.ingest("police_street_crime", str(QUARTER), as_of=AS_OF, run_id="load", warehouse=warehouse)


def redeliver_january(home: Path, warehouse: Warehouse) -> bytes:
    """January again, with two Charnwood crimes of an unknown type (quarantined: two fewer crimes); its bytes."""
    rows = january_rows(8852)
    charnwood = [i for i, row in enumerate(rows) if i and row[0] and row[8].startswith("Charnwood ")][:2]
    for index in charnwood:
        rows[index][9] = "Burglarly"
    content = to_bytes(rows)
    drop_police(home, "2020-01", content)
    (status,) = ingest.ingest("police_street_crime", "2020-01", as_of=AS_OF, run_id="again", warehouse=warehouse)
    assert status["status"] == "available" and "2 rows quarantined" in status["reason"]
    return content


def exported(version: Path) -> dict[tuple[str, str], dict]:
    with (version / "dashboard.csv").open(encoding="utf-8", newline="") as handle:
        return {(row["indicator_id"], row["area_name"]): row for row in csv.DictReader(handle)}


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_two_computations_of_one_quarter_at_once_leave_one_set_of_rows(home, make_warehouse, monkeypatch, tmp_path):
    warehouse = make_warehouse("postgres")
    load_police(home, warehouse)
    entered, release = threading.Event(), threading.Event()
    steps: list[tuple[str, str]] = []
    read_inputs, export = dashboard.read_inputs, dashboard.export

    def reading(connection_warehouse, quarter):
        steps.append(("read", threading.current_thread().name))
        if not entered.is_set():  # the first holds the quarter's lock here until the second is seen waiting on it
            entered.set()
            release.wait(300)
        return read_inputs(connection_warehouse, quarter)

    def exporting(connection_warehouse, quarter, root=None, sources=None):
        published = export(connection_warehouse, quarter, root, sources)
        steps.append(("exported", threading.current_thread().name))
        return published

    monkeypatch.setattr(dashboard, "read_inputs", reading)
    monkeypatch.setattr(dashboard, "export", exporting)
    results, errors = {}, []

    def run(name: str) -> None:
        try:
            with Warehouse(warehouse.url) as own:  # each computation with its own engine and connections
                results[name] = dashboard.compute(own, QUARTER, run_id=name, export_dir=tmp_path / "exports")
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)
            entered.set()

    first, second = (threading.Thread(target=run, args=(name,), name=name) for name in ("first", "second"))
    first.start()
    assert entered.wait(300) and not errors
    second.start()
    # the second is seen waiting on the quarter's advisory lock (PostgreSQL's own record), then the first goes on
    key = lock_key(f"dashboard:{QUARTER}") & 0xFFFFFFFFFFFFFFFF
    waiting = ("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
               "AND classid::bigint = :high AND objid::bigint = :low "
               "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    for _ in range(3000):
        if warehouse.query(waiting, {"high": key >> 32, "low": key & 0xFFFFFFFF})[0]["n"] == 1:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the second computation never waited for the quarter's lock")
    release.set()
    first.join(300)
    second.join(300)
    assert errors == [] and set(results) == {"first", "second"}
    # one after the other: the second read only once the first had written and exported
    assert steps == [("read", "first"), ("exported", "first"), ("read", "second"), ("exported", "second")]
    for table, key_columns in TABLES.items():
        found = warehouse.query(
            f"SELECT run_id, COUNT(*) AS n, COUNT(DISTINCT ({', '.join(key_columns)})) AS cells FROM {table} "
            "WHERE quarter_label = :q GROUP BY run_id", {"q": str(QUARTER)})
        assert len(found) == 1 and found[0]["run_id"] == "second", (table, found)
        assert found[0]["n"] == found[0]["cells"] > 0, (table, found)  # no row twice
    assert results["first"]["rows"] == results["second"]["rows"] == warehouse.query(
        "SELECT COUNT(*) AS n FROM mart.dashboard_quarterly WHERE quarter_label = :q", {"q": str(QUARTER)})[0]["n"]
    # the second found the first's figures: the same publication, so no second version
    assert (results["first"]["version"], results["first"]["new_version"]) == (1, True)
    assert (results["second"]["version"], results["second"]["new_version"]) == (1, False)
    assert publication.versions(dashboard.export_folder(QUARTER, tmp_path / "exports")) == [1]


def test_a_data_change_publishes_version_2_with_its_change_log_the_same_data_none(home, make_warehouse):
    warehouse = make_warehouse("duckdb")
    load_police(home, warehouse)
    exports, reports = dashboard.export_folder(QUARTER), report.report_folder(QUARTER)
    assert exports == home / "var" / "exports" / "dashboard" / "2019-20-Q4"
    first = dashboard.compute(warehouse, QUARTER, run_id="run-1")
    assert (first["version"], first["new_version"]) == (1, True)
    assert first["files"][0] == str(exports / "v1" / "dashboard.csv")
    page = report.write(warehouse, QUARTER, as_of=AS_OF)
    assert page == reports / "v1" / "report.html"
    assert listing(exports) == ["changelog.md", "latest", "v1"]
    assert listing(exports / "v1") == ["CHANGES.md", "README.md", "cells.json", "dashboard.csv", "dashboard.parquet",
                                       "manifest.json", "monthly.csv", "monthly.parquet", "summary.csv",
                                       "summary.parquet"]
    v1 = (exports / "v1" / "dashboard.csv").read_bytes()
    manifest = json.loads((exports / "v1" / "manifest.json").read_text(encoding="utf-8"))
    january = hashlib.sha256((home / "drop/police/2020-01-leicestershire-street.csv").read_bytes()).hexdigest()
    assert (manifest["version"], manifest["run_id"], manifest["quarter"]) == (1, "run-1", "2019/20 Q4")
    assert {"source": "police_street_crime", "period": "2020-01", "status": "available", "file_sha256": january,
            "original_name": "2020-01-leicestershire-street.csv"} in manifest["source_periods"]

    # the same figures again, on another day: the latest version stays, and the result says so
    again = dashboard.compute(warehouse, QUARTER, run_id="run-2")
    assert (again["version"], again["new_version"]) == (1, False)
    assert report.write(warehouse, QUARTER, as_of=AS_OF + timedelta(days=1)) == page
    assert publication.versions(exports) == publication.versions(reports) == [1]
    assert (exports / "v1" / "dashboard.csv").read_bytes() == v1

    # January re-delivered with two Charnwood crimes quarantined: version 2, with what changed and why
    corrected = hashlib.sha256(redeliver_january(home, warehouse)).hexdigest()
    third = dashboard.compute(warehouse, QUARTER, run_id="run-3")
    assert (third["version"], third["new_version"]) == (2, True)
    assert os.readlink(exports / "latest") == "v2" and dashboard.latest_export(QUARTER).resolve() == exports / "v2"
    assert (exports / "v1" / "dashboard.csv").read_bytes() == v1  # every version is kept as it was
    old, new = exported(exports / "v1"), exported(exports / "v2")
    changes = (exports / "v2" / "CHANGES.md").read_text(encoding="utf-8")
    for area in ("Charnwood", "Leicestershire"):
        before, after = old[("total_recorded_crime", area)], new[("total_recorded_crime", area)]
        assert float(after["numerator"]) == float(before["numerator"]) - 2  # a rate: two crimes fewer
        assert f"- total_recorded_crime, {area}: numerator `{before['numerator']}` -> `{after['numerator']}`" in changes
        if before["value_display"] != after["value_display"]:
            assert (f"- total_recorded_crime, {area}: value_display `{before['value_display']}` -> "
                    f"`{after['value_display']}`") in changes
    assert "total_recorded_crime, Blaby:" not in changes  # unchanged cells are not listed
    (why,) = changes[changes.index("### Why"):].splitlines()[2:]  # the one source period that changed
    assert why.startswith(f"- police_street_crime 2020-01: file {january[:12]} (2020-01-leicestershire-street.csv)"
                          f" -> {corrected[:12]} (2020-01-leicestershire-street.csv); feeds ")
    assert "total_recorded_crime" in why.split("; feeds ")[1].split(", ")
    manifest = json.loads((exports / "v2" / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["version"], manifest["previous_version"], manifest["run_id"]) == (2, 1, "run-3")
    log = (exports / "changelog.md").read_text(encoding="utf-8")
    assert log.index("## Version 1") < log.index("## Version 2") and changes in log

    # the report too: version 2, saying so in its header, with the same change log
    page = report.write(warehouse, QUARTER, as_of=AS_OF + timedelta(days=2))
    assert page == reports / "v2" / "report.html" and report.report_path(QUARTER).resolve() == page
    html = page.read_text(encoding="utf-8")
    assert "Version 2, published 28 November 2026, replacing version 1" in html
    about = html[html.index('id="about"'):]  # the details, with the run's, at the end of the paper
    assert "Version 2, published 28 November 2026; changes since version 1: " in about
    assert "source periods with a new file or status: police_street_crime 2020-01" in about
    report_changes = (reports / "v2" / "CHANGES.md").read_text(encoding="utf-8")
    assert report_changes[report_changes.index("Changes since"):] == changes[changes.index("Changes since"):]
    assert "Version 1, published 26 November 2026</span>" in (reports / "v1" / "report.html").read_text(
        encoding="utf-8")


def test_a_publication_that_fails_midway_leaves_the_previous_version_latest(home, make_warehouse, monkeypatch):
    warehouse = make_warehouse("duckdb")
    load_police(home, warehouse)
    dashboard.compute(warehouse, QUARTER, run_id="run-1")
    report.write(warehouse, QUARTER, as_of=AS_OF)
    exports, reports = dashboard.export_folder(QUARTER), report.report_folder(QUARTER)
    before = {folder: (listing(folder), (folder / "changelog.md").read_bytes()) for folder in (exports, reports)}
    redeliver_january(home, warehouse)
    half_written = []

    class FailingAfterTheDashboardFiles(dict):
        def __getitem__(self, name):
            if name == "monthly":  # dashboard.csv and .parquet are written by now; the disk fills up
                half_written.extend(exports.glob(".v2-*/dashboard.*"))
                raise OSError("No space left on device")
            return super().__getitem__(name)

    types, write_pdf = dashboard.EXPORT_TYPES, report.write_pdf
    monkeypatch.setattr(dashboard, "EXPORT_TYPES", FailingAfterTheDashboardFiles(types))
    with pytest.raises(OSError, match="No space left"):
        dashboard.compute(warehouse, QUARTER, run_id="run-2")
    assert sorted(path.name for path in half_written) == ["dashboard.csv", "dashboard.parquet"]

    def failing_pdf(html: Path) -> Path:
        half_written.append(html)
        raise RuntimeError("chromium failed")

    monkeypatch.setattr(report, "write_pdf", failing_pdf)
    with pytest.raises(RuntimeError, match="chromium failed"):
        report.write(warehouse, QUARTER, as_of=AS_OF, pdf=True)
    assert half_written[-1].name == "report.html" and half_written[-1].parent.name.startswith(".v2-")
    # the previous version is still the latest, whole; no version 2 and no hidden folder left behind
    for folder in (exports, reports):
        assert (listing(folder), (folder / "changelog.md").read_bytes()) == before[folder]
        assert os.readlink(folder / "latest") == "v1"
    assert dashboard.latest_export(QUARTER).joinpath("monthly.csv").is_file()

    # once the cause is gone, the next run publishes version 2
    monkeypatch.setattr(dashboard, "EXPORT_TYPES", types)
    monkeypatch.setattr(report, "write_pdf", write_pdf)
    assert dashboard.compute(warehouse, QUARTER, run_id="run-3")["version"] == 2
    assert report.write(warehouse, QUARTER, as_of=AS_OF) == reports / "v2" / "report.html"
    assert listing(exports) == listing(reports) == ["changelog.md", "latest", "v1", "v2"]
