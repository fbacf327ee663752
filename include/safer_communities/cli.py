"""Command line: ``safer-communities <command>`` (or ``python -m safer_communities``).

    migrate              create the warehouse schema and reference dimensions
    demo [--drop DIR]    write the deterministic demo extracts (FY 2013/14 to 2015/16 Q1) into a drop folder
    run                  the main job: demo extracts -> every ingestion DAG and the dashboard DAG (dag.test,
                         in-process) -> the 2015/16 Q1 dashboard
    status [PERIOD ...]  every source's periods at a glance: status, last load, validation failures, quarantine
    dashboard PERIOD ... compute the dashboard of the quarters in each period (or FIRST..LAST), outside Airflow
    show QUARTER         print a quarter's dashboard (county) and summary from the mart
    report QUARTER [--out DIR] [--pdf]  write the quarter's board report (HTML, and PDF) and print its path
    quality SOURCE PERIOD [--out DIR]   write the data-quality page of a source's period and print its path
    explain QUARTER INDICATOR AREA      print the chain behind one dashboard cell: the published figure, how it
                         is computed, its source periods, their files, validation, quarantine and loads
    readiness QUARTER ... [--as-of DATE]  is each quarter's dashboard complete by its reporting date? print, record
    retention [--as-of DATE]  delete the raw files holding people that their source's retention rule says are due
    dictionary [--out FILE] [--check] [--postgres URL]  write docs/data-dictionary.md from the warehouse's comments
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
import shutil
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from safer_communities.settings import PROJECT_DIR, home

DEMO_PERIODS = ("2013/14", "2014/15", "2015/16 Q1")
DEMO_QUARTER = "2015/16 Q1"
INGESTION_DAGS = ("ingest_police", "ingest_probation", "ingest_youth", "ingest_marac", "ingest_domestic_abuse",
                  "ingest_survey")
DASHBOARD_DAG = "quarterly_dashboard"
DEADLINES_DAG = "dashboard_deadlines"
KEY_CONNECTION = "AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION"


READ_WAIT_SECONDS = 10  # a reading command waits this long for a pipeline writing the DuckDB file


def _warehouse(read_only: bool = False):
    """The warehouse, checked to be migrated (else one line saying to run ``migrate``). ``read_only``: the
    reading commands, which never take DuckDB's single writer and wait briefly for a run writing it."""
    from safer_communities.warehouse import Warehouse

    return Warehouse.migrated(read_only=read_only, wait_seconds=READ_WAIT_SECONDS if read_only else 0.0)


def migrate() -> None:
    from safer_communities.warehouse import Warehouse

    with Warehouse.from_connection() as warehouse:
        warehouse.migrate()
        print(f"warehouse ready: {warehouse.shown_url}")


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) if rows else len(c) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def _glance(periods: list[str]) -> list[dict]:
    """The rows of ``audit.source_glance``; with periods, every registered source's own periods within them,
    including those no run has decided yet."""
    from safer_communities.sources.availability import glance_for
    from safer_communities.sources.registry import default_registry

    with _warehouse(read_only=True) as warehouse:
        rows = warehouse.query("SELECT * FROM audit.source_glance ORDER BY source, period")
    return glance_for(periods, rows, default_registry()) if periods else rows


def status(periods: list[str]) -> None:
    """Every source's periods at a glance (``audit.source_glance``): status, last load, validation, quarantine.

    With periods (months, quarters or years): every registered source's own periods within them,
    including those no run has decided yet.
    """
    rows = _glance(periods)
    print(_table([{**row, "last load": f"{row['last_loaded_at']:%Y-%m-%d %H:%M}" if row["last_loaded_at"] else "-",
                   "rows": row["last_rows_loaded"] if row["last_rows_loaded"] is not None else "-",
                   "critical": row["critical_failures"], "quarantined": row["quarantined_rows"]} for row in rows],
                 ["source", "period", "status", "last load", "rows", "critical", "warnings", "quarantined", "reason"]))


