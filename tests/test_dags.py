"""DAG integrity and house rules, the parse-time import budget, and a real dag.test() run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT, drop_police

EXPECTED_DAGS = {
    "ingest_police", "ingest_marac", "ingest_probation", "ingest_youth", "ingest_domestic_abuse", "ingest_survey",
    "quarterly_dashboard", "dashboard_deadlines", "raw_file_retention",
}
ALLOWED_TAGS = {"safer-communities", "ingestion", "dashboard", "reporting", "retention"}
HEAVY = ["pandas", "numpy", "great_expectations", "duckdb", "duckdb_engine", "psycopg", "requests"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT / "dags"))


def test_no_import_errors_and_expected_dags(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_house_rules(dagbag, dag_id):
    from safer_communities.alerts import FailureAlert

    dag = dagbag.dags[dag_id]
    assert dag.doc_md and dag.doc_md.strip().startswith("###"), "module docstring as doc_md"
    assert dag.tags and set(dag.tags) <= ALLOWED_TAGS
    assert dag.fileloc.endswith(f"/{dag_id}.py"), "the file name is the dag_id"
    for task in dag.tasks:
        assert task.owner == "community-safety-data", task.task_id
        assert task.retries >= 1, task.task_id
        callbacks = task.on_failure_callback  # a mapped task keeps the one callback it was given
        callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
        assert any(isinstance(c, FailureAlert) for c in callbacks), f"{task.task_id}: no failure alert wired"
        assert task.execution_timeout is not None, f"{task.task_id}: no execution_timeout"


@pytest.mark.parametrize(("dag_id", "name", "good", "bad"), [
    ("ingest_police", "period", ["", "2015-04", "2015/16 Q1", "2015/16"], ["2015-13", "2015/16 Q5", "Q1", "2015"]),
    ("quarterly_dashboard", "quarter", ["", "2015/16 Q1", "2015/16", "2013/14 Q1..2015/16 Q1"],
     ["2015/16 Q0", "last quarter", "2013/14 Q1..", "2015/16 Q1;DROP"]),
    ("dashboard_deadlines", "quarter", ["", "2015/16 Q1"], ["2015-16-Q1"]),
])
def test_a_period_the_pipeline_cannot_read_is_refused_when_triggered(dagbag, dag_id, name, good, bad):
    from airflow.sdk.definitions.param import ParamValidationError

    param = dagbag.dags[dag_id].params.get_param(name)
    for text in good:
        assert param.resolve(text) == text
    for text in bad:
        with pytest.raises(ParamValidationError):
            param.resolve(text)


def test_ingest_police_shape(dagbag):
    dag = dagbag.dags["ingest_police"]
    order = ["plan", "check_availability", "pull", "validate", "load", "record_status"]
    for upstream, downstream in zip(order, order[1:], strict=False):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    writers = {t.task_id for t in dag.tasks if t.pool == "warehouse_writer"}
    assert writers == {"load", "record_status"}  # a download or a validation holds no writer slot
    assert [o.name for o in dag.get_task("record_status").outlets] == ["police_street_crime"]
    assert "period" in dag.params


def test_the_dashboard_is_triggered_by_every_registered_source_keyed_by_quarter(dagbag):
    from airflow.sdk import PartitionedAssetTimetable

    from safer_communities.sources.registry import default_registry

    dag = dagbag.dags["quarterly_dashboard"]
    assert isinstance(dag.timetable, PartitionedAssetTimetable)
    assert {asset.name for asset in dag.timetable.asset_condition.objects} == set(default_registry())
    assert type(dag.timetable.asset_condition).__name__ == "AssetAny"  # any one source landing is enough
    compute = dag.get_task("compute")
    assert compute.pool == "warehouse_writer" and compute.upstream_task_ids == {"quarters"}
    assert dag.get_task("report").upstream_task_ids == {"compute"} and not dag.get_task("report").downstream_list
    assert [o.name for o in compute.outlets] == ["dashboard_quarterly"]
    assert "quarter" in dag.params


def test_raw_file_retention_runs_daily_as_a_writer(dagbag):
    dag = dagbag.dags["raw_file_retention"]
    assert dag.schedule == "@daily" and not dag.catchup and dag.max_active_runs == 1
    assert [(t.task_id, t.pool) for t in dag.tasks] == [("delete_raw_files", "warehouse_writer")]


def test_one_dashboard_run_at_a_time(dagbag):
    """Runs queue rather than compute side by side; two of one quarter would wait on its lock anyway."""
    assert dagbag.dags["quarterly_dashboard"].max_active_runs == 1


@pytest.mark.parametrize("dag_file", sorted(p.name for p in (PROJECT / "dags").glob("*.py")))
def test_dag_files_import_nothing_heavy_at_parse_time(dag_file):
    """Parsing a DAG file adds none of the heavy modules to what airflow.sdk itself imports."""
    probe = (
        "import sys, runpy, json\n"
        "import airflow.sdk\n"
        "before = set(sys.modules)\n"
        f"runpy.run_path({str(PROJECT / 'dags' / dag_file)!r})\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    added = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                      check=True).stdout.splitlines()[-1])
    assert [m for m in added if m.split(".")[0] in HEAVY] == []


@pytest.fixture
def dag_warehouse(airflow_db, home, tmp_path, monkeypatch) -> str:
    """A migrated DuckDB warehouse that tasks find through the warehouse connection; its URL."""
    from safer_communities.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'dag-test.duckdb'}"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
        json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}),
    )
    with Warehouse(url) as warehouse:
        warehouse.migrate()
    return url


def emitted(run_id: str, asset: str = "police_street_crime") -> dict[str, dict]:
    """The asset events a run emitted: partition key (the dashboard quarter) -> the event's extra."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = (
            session.query(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.name == asset, AssetEvent.source_run_id == run_id)
            .all()
        )
        return {event.partition_key: event.extra for event in events}


