"""Command line: ``safer-communities <command>`` (or ``python -m safer_communities``).

    migrate              create the warehouse schema and reference dimensions
    run [PERIOD ...]     the main job: run the ingestion DAGs (dag.test, in-process) and print the result
    status [PERIOD ...]  availability status of every source and month
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time

from safer_communities.periods import parse_period
from safer_communities.settings import PROJECT_DIR, drop_dir, home

SAMPLE_POLICE = PROJECT_DIR / "tests" / "fixtures" / "police_uk"
DEFAULT_PERIODS = ("2015/16 Q1", "2019/20 Q4", "2020/21 Q1")


def _warehouse():
    from safer_communities.warehouse import Warehouse

    return Warehouse.from_connection()


def migrate() -> None:
    with _warehouse() as warehouse:
        warehouse.migrate()
        print(f"warehouse ready: {warehouse.url}")


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) if rows else len(c) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def status(periods: list[str]) -> None:
    months = sorted({str(m) for p in periods for m in parse_period(p)})
    with _warehouse() as warehouse:
        rows = warehouse.query(
            "SELECT source, period, status, reason FROM audit.source_status ORDER BY source, period"
        )
    rows = [r for r in rows if not months or r["period"] in months]
    print(_table(rows, ["source", "period", "status", "reason"]))


def district_counts(periods: list[str]) -> None:
    months = [m.start for p in periods for m in parse_period(p)]
    with _warehouse() as warehouse:
        rows = warehouse.query(
            "SELECT district_name, month_start, SUM(incidents) AS crimes FROM core.police_crime_district "
            "WHERE NOT is_asb GROUP BY district_name, month_start ORDER BY district_name, month_start"
        )
    rows = [r for r in rows if r["month_start"] in months]
    loaded = sorted({r["month_start"] for r in rows})
    table = [
        {"district": name, **{str(m)[:7]: next((r["crimes"] for r in rows if r["district_name"] == name
                                                 and r["month_start"] == m), "") for m in loaded}}
        for name in sorted({r["district_name"] for r in rows})
    ]
    print(_table(table, ["district", *(str(m)[:7] for m in loaded)]))


def run(periods: list[str]) -> None:
    """Ingest police data for the periods through the real DAG (dag.test) on the configured warehouse."""
    from airflow.models.dagbag import DagBag

    target = drop_dir() / "police"
    target.mkdir(parents=True, exist_ok=True)
    for sample in sorted(SAMPLE_POLICE.glob("*-street.csv")):
        if not (target / sample.name).exists():
            shutil.copyfile(sample, target / sample.name)
    print(f"drop folder: {target} ({len(list(target.glob('*.csv')))} police files)")
    migrate()
    dag = DagBag(dag_folder=str(PROJECT_DIR / "dags")).get_dag("ingest_police")
    for period in periods:
        started = time.monotonic()
        print(f"\n== ingest_police {period}: running ...", flush=True)
        dag_run = dag.test(run_conf={"period": period})
        print(f"== ingest_police {period}: {dag_run.state} in {time.monotonic() - started:.1f} s", flush=True)
        if dag_run.state != "success":
            sys.exit(f"ingest_police failed for {period}; see the task logs above")
    print("\nAvailability (audit.source_status):")
    status(periods)
    print("\nRecorded crime (excluding ASB) by district and month (core.police_crime_district):")
    district_counts(periods)
    with _warehouse() as warehouse:
        print(f"\nwarehouse: {warehouse.url}\nlanded files: {home() / 'landing'}"
              f"\nquarantine: {home() / 'quarantine'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="safer-communities", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create the warehouse schema and reference dimensions")
    run_parser = commands.add_parser("run", help="run the ingestion DAGs for periods and print the result")
    run_parser.add_argument("periods", nargs="*", default=list(DEFAULT_PERIODS))
    status_parser = commands.add_parser("status", help="availability of every source and month")
    status_parser.add_argument("periods", nargs="*", default=[])
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
    elif args.command == "run":
        run(args.periods)
    else:
        status(args.periods)


if __name__ == "__main__":
    main()