def show(quarter: str) -> None:
    """The quarter's dashboard for the county, and its summary, as report generators see them (published)."""
    from safer_communities.dashboard.indicators import display

    with _warehouse(read_only=True) as warehouse:
        rows = warehouse.query(
            "SELECT * FROM mart.dashboard_published WHERE quarter_label = :q AND area_type = 'county' "
            "ORDER BY sort_order", {"q": quarter})
        summary = warehouse.query("SELECT * FROM mart.dashboard_summary WHERE quarter_label = :q ORDER BY sort_order",
                                  {"q": quarter})
    if not rows:
        sys.exit(f"no dashboard for {quarter} in the mart; compute it first (safer-communities dashboard {quarter!r})")
    table, priority = [], None
    for row in rows:
        if row["priority_name"] != priority:
            priority = row["priority_name"]
            table.append(dict.fromkeys(["indicator", "value", "last year", "year to date", "target", "on track",
                                        "trend", "status"], ""))
            table[-1]["indicator"] = priority.upper()
        table.append({
            "indicator": "  " + row["indicator_name"][:58], "value": row["value_display"],
            "last year": display(row["last_year_value"], row["unit"], "-"),
            "year to date": display(row["ytd_value"], row["unit"], "-"), "target": row["target_text"][:40],
            "on track": row["on_track"], "trend": row["trend"], "status": row["status"],
        })
    print(f"\nDashboard {quarter}, Leicestershire (mart.dashboard_published, county rows):")
    print(_table(table, ["indicator", "value", "last year", "year to date", "target", "on track", "trend", "status"]))
    for line in summary:
        if line["note"]:
            print(f"{line['priority_name'].upper()}: {line['note']}")
    overall = next(line for line in summary if line["priority_id"] == "all")
    print(f"\nSummary {quarter}: {overall['with_data']} of {overall['indicators']} indicators have data; "
          f"{overall['on_track']} on track, {overall['amber']} amber, {overall['red']} red, "
          f"{overall['no_target']} monitored without a target; {overall['not_available']} not available.")
    for reason in (overall["unavailable_reasons"] or "").split(" | "):
        if reason:
            print(f"  not available - {reason}")
    print(f"run {overall['run_id']}, code {overall['code_version']}, computed {overall['computed_at']}")


def report(quarter: str, out: str | None, as_of: date | None = None, pdf: bool = False) -> None:
    """Write the quarter's board report from the published mart (default: a new version under
    $SAFER_COMMUNITIES_HOME/reports/<quarter>/, or the latest kept when nothing published changed)."""
    from safer_communities.periods import PeriodError
    from safer_communities.publish import report as board_report

    try:
        with _warehouse(read_only=True) as warehouse:
            path = board_report.write(warehouse, quarter, out, as_of=as_of, pdf=pdf)
    except (LookupError, PeriodError, board_report.BrowserMissing) as error:
        sys.exit(str(error))
    print(path)
    if pdf:
        print(path.with_suffix(".pdf"))


def quality(source: str, period: str, out: str | None) -> None:
    """Write a (source, period)'s data-quality page (default: $SAFER_COMMUNITIES_HOME/quality/)."""
    from safer_communities.periods import PeriodError, parse_any
    from safer_communities.publish import quality_docs
    from safer_communities.sources.registry import RegistryError, get_source

    try:
        get_source(source)  # before opening the warehouse: the mistake is named first
        parse_any(period)
        with _warehouse(read_only=True) as warehouse:
            path = quality_docs.write(warehouse, source, period, out)
    except (LookupError, PeriodError, RegistryError) as error:
        sys.exit(str(error))
    print(path)


def explain(quarter: str, indicator: str, area: str) -> None:
    """Print the chain behind one published dashboard cell (``safer_communities.publish.explain``)."""
    from safer_communities.periods import PeriodError
    from safer_communities.publish import explain as cell

    try:
        with _warehouse(read_only=True) as warehouse:
            chain = cell.explain(warehouse, quarter, indicator, area)
    except (LookupError, PeriodError) as error:
        sys.exit(str(error))
    print(cell.text(chain))