def emitted_statuses(run_id: str) -> dict:
    """The statuses in the extra of the police_street_crime asset events that a run emitted (one event per
    dashboard quarter, each with the same extra)."""
    extras = list(emitted(run_id).values())
    assert extras and all(extra == extras[0] for extra in extras), extras
    extra = extras[0]
    return extra["statuses"]


def test_dag_test_run_for_a_quarter_on_duckdb(dag_warehouse, home, dagbag):
    """The real DAG, run by dag.test(), ingests 2019/20 Q4 into a DuckDB warehouse and emits its asset."""
    from safer_communities.warehouse import Warehouse

    for month in ("2020-01", "2020-02", "2020-03"):
        drop_police(home, month)

    dag_run = dagbag.dags["ingest_police"].test(run_conf={"period": "2019/20 Q4"})
    assert dag_run.state == "success"

    with Warehouse(dag_warehouse) as warehouse:
        statuses = warehouse.query("SELECT period, status, run_id FROM audit.source_status ORDER BY period")
        loaded = warehouse.query("SELECT COUNT(*) AS n FROM staging.police_street")[0]["n"]
    assert [(s["period"], s["status"]) for s in statuses] == [
        ("2020-01", "available"), ("2020-02", "available"), ("2020-03", "incomplete")]
    assert {s["run_id"] for s in statuses} == {dag_run.run_id}
    assert loaded == 8852 + 7857 + 8146
    assert emitted_statuses(dag_run.run_id) == {"2020-01": "available", "2020-02": "available",
                                                "2020-03": "incomplete"}
    # one event per dashboard quarter whose figures read January-March 2020 (the partition keys): their own
    # quarter, the six-month trend of April-June 2020 (January to June), and last year's value and target base
    # in 2020/21 Q4 (January to March 2020, April 2019 to March 2020)
    assert sorted(emitted(dag_run.run_id)) == ["2019/20 Q4", "2020/21 Q1", "2020/21 Q4"]
    # each month's data-quality page is written and named in the event
    pages = emitted(dag_run.run_id)["2019/20 Q4"]["quality_pages"]
    assert pages == {month: str(home / "var" / "quality" / "police_street_crime" / f"{month}.html")
                     for month in ("2020-01", "2020-02", "2020-03")}
    assert "incomplete" in (home / "var/quality/police_street_crime/2020-03.html").read_text(encoding="utf-8")

    # the dashboard DAG, by hand for that quarter, computes it from what was loaded
    dashboard_run = dagbag.dags["quarterly_dashboard"].test(run_conf={"quarter": "2019/20 Q4"})
    assert dashboard_run.state == "success"
    with Warehouse(dag_warehouse) as warehouse:
        rows = warehouse.query("SELECT quarter_label, area_code, status, value, run_id FROM mart.dashboard_quarterly "
                               "WHERE indicator_id = 'total_recorded_crime'")
    assert {(r["quarter_label"], r["run_id"]) for r in rows} == {("2019/20 Q4", dashboard_run.run_id)}
    county = next(r for r in rows if r["area_code"] == "E10000018")
    assert county["status"] == "incomplete" and county["value"] > 0  # March 2020 fails a completeness check
    assert list(emitted(dashboard_run.run_id, "dashboard_quarterly")) == ["2019/20 Q4"]
    # and its last task wrote the quarter's board report, its data as at the run's date, and its PDF
    page = home / "var" / "reports" / "2019-20-Q4" / "latest" / "report.html"
    assert f"{dashboard_run.run_after:%-d %B %Y}" in page.read_text(encoding="utf-8")
    assert dashboard_run.run_id in page.read_text(encoding="utf-8")
    assert page.with_suffix(".pdf").read_bytes().startswith(b"%PDF")


