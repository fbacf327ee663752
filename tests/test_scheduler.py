"""The real scheduler recomputes the dashboard because data arrived: every quarter that data feeds, no other.

The demo extracts go into a drop folder. Before Airflow starts, the pipeline stands as it did before the
board's quarter: every source period of 2013/14 and 2014/15 (and of 2015/16 Q1 but MARAC's and domestic
abuse's) loaded, and the eight quarters 2013/14 Q1 to 2014/15 Q4 computed (run id ``baseline``). Then the
real ``airflow api-server``, ``scheduler`` and ``dag-processor`` run natively on a fresh PostgreSQL metadata
database with the LocalExecutor and a DuckDB warehouse (one writer at a time: the ``warehouse_writer`` pool
has one slot). Ingestion runs are triggered through the REST API as of the seed board report's date
(run_after 2015-09-17), and their asset events carry, as partition keys, the ended quarters whose figures
read what changed (``dashboard.dependent_quarters``):

1. ``ingest_marac`` and ``ingest_domestic_abuse`` for 2015/16 Q1: ``quarterly_dashboard`` runs for 2015/16 Q1
   alone; the eight earlier quarters keep their rows.
2. A corrected MARAC file for 2014/15 Q1 (five referrals fewer): the dashboard is recomputed for 2014/15 Q1 to
   2015/16 Q1 (year to date, the repeats' 12-month look-back, disclosure control), 2013/14 is untouched.
3. A corrected police file for November 2014: 2014/15 Q3 and Q4 (year to date, the six-month trend) only.
4. A corrected IOM cohort 2013/14: the quarters of 2014/15 (its value) and 2015/16 Q1 (the previous cohort).

After each delivery the quarters outside the set keep their run ids; at the end every quarter equals a
from-scratch recompute of all nine. Needs PostgreSQL at 127.0.0.1:5432 (``SAFER_COMMUNITIES_TEST_PG``); no
Redis, no Celery. Teardown stops every process the test started (see ``tests/airflow_services.py``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import uuid
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin

from tests import airflow_services
from tests.airflow_services import (
    Deployment,
    airflow_env,
    free_ports,
    metadata_query,
    metadata_url,
    open_api,
    wait,
    wait_parsed,
)
from tests.conftest import PSEUDONYMISATION_KEY
from tests.partner_files import file_text, raw_references, references_in, references_in_warehouse

DASHBOARD = "quarterly_dashboard"
INGESTION = ("ingest_marac", "ingest_domestic_abuse")
LATE = ("ingest_police", "ingest_probation")  # the other ingestion DAGs a late delivery goes through
RUN_AFTER = "2015-09-17T12:00:00Z"  # the seed board report: every quarter asked for below has ended
SEED_DAY = date(2015, 9, 17)
COUNTY = "E10000018"
RUN_TIMEOUT = 300  # each phase's runs finish (seconds); a phase recomputes up to five quarters, one at a time
NINE = [f"{year} Q{n}" for year in ("2013/14", "2014/15") for n in range(1, 5)] + ["2015/16 Q1"]
STAMPS = ("run_id", "computed_at", "code_version")  # what differs between two computations of the same figures
MART_TABLES = ("mart.dashboard_quarterly", "mart.dashboard_monthly", "mart.dashboard_summary")
TERMINAL = ("success", "failed")
BROKEN = ("up_for_retry", "failed", "upstream_failed")
metadata_db = airflow_services.metadata_db  # the fixture: a fresh PostgreSQL database for the Airflow metadata


def preload(warehouse) -> None:
    """The pipeline before the board's quarter: every demo source period loaded but MARAC's and domestic
    abuse's 2015/16 Q1, and the eight quarters before it computed."""
    from safer_communities import dashboard
    from safer_communities.periods import Quarter
    from safer_communities.sources import ingest
    from safer_communities.sources.registry import default_registry

    for source in sorted(default_registry()):
        for period in ("2013/14", "2014/15", "2015/16 Q1"):
            if period != "2015/16 Q1" or source not in ("marac_referrals", "domestic_abuse_referrals"):
                ingest.ingest(source, period, as_of=SEED_DAY, run_id="baseline", warehouse=warehouse)
    for quarter in NINE[:-1]:
        dashboard.compute(warehouse, Quarter.parse(quarter), run_id="baseline")