def readiness(periods: list[str], as_of: date) -> None:
    """Is each quarter's dashboard complete by its reporting date? Print its source periods and record it in
    ``audit.dashboard_readiness`` (alerting, as the daily DAG does, when a quarter is first found late)."""
    from safer_communities.dashboard import readiness as dashboard_readiness
    from safer_communities.periods import PeriodError

    try:
        quarters = dashboard_readiness.quarters_requested(periods)
    except PeriodError as error:
        sys.exit(str(error))
    run_id = f"cli__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    with _warehouse() as warehouse:
        checked = dashboard_readiness.check(warehouse, quarters, as_of=as_of, run_id=run_id)
    for item in checked:
        print(f"\n{item.readiness.state_line()}")
        print(_table([{"source": p.source, "period": p.period, "outcome": p.outcome, "status": p.status,
                       "reason": p.reason} for p in item.readiness.periods],
                     ["source", "period", "outcome", "status", "reason"]))
        if item.newly_late:
            sent = f"alert sent through {', '.join(item.alerted)}" if item.alerted else (
                "no alert went out (no alert connection, or every channel failed: see the log)")
            print(f"first found late: {sent}")
    print(f"\nrecorded in audit.dashboard_readiness (run {run_id})")


def retention(as_of: date) -> None:
    """Delete the raw files due by ``as_of`` under their source's retention rule (what the daily DAG
    raw_file_retention does), record each in ``audit.raw_file_deletion`` and print them."""
    from safer_communities.sources import retention as raw_files

    run_id = f"cli__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    with _warehouse() as warehouse:
        deleted = raw_files.delete_raw_files(warehouse, as_of=as_of, run_id=run_id)
    if deleted:
        print(_table([{"source": d.source, "period": d.period, "file": d.file_sha256[:12], "path": d.path}
                      for d in deleted], ["source", "period", "file", "path"]))
    print(f"{raw_files.summary(deleted, as_of)}; recorded in audit.raw_file_deletion (run {run_id})")


def compute_dashboard(periods: list[str]) -> None:
    """Compute the quarters by hand (outside Airflow): what the dashboard DAG's task does for each."""
    from safer_communities import dashboard
    from safer_communities.dashboard.disclosure import DisclosureError
    from safer_communities.periods import quarters_in

    quarters = sorted({quarter for period in periods for quarter in quarters_in(period)})
    run_id = f"cli__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    with _warehouse() as warehouse:
        for quarter in quarters:
            try:
                result = dashboard.compute(warehouse, quarter, run_id=run_id)
            except DisclosureError as error:  # nothing of the quarter was written
                sys.exit(f"{quarter}: {error}")
            published = (f"version {result['version']}" if result["new_version"]
                         else f"unchanged: version {result['version']} kept")
            print(f"{quarter}: {result['rows']} rows; {result['with_data']} of {result['indicators']} indicators "
                  f"with data, {result['on_track']} on track; {result['withheld']} figures withheld, "
                  f"{result['audited']} hidden quantities audited -> {dashboard.export_folder(quarter)} "
                  f"({published})")


def demo(drop: str | None, seed: int | None) -> dict:
    from safer_communities import demo as demo_data

    default = str(home() / "demo" / "drop")
    target = drop or default
    if os.path.isdir(target) and os.listdir(target):
        if os.path.abspath(target) != os.path.abspath(default):
            sys.exit(f"{target} is not empty: write the demo extracts into an empty folder")
        shutil.rmtree(target)  # the demo's own folder: a stale .xlsx beside a fresh .csv would be picked first
    manifest = demo_data.generate(target, **({"seed": seed} if seed is not None else {}))
    print(f"demo extracts: {target} ({sum(manifest['rows'].values()):,} rows in "
          f"{sum(len(files) for files in manifest['files'].values())} files)")
    return manifest


def _demo_key() -> None:
    """A local key for the demo's pseudonyms, unless a real connection is configured."""
    if os.environ.get(KEY_CONNECTION):
        return
    path = home() / "demo" / "pseudonymisation.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    os.environ[KEY_CONNECTION] = json.dumps({"conn_type": "generic", "password": path.read_text().strip()})
    print(f"pseudonymisation key: {path} (generated for the local demo; production uses the Airflow connection)")


def data_dictionary(out: str | None, check: bool, postgres: str | None) -> None:
    """Write (or, with ``check``, compare) the data dictionary generated from a fresh migration on both engines."""
    from safer_communities.warehouse import dictionary

    path = Path(out) if out else dictionary.DICTIONARY_PATH
    page = dictionary.generate(postgres or dictionary.DEFAULT_POSTGRES)
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != page:
            sys.exit(f"{path} is out of date: run `safer-communities dictionary` and commit it")
        print(f"{path} is up to date")
        return
    path.write_text(page, encoding="utf-8")
    print(f"data dictionary: {path}")