def test_an_outage_quarter_is_a_successful_run_that_still_emits_its_asset(dag_warehouse, dagbag):
    from safer_communities.warehouse import Warehouse

    dag_run = dagbag.dags["ingest_police"].test(run_conf={"period": "2015/16 Q1"})
    assert dag_run.state == "success"
    assert emitted_statuses(dag_run.run_id) == {"2015-04": "unavailable", "2015-05": "unavailable",
                                                "2015-06": "unavailable"}
    # April-June 2015 are read by every quarter of 2015/16 (year to date) and of 2016/17 (last year)
    assert sorted(emitted(dag_run.run_id)) == [f"{year} Q{n}" for year in ("2015/16", "2016/17") for n in range(1, 5)]
    with Warehouse(dag_warehouse) as warehouse:
        reasons = [r["reason"] for r in warehouse.query("SELECT reason FROM audit.source_status")]
    assert len(reasons) == 3 and all("NICHE" in reason for reason in reasons)


def test_an_unmigrated_warehouse_fails_the_run_at_once_saying_to_migrate(airflow_db, home, tmp_path, monkeypatch,
                                                                         dagbag, capfd):
    """No retry five minutes later: the first writing task fails for good, naming the command."""
    url = f"duckdb:///{tmp_path / 'never-migrated.duckdb'}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    drop_police(home, "2020-01")
    dag_run = dagbag.dags["ingest_police"].test(run_conf={"period": "2020-01"})
    assert dag_run.state == "failed"
    states = {ti.task_id: (ti.state, ti.try_number) for ti in dag_run.get_task_instances()}
    assert states["pull"] == states["validate"] == ("success", 1)  # the download and validation open no warehouse
    assert states["load"] == ("failed", 1)  # not up_for_retry
    assert states["record_status"][0] == "upstream_failed"
    printed = capfd.readouterr()
    assert "the warehouse has no schema yet: run `safer-communities migrate` first" in printed.out + printed.err


def test_the_main_job_runs_a_dag_quietly_and_a_failed_run_names_its_log(airflow_db, home, tmp_path, monkeypatch,
                                                                         dagbag, capfd):
    """``safer-communities run`` prints one line per DAG run; everything the run writes (Airflow's task logs, at
    the file descriptors and through ``sys.stdout``) is in the run's log file, which a failure names."""
    from datetime import UTC, datetime

    from safer_communities import cli

    url = f"duckdb:///{tmp_path / 'never-migrated.duckdb'}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    drop_police(home, "2020-01")
    logs = tmp_path / "logs"
    with pytest.raises(SystemExit) as stopped:
        cli._test_run(dagbag.dags["ingest_police"], datetime.now(UTC), {"period": "2020-01"}, "2020-01", logs)
    log = logs / "ingest_police.2020-01.log"
    assert str(stopped.value) == f"ingest_police failed for 2020-01; its task logs: {log}"
    printed = capfd.readouterr()
    assert printed.err == ""
    (line,) = printed.out.splitlines()
    assert line.split()[:3] == ["ingest_police", "2020-01", "failed"]
    assert "6 tasks, 1 failed, 4 success, 1 upstream_failed" in line  # plan to validate; load; record_status
    written = log.read_text(encoding="utf-8")
    assert "the warehouse has no schema yet: run `safer-communities migrate` first" in written