def correct(path: Path, rows_fewer: int) -> None:
    """A partner's corrected re-delivery: the same file without its last ``rows_fewer`` rows."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-rows_fewer]))


def reading(path: Path):
    """A read-only connection to the DuckDB warehouse, once no task is writing it: the scheduler also runs the
    daily ``dashboard_deadlines`` check on its own, which holds the file for a second or two."""
    import time

    import duckdb

    give_up = time.monotonic() + 60
    while True:
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as error:
            if "lock" not in str(error) or time.monotonic() > give_up:
                raise
            time.sleep(0.5)


def mart_tables(path: Path) -> dict[str, list[tuple]]:
    """Every mart row but its stamps (run, time, code version), sorted: two computations compare equal."""
    with reading(path) as connection:
        found = {}
        for table in MART_TABLES:
            cursor = connection.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            keep = [i for i, name in enumerate(names) if name not in STAMPS]
            found[table] = sorted(tuple(repr(row[i]) for i in keep) for row in cursor.fetchall())
        return found


def test_dashboard_recomputes_every_quarter_that_reads_what_arrived(home, tmp_path, metadata_db, key):

    from safer_communities import dashboard
    from safer_communities.demo import generate
    from safer_communities.periods import Quarter
    from safer_communities.warehouse import Warehouse

    generate(home / "drop")
    warehouse_path = tmp_path / "warehouse.duckdb"
    with Warehouse(f"duckdb:///{warehouse_path}") as warehouse:
        warehouse.migrate()
        preload(warehouse)

    api_port, log_port, health_port = free_ports(3)
    token = uuid.uuid4().hex[:12]
    env = airflow_env(tmp_path / "airflow", metadata_db, api_port=api_port, log_port=log_port,
                      health_port=health_port, token=token)
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE":
            json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": f"duckdb:///{warehouse_path}"}}),
        "AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION":
            json.dumps({"conn_type": "generic", "password": PSEUDONYMISATION_KEY}),
    })

    deployment = Deployment(env, tmp_path / "logs", token)
    phase = deployment.phase

    def mart() -> dict[tuple[str, str, str], dict]:
        """The dashboard mart, read only (no run may be writing): (quarter, indicator, area) -> row."""
        with reading(warehouse_path) as connection:
            cursor = connection.execute(
                "SELECT quarter_label, indicator_id, area_code, status, run_id, computed_at "
                "FROM mart.dashboard_quarterly")
            names = [column[0] for column in cursor.description]
            return {row[:3]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}

    try:
        deployment.start_airflow(api_port, 1, "Writers to the warehouse (DuckDB: one)")

        with open_api(deployment, api_port, health_port) as api:
            phase("api-server and scheduler healthy")
            # Unpaused before any event: a paused consumer drops the events meant for it.
            wait_parsed(api, deployment, [DASHBOARD, *INGESTION, *LATE])
            dags = {dag_id: api.get(f"/api/v2/dags/{dag_id}").raise_for_status().json()
                    for dag_id in (DASHBOARD, *INGESTION, *LATE)}
            assert not any(dag["is_paused"] for dag in dags.values()), dags
            phase("DAGs parsed and unpaused")

            def trigger(dag_id: str, period: str) -> str:
                # The same run_after each time: the run id, else generated from it, names the period.
                run_id = f"manual__{period.replace('/', '-').replace(' ', '_')}"
                response = api.post(f"/api/v2/dags/{dag_id}/dagRuns", json={
                    "dag_run_id": run_id, "logical_date": None, "run_after": RUN_AFTER, "conf": {"period": period}})
                assert response.status_code in (200, 201), response.text
                return response.json()["dag_run_id"]

            def check_tasks(dag_id: str, run_id: str) -> None:
                """A failed try would wait out retry_delay (5 minutes): stop at once instead."""
                tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").raise_for_status().json()
                broken = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in tis["task_instances"]
                          if ti["state"] in BROKEN}
                assert not broken, f"{dag_id} {run_id}: task instances did not succeed: {broken}"

            def finished(dag_id: str, run_id: str) -> dict | None:
                run = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").raise_for_status().json()
                if run["state"] in TERMINAL:
                    return run
                check_tasks(dag_id, run_id)
                return None

            def dashboard_runs() -> dict[str, dict]:
                runs = api.get(f"/api/v2/dags/{DASHBOARD}/dagRuns", params={"limit": 100}).raise_for_status().json()
                assert runs["total_entries"] == len(runs["dag_runs"]), runs["total_entries"]
                return {run["dag_run_id"]: run for run in runs["dag_runs"]}

            def events_of(runs: dict[str, str]) -> list[dict]:
                """The asset events the runs (dag_id -> run_id) emitted."""
                found = []
                for dag_id, run_id in runs.items():
                    response = api.get("/api/v2/assets/events",
                                       params={"source_dag_id": dag_id, "source_run_id": run_id})
                    found += response.raise_for_status().json()["asset_events"]
                return found

            def ingest(runs: dict[str, str], quarters: set[str]) -> None:
                """Wait for the ingestion runs (dag_id -> run_id) to succeed; their events name those quarters."""
                for dag_id, run_id in runs.items():
                    run = wait(f"the run {dag_id} {run_id}", deployment, RUN_TIMEOUT,
                               lambda dag_id=dag_id, run_id=run_id: finished(dag_id, run_id))
                    assert run["state"] == "success", run
                # Retried: Airflow 3.3's events endpoint answers 500 while a dashboard run an event created is
                # still queued (no start date yet; apache/airflow#71360), as one run per quarter makes them wait.
                events = wait(f"the asset events of {runs}", deployment, RUN_TIMEOUT, lambda: events_of(runs))
                assert {(e["source_dag_id"], e["source_run_id"]) for e in events} == set(runs.items()), events
                assert {event["partition_key"] for event in events} == quarters, events
                # the files are in the drop folder: every source period the quarter covers loaded
                assert {status for event in events for status in event["extra"]["statuses"].values()} == {"available"}

            def dashboard_settled(ingestion: dict[str, str], before: set[str]) -> dict[str, dict] | None:
                """The dashboard runs not in ``before``, once each event of the ingestion runs has created
                a dashboard run and every one of those runs has finished."""
                if not all(any(run["dag_id"] == DASHBOARD for run in event["created_dagruns"])
                           for event in events_of(ingestion)):
                    return None
                new = {run_id: run for run_id, run in dashboard_runs().items() if run_id not in before}
                for run_id, run in new.items():
                    if run["state"] not in TERMINAL:
                        check_tasks(DASHBOARD, run_id)
                        return None
                return new

            # Phase 1: MARAC and domestic abuse referrals for 2015/16 Q1
            q1 = "2015/16 Q1"
            baseline = mart()
            assert {key[0] for key in baseline} == set(NINE[:-1])
            assert {row["run_id"] for row in baseline.values()} == {"baseline"}
            ingestion = {dag_id: trigger(dag_id, q1) for dag_id in INGESTION}
            ingest(ingestion, {q1})
            phase(f"ingestion for {q1} succeeded")
            for dag_id, run_id in ingestion.items():  # per-task figures for docs/figures.md (a process each)
                tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances").raise_for_status().json()
                print(dag_id, ", ".join(f"{ti['task_id']} {ti['duration']:.1f}s" for ti in tis["task_instances"]))
            runs = wait(f"the {DASHBOARD} runs for {q1}", deployment, RUN_TIMEOUT,
                        lambda: dashboard_settled(ingestion, set()))
            phase(f"{len(runs)} {DASHBOARD} run(s) for {q1} finished")
            assert runs  # at least one (two events for the quarter may make one run or two)
            assert {run["partition_key"] for run in runs.values()} == {q1}, runs
            assert {run["state"] for run in runs.values()} == {"success"}, runs
            assert {run["run_type"] for run in runs.values()} == {"asset_triggered"}, runs

            # one click from each run: its data-quality pages and its board report, served by the api-server
            def run_pages(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> dict[str, str]:
                links = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links",
                                params={"map_index": map_index}).raise_for_status().json()["extra_links"]
                link = links["Data quality and reports"]
                assert link.startswith(f"http://127.0.0.1:{api_port}/safer-communities/runs/{dag_id}/"), link
                page = api.get(link).raise_for_status().text
                return {label: href for href, label in re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)}

            marac_pages = run_pages("ingest_marac", ingestion["ingest_marac"], "record_status")
            assert list(marac_pages) == ["marac_referrals 2015/16 Q1: data-quality page"], marac_pages
            quality = api.get(html.unescape(marac_pages["marac_referrals 2015/16 Q1: data-quality page"]))
            assert quality.status_code == 200 and "marac_referrals" in quality.text and "2015/16 Q1" in quality.text
            reports = run_pages(DASHBOARD, next(iter(runs)), "report", map_index=0)
            report_url = urljoin(str(api.base_url), html.unescape(reports[f"{q1}: board report"]))
            board = api.get(report_url)
            assert board.status_code == 200 and "Safer Communities performance 2015/16 Q1" in board.text
            # the report's availability page links to the same data-quality page, relatively: it works here too
            linked = re.search(r'data-source="marac_referrals".*?<a href="([^"]+)">data-quality page</a>', board.text,
                               re.DOTALL)
            assert api.get(urljoin(report_url, html.unescape(linked.group(1)))).text == quality.text
            assert api.get(f"/api/v2/dags/ingest_marac/dagRuns/{ingestion['ingest_marac']}/taskInstances/plan/links"
                           ).raise_for_status().json()["extra_links"]["Data quality and reports"] is None
            phase("data-quality pages and report reached from the runs")
            # and nothing of it without Airflow's login: no token is 401, a forged one 403, whatever the path
            import httpx

            base = str(api.base_url).rstrip("/")
            served = [urljoin(str(api.base_url), html.unescape(marac_pages["marac_referrals 2015/16 Q1: "
                                                                           "data-quality page"])),
                      report_url, f"{base}/safer-communities/runs/ingest_marac/{ingestion['ingest_marac']}",
                      f"{base}/safer-communities/quality/%2e%2e/warehouse.duckdb",
                      f"{base}/safer-communities/reports/..%2f..%2fdemo%2fdrop%2fmarac"]
            with httpx.Client() as anonymous:
                assert {url: anonymous.get(url).status_code for url in served} == dict.fromkeys(served, 401)
                forged = {"Authorization": "Bearer forged.token.value"}
                assert {url: anonymous.get(url, headers=forged).status_code for url in served} == dict.fromkeys(
                    served, 403)
            assert [api.get(url).status_code for url in served] == [200, 200, 200, 404, 404]
            phase("the pages refused without a login")

            rows = mart()
            assert {key[0] for key in rows} == set(NINE)
            assert len([key for key in rows if key[0] == q1]) == 14 * 8  # every indicator x county and districts
            assert {row["run_id"] for key, row in rows.items() if key[0] == q1} <= set(runs)
            assert {key: row["run_id"] for key, row in rows.items() if key[0] != q1} == {
                key: "baseline" for key in baseline}
            assert rows[q1, "marac_repeat_rate", COUNTY]["status"] == "available"

            # Phases 2-4: corrected files for earlier periods, each recomputing exactly the quarters that read it
            drop = home / "drop"
            late_deliveries = (
                ("ingest_marac", "2014/15 Q1", drop / "marac" / "marac-referrals-2014-15-Q1.csv", 5,
                 {"2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4", "2015/16 Q1"}),
                ("ingest_police", "2014-11", drop / "police" / "2014-11-leicestershire-street.csv", 300,
                 {"2014/15 Q3", "2014/15 Q4"}),
                ("ingest_probation", "2013/14", drop / "probation" / "iom-cohort-2013-14.csv", 3,
                 {"2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4", "2015/16 Q1"}),
            )
            for dag_id, period, path, rows_fewer, affected in late_deliveries:
                before_rows, before_runs = mart(), set(dashboard_runs())
                correct(path, rows_fewer)
                ingestion = {dag_id: trigger(dag_id, period)}
                ingest(ingestion, affected)
                runs = wait(f"the {DASHBOARD} runs after {period}", deployment, RUN_TIMEOUT,
                            lambda ingestion=ingestion, before_runs=before_runs: dashboard_settled(ingestion,
                                                                                                before_runs))
                phase(f"{dag_id} {period}: {len(runs)} {DASHBOARD} run(s) finished")
                assert {run["partition_key"] for run in runs.values()} == affected, runs
                assert {run["state"] for run in runs.values()} == {"success"}, runs
                rows = mart()
                assert set(rows) == set(before_rows)
                for key, row in rows.items():
                    if key[0] in affected:
                        assert row["run_id"] in runs, (key, row["run_id"])
                    else:
                        assert (row["run_id"], row["computed_at"]) == (before_rows[key]["run_id"],
                                                                      before_rows[key]["computed_at"]), key

            # every quarter equals a recompute of all nine from scratch, on a copy of the warehouse
            scratch = tmp_path / "scratch.duckdb"
            shutil.copyfile(warehouse_path, scratch)
            with Warehouse(f"duckdb:///{scratch}") as copy:
                with copy.begin() as connection:
                    from sqlalchemy import text

                    for table in MART_TABLES:
                        connection.execute(text(f"DELETE FROM {table}"))
                for quarter in NINE:
                    dashboard.compute(copy, Quarter.parse(quarter), run_id="scratch",
                                      export_dir=tmp_path / "scratch-exports")
            assert mart_tables(warehouse_path) == mart_tables(scratch)
            phase("every quarter equals a recompute from scratch")

            # No raw reference of the partners' files (MARAC cases and victims, IOM offenders, survey respondents)
            # in XCom, the task logs, the services' logs, the working area but the raw copies, or the warehouse.
            refs = raw_references(drop)
            xcom = metadata_query(metadata_url(metadata_db), "SELECT dag_id, key, CAST(value AS TEXT) FROM xcom")
            assert any(dag_id == "ingest_marac" for dag_id, _, _ in xcom)  # the states did travel as XCom
            found = {f"xcom {dag_id} {key}": references_in(value or "", refs) for dag_id, key, value in xcom}
            written = [path for folder in (tmp_path / "airflow" / "logs", tmp_path / "logs", home)
                       for path in folder.rglob("*") if path.is_file() and path.suffix not in (".duckdb", ".wal")
                       and not {"drop", "landing", "quarantine"} & set(path.relative_to(folder).parts)]
            assert {".log", ".html", ".parquet"} <= {path.suffix for path in written}
            found |= {str(path): references_in(file_text(path), refs) for path in written}
            with Warehouse(f"duckdb:///{scratch}", read_only=True) as copy:
                found |= references_in_warehouse(copy, refs)
            assert {where: hits for where, hits in found.items() if hits} == {}
            phase(f"no raw reference of {len(refs):,} in XCom, {len(written)} files written or the warehouse")

            # Past the retention rules (30 days after the last use; audit times are the clock's), the raw copies
            # hold none either: what is left in landing/ and quarantine/ are the files of sources without people.
            from safer_communities import settings
            from safer_communities.sources import retention

            with Warehouse(f"duckdb:///{scratch}") as copy:
                deleted = retention.delete_raw_files(copy, as_of=date.today() + timedelta(days=31), run_id="t")
            assert {"marac_referrals", "iom_cohort"} <= {d.source for d in deleted} <= set(retention.rules())
            area = settings.home()
            raw = [path for folder in ("landing", "quarantine") for path in (area / folder).rglob("*")
                   if path.is_file()]
            assert "police_street_crime" in {path.relative_to(area).parts[1] for path in raw}
            assert not {path.relative_to(area).parts[1] for path in raw} & set(retention.rules())
            assert {str(path): hits for path in raw
                    if (hits := references_in(path.read_bytes().decode("utf-8", "replace"), refs))} == {}
            phase(f"past retention: {len(deleted)} raw files deleted, none with a reference left")
        phase("checked")
    except BaseException:
        deployment.print_logs()
        deployment.print_task_logs()
        raise
    finally:
        deployment.stop()
        phase("stopped")
        print("scheduler timeline:", ", ".join(deployment.phases))