def _run_after(as_of: date, number: int) -> datetime:
    """A run's date: the as-of day (what the tasks judge deadlines by), at the wall clock's time of day
    plus ``number`` microseconds, so every run of a DAG has its own run id, in this job and in the next."""
    now = datetime.now(UTC).replace(microsecond=0)
    return datetime.combine(as_of, now.time(), tzinfo=UTC).replace(microsecond=number)


class _Descriptor(io.TextIOBase):
    """A text stream that writes to a file descriptor as it stands at each write: a logger that keeps the stream it
    was given inside :func:`_output_to` writes to the log there, and to the terminal after it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:  # a library that hands the stream to a child process hands on the descriptor
        return self.fd

    def write(self, text: str) -> int:
        os.write(self.fd, text.encode("utf-8", "replace"))
        return len(text)


@contextlib.contextmanager
def _output_to(path: Path):
    """Everything written while the block runs (Airflow's task logs, warnings, a child process's output: at the
    file descriptors and at ``sys.stdout``/``sys.stderr``) goes to the end of ``path``, not the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        stream.flush()
    saved = os.dup(1), os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    try:
        with contextlib.redirect_stdout(_Descriptor(1)), contextlib.redirect_stderr(_Descriptor(2)):
            yield
    finally:
        for stream in (sys.__stdout__, sys.__stderr__):
            stream.flush()
        for fd, original in zip((1, 2), saved, strict=True):
            os.dup2(original, fd)
            os.close(original)
        os.close(log)