def test_output_to_takes_every_way_of_writing_and_gives_the_terminal_back(tmp_path, capfd):
    import logging
    import subprocess

    from safer_communities.cli import _output_to

    log = tmp_path / "run.log"
    with _output_to(log):
        print("by print")
        sys.stderr.write("by sys.stderr\n")
        os.write(2, b"by the descriptor\n")
        subprocess.run(["echo", "by a child process"], check=True)
        subprocess.run(["echo", "by a child given sys.stdout"], check=True, stdout=sys.stdout)
        kept = sys.stdout  # a logger that keeps the stream it was given
        handler = logging.StreamHandler(kept)
        logging.getLogger("sc-test").addHandler(handler)
        logging.getLogger("sc-test").warning("by logging")
    logging.getLogger("sc-test").warning("after, to the terminal")
    logging.getLogger("sc-test").removeHandler(handler)
    print("after, by print")
    assert log.read_text(encoding="utf-8").splitlines() == [
        "by print", "by sys.stderr", "by the descriptor", "by a child process", "by a child given sys.stdout",
        "by logging"]
    printed = capfd.readouterr()
    assert printed.out == "after, to the terminal\nafter, by print\n"


def test_errors_no_retry_can_fix_fail_at_once_and_others_are_retried():
    from airflow.sdk.exceptions import AirflowFailException

    from safer_communities.errors import WarehouseNotMigrated, fail_fast
    from safer_communities.periods import PeriodError
    from safer_communities.sources.pseudonymise import PseudonymisationKeyMissing
    from safer_communities.sources.registry import RegistryError
    from safer_communities.sources.transports import TransferError

    for error in (PeriodError("'2015-13' is not a month"), PseudonymisationKeyMissing("no pseudonymisation key"),
                  RegistryError("sources.yaml: source 'x': cadence: bad"), WarehouseNotMigrated("schema")):
        with pytest.raises(AirflowFailException) as failed, fail_fast():
            raise error
        assert failed.value.__cause__ is error and str(error).split(":")[0] in str(failed.value)
    with pytest.raises(TransferError), fail_fast():  # a server that may answer next time: Airflow retries
        raise TransferError("GET x answered 503")


def test_the_command_line_says_what_to_do_in_one_line(home, tmp_path):
    env = {**os.environ, "SAFER_COMMUNITIES_HOME": str(tmp_path / "var"),
           "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE": json.dumps(
               {"conn_type": "generic", "extra": {"sqlalchemy_url": f"duckdb:///{tmp_path / 'w.duckdb'}"}})}
    cli = str(Path(sys.executable).parent / "safer-communities")

    def say(*arguments: str) -> str:
        done = subprocess.run([cli, *arguments], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        return done.stderr.strip()

    assert say("status") == ("safer-communities status: the warehouse has no schema yet: run "
                             "`safer-communities migrate` first (the compose file's airflow-init does)")
    subprocess.run([cli, "migrate"], check=True, capture_output=True, env=env, timeout=300)
    assert say("status", "2015-13").startswith("safer-communities status: month 13 is not 1-12: give the period as")
    # something unforeseen: its type and first line, and the traceback in a log file it names
    env["AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE"] = json.dumps({"conn_type": "generic", "extra": {}})
    unforeseen = say("status")
    assert unforeseen.startswith("safer-communities status failed: ValueError: connection ")
    log = Path(unforeseen.rsplit("(traceback in ", 1)[1].rstrip(")"))
    assert log.is_file() and "Traceback" in log.read_text()