def _task_states(dag_id: str, run_id: str) -> str:
    """The run's task instances counted by state: ``6 tasks, 6 success``."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        states = Counter(str(state) for state in session.scalars(
            select(TaskInstance.state).where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)))
    return f"{sum(states.values())} tasks, " + ", ".join(f"{n} {state}" for state, n in sorted(states.items()))


def _test_run(dag, run_after: datetime, conf: dict, period: str, logs: Path) -> None:
    """One in-process run (``dag.test``): its task logs into a file under ``logs``, one line here; the job
    stops, naming the log, if it fails."""
    log = logs / f"{dag.dag_id}.{period.replace('/', '-').replace(' ', '_')}.log"
    started = time.monotonic()
    with _output_to(log):
        dag_run = dag.test(run_after=run_after, run_conf=conf)
    print(f"{dag.dag_id:<22} {period:<19} {dag_run.state:<8} {_task_states(dag.dag_id, dag_run.run_id):<28} "
          f"{time.monotonic() - started:5.1f} s", flush=True)
    if dag_run.state != "success":
        sys.exit(f"{dag.dag_id} failed for {period}; its task logs: {log}")


def run(as_of: date) -> None:
    """The main job: ingest the demo extracts through every ingestion DAG, as at the report date."""
    from airflow.dag_processing.dagbag import DagBag

    from safer_communities.demo import DEFAULT_SEED

    job_began = time.monotonic()
    drop = home() / "demo" / "drop"
    demo(str(drop), DEFAULT_SEED)
    os.environ["SAFER_COMMUNITIES_DROP"] = str(drop)
    _demo_key()
    migrate()
    logs = home() / "logs" / f"run-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    with _output_to(logs / "dagbag.log"):
        bag = DagBag(dag_folder=str(PROJECT_DIR / "dags"))
    print(f"task logs: {logs}/<dag_id>.<period>.log\n")
    began = time.monotonic()
    for dag_id in INGESTION_DAGS:
        for number, period in enumerate(DEMO_PERIODS):
            _test_run(bag.dags[dag_id], _run_after(as_of, number), {"period": period}, period, logs)
    print(f"\nall ingestion DAGs ran in {time.monotonic() - began:.0f} s, as at {as_of.isoformat()}\n")
    for number, period in enumerate(DEMO_PERIODS):
        _test_run(bag.dags[DASHBOARD_DAG], _run_after(as_of, number), {"quarter": period}, period, logs)
    # the daily check as at the report date: every recent quarter against its reporting date
    _test_run(bag.dags[DEADLINES_DAG], _run_after(as_of, 0), {}, "as at " + as_of.isoformat(), logs)
    counted = Counter(row["status"] for row in _glance([DEMO_QUARTER]))
    print(f"\nAvailability for {DEMO_QUARTER}: {sum(counted.values())} source periods, "
          + ", ".join(f"{n} {state}" for state, n in sorted(counted.items()))
          + f" (each with its reason: safer-communities status \"{DEMO_QUARTER}\")")
    picture()
    show(DEMO_QUARTER)
    with _warehouse() as warehouse:
        checked = warehouse.query("SELECT quarter_label, reporting_date, state, missing FROM "
                                  "audit.dashboard_readiness ORDER BY quarter_label")
    # one line when every quarter is complete; the quarters that are not, in a table
    counted = Counter(row["state"] for row in checked)
    print(f"\nDashboard readiness as at {as_of.isoformat()} (audit.dashboard_readiness, {DEADLINES_DAG}): "
          + ", ".join(f"{n} {state}" for state, n in sorted(counted.items())) + f" of {len(checked)} quarters"
          + (f" ({checked[0]['quarter_label']} to {checked[-1]['quarter_label']})" if checked else ""))
    if not_complete := [row for row in checked if row["state"] != "complete"]:
        print(_table(not_complete, ["quarter_label", "reporting_date", "state", "missing"]))
    from safer_communities.dashboard import export_folder
    from safer_communities.periods import Quarter

    with _warehouse() as warehouse:
        print(f"\nwarehouse: {warehouse.shown_url} (mart.dashboard_published, docs/warehouse.md)"
              f"\nexports: {export_folder(Quarter.parse(DEMO_QUARTER)).parent}/<quarter>/latest/ (CSV, Parquet, "
              f"data dictionary)\nboard reports: {home() / 'reports'}/<quarter>/latest/report.html and .pdf"
              f"\ntask logs: {logs}\nwhole run: {time.monotonic() - job_began:.0f} s")


def picture() -> None:
    """The seed report's picture, straight from the warehouse's core views."""
    with _warehouse() as warehouse:
        marac = warehouse.query(
            "SELECT quarter_label, SUM(referrals) AS referrals, SUM(repeat_referrals) AS repeats "
            "FROM core.marac_quarterly WHERE quarter_label >= '2014/15 Q1' GROUP BY quarter_label "
            "ORDER BY quarter_label")
        iom = warehouse.query(
            "SELECT cohort_fy, cohort_size, reduction_pct FROM core.iom_cohort_reduction "
            "WHERE area_code = 'E10000018' ORDER BY cohort_fy")
        abuse = warehouse.query(
            "SELECT p.quarter_label, SUM(d.referrals) AS referrals FROM core.da_referrals_monthly AS d "
            "JOIN core.dim_period AS p ON p.month_start = d.month_start WHERE p.quarter_label >= '2014/15 Q1' "
            "GROUP BY p.quarter_label ORDER BY p.quarter_label")
    da = {row["quarter_label"]: row["referrals"] for row in abuse}
    print("\nThe seed report's picture, county (core.marac_quarterly, core.da_referrals_monthly):")
    print(_table([{"quarter": r["quarter_label"], "MARAC referrals": r["referrals"], "repeats": r["repeats"],
                   "repeat %": f"{100 * r['repeats'] / r['referrals']:.1f}",
                   "domestic abuse support referrals": da.get(r["quarter_label"], "-")} for r in marac],
                 ["quarter", "MARAC referrals", "repeats", "repeat %", "domestic abuse support referrals"]))
    print("IOM cohort offending reduction (core.iom_cohort_reduction): "
          + ", ".join(f"{r['cohort_fy']} {r['reduction_pct']:.1f}% ({r['cohort_size']} offenders)" for r in iom))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="safer-communities", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create the warehouse schema and reference dimensions")
    demo_parser = commands.add_parser("demo", help="write the demo extracts into a drop folder")
    demo_parser.add_argument("--drop", help="target folder (default: $SAFER_COMMUNITIES_HOME/demo/drop)")
    demo_parser.add_argument("--seed", type=int)
    run_parser = commands.add_parser("run", help="the main job on the demo extracts")
    run_parser.add_argument("--as-of", type=date.fromisoformat, default=date(2015, 9, 17),
                            help="the date the run is as at (default: the seed board report, 2015-09-17)")
    status_parser = commands.add_parser("status", help="availability of every source and period")
    status_parser.add_argument("periods", nargs="*", default=[])
    dashboard_parser = commands.add_parser("dashboard", help="compute the dashboard of quarters, outside Airflow")
    dashboard_parser.add_argument("periods", nargs="+",
                                  help="a quarter (2015/16 Q1), a month, a financial year, or FIRST..LAST")
    show_parser = commands.add_parser("show", help="print a quarter's dashboard and summary")
    show_parser.add_argument("quarter", help="a financial-year quarter like '2015/16 Q1'")
    report_parser = commands.add_parser("report", help="write a quarter's board report (HTML) and print its path")
    report_parser.add_argument("quarter", help="a financial-year quarter like '2015/16 Q1'")
    report_parser.add_argument("--out", help="folder for report.html, unversioned (default: a new version in "
                                             "$SAFER_COMMUNITIES_HOME/reports/<quarter>/)")
    report_parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                               help="the report date printed on it (default: today)")
    report_parser.add_argument("--pdf", action="store_true", help="also print it to report.pdf (headless Chromium)")
    quality_parser = commands.add_parser("quality", help="write a source period's data-quality page and print its path")
    quality_parser.add_argument("source", help="a registered source, e.g. police_street_crime")
    quality_parser.add_argument("period", help="one of the source's periods: a month '2020-01', a quarter "
                                               "'2019/20 Q4' or a financial year '2015/16'")
    quality_parser.add_argument("--out", help="folder for <period>.html (default: $SAFER_COMMUNITIES_HOME/quality/"
                                              "<source>/)")
    explain_parser = commands.add_parser("explain", help="print the chain behind one dashboard cell: figure, "
                                                         "computation, source periods, files, validation, loads")
    explain_parser.add_argument("quarter", help="a financial-year quarter like '2015/16 Q1'")
    explain_parser.add_argument("indicator", help="an indicator id of include/config/indicators.yaml, e.g. "
                                                  "marac_repeat_rate")
    explain_parser.add_argument("area", help="an area code (E07000129) or name (Leicestershire, charnwood)")
    readiness_parser = commands.add_parser("readiness", help="is each quarter's dashboard complete by its "
                                                              "reporting date? print and record it")
    readiness_parser.add_argument("periods", nargs="+",
                                  help="a quarter (2015/16 Q1), a month, a financial year, or FIRST..LAST")
    readiness_parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                                  help="the date to judge by (default: today)")
    retention_parser = commands.add_parser("retention", help="delete the raw files holding people that are due "
                                                              "under their source's retention rule")
    retention_parser.add_argument("--as-of", type=date.fromisoformat, default=None,
                                  help="the date to judge by (default: today)")
    dictionary_parser = commands.add_parser("dictionary", help="write docs/data-dictionary.md from the comments of "
                                                                "sql/ddl/, as DuckDB and PostgreSQL hold them")
    dictionary_parser.add_argument("--out", help="the file to write (default: docs/data-dictionary.md)")
    dictionary_parser.add_argument("--check", action="store_true",
                                   help="write nothing; fail if the file is not what would be written")
    dictionary_parser.add_argument("--postgres", default=None,
                                   help="the PostgreSQL server to migrate a scratch database on, as a SQLAlchemy URL "
                                        "without a database (default: postgresql+psycopg://postgres@127.0.0.1:5432)")
    args = parser.parse_args(argv)
    try:
        _dispatch(args)
    except Exception as error:  # one line, never a traceback (that goes to a log file, named)
        from safer_communities.errors import one_line

        sys.exit(one_line(args.command, error))


def _dispatch(args: argparse.Namespace) -> None:
    if args.command == "migrate":
        migrate()
    elif args.command == "demo":
        demo(args.drop, args.seed)
    elif args.command == "run":
        run(args.as_of)
    elif args.command == "dashboard":
        compute_dashboard(args.periods)
    elif args.command == "show":
        show(args.quarter)
    elif args.command == "report":
        report(args.quarter, args.out, args.as_of, args.pdf)
    elif args.command == "quality":
        quality(args.source, args.period, args.out)
    elif args.command == "explain":
        explain(args.quarter, args.indicator, args.area)
    elif args.command == "readiness":
        readiness(args.periods, args.as_of or date.today())
    elif args.command == "retention":
        retention(args.as_of or date.today())
    elif args.command == "dictionary":
        data_dictionary(args.out, args.check, args.postgres)
    else:
        status(args.periods)


if __name__ == "__main__":
    main()
