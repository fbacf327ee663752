"""The one shape every ingestion DAG has: plan -> check availability -> pull -> validate -> load -> record status.

A DAG file declares which registered sources its family ingests and calls
:func:`ingestion_dag`. Only ``airflow.sdk`` (and the alerts and lineage modules, as light) is imported here; each
task imports the heavy parts (pandas, Great Expectations, database drivers) when it runs. Pull, validate and load
tell a lineage server what they read and wrote when one is configured (``safer_communities.orchestration.lineage``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from airflow.sdk import Asset, Param, dag, task

from safer_communities.alerts import FailureAlert
from safer_communities.orchestration.lineage import lineage_task
from safer_communities.settings import WRITER_POOL

if TYPE_CHECKING:
    from airflow.sdk import DAG

OWNER = "community-safety-data"
TAGS = ("safer-communities", "ingestion")
# A month, a financial-year quarter or a financial year (the trigger forms refuse anything else; the periods
# module then checks what a pattern cannot, e.g. that 2015/17 is no financial year).
PERIOD = r"(\d{4}-(0[1-9]|1[0-2])|\d{4}/\d{2}( Q[1-4])?)"
PERIOD_PATTERN = rf"^$|^{PERIOD}$"  # empty on scheduled runs
# Sized from `make bench`: a national-scale month (600,000 rows) takes about 5-10 s from pull to load on a 2-core
# machine, and a download may take up to its registry deadline (30 minutes by default). A task past 45 minutes is
# stuck, not slow: it fails (and is retried) rather than hold the only writer slot for ever.
TASK_TIMEOUT = timedelta(minutes=45)
PERIOD_HELP = (
    "A month like 2020-03, a financial-year quarter like 2015/16 Q1 or a financial year like 2015/16; "
    "each source ingests its own periods within it. Empty (scheduled runs): each source's latest month, "
    "quarter or year that ended before the run date."
)


def task_defaults() -> dict:
    """Every DAG's task defaults: the owner, two retries five minutes apart (for what a retry may cure: errors that
    no retry can fix fail at once, see ``errors.fail_fast``), the timeout, and the failure alert."""
    return {"owner": OWNER, "retries": 2, "retry_delay": timedelta(minutes=5), "execution_timeout": TASK_TIMEOUT,
            "on_failure_callback": FailureAlert()}


def source_asset(source: str) -> Asset:
    """The asset a source's ingestion updates: an event per dashboard quarter whose figures read a period that
    changed (the partition key, e.g. ``2015/16 Q1``); each event's extra names the source periods and statuses."""
    return Asset(name=source, uri=f"safer-communities://sources/{source}", group="source")


def ingestion_dag(
    dag_id: str, sources: list[str], doc_md: str | None, schedule: str | None = "0 6 1 * *"
) -> DAG:
    """Build the ingestion DAG for a source family: one or more registered sources, one asset each."""
    assets = {source: source_asset(source) for source in sources}

    @dag(
        dag_id=dag_id,
        doc_md=doc_md,
        schedule=schedule,
        start_date=None,
        catchup=False,
        max_active_runs=1,
        tags=list(TAGS),
        params={"period": Param("", type="string", pattern=PERIOD_PATTERN, title="Period",
                                description=PERIOD_HELP)},
        default_args=task_defaults(),
        render_template_as_native_obj=False,
    )
    def ingestion():
        @task
        def plan(params: dict | None = None, dag_run=None) -> list[dict]:
            from safer_communities.errors import fail_fast
            from safer_communities.sources import ingest

            period = ((params or {}).get("period") or "").strip() or None
            run_date = dag_run.run_after.date()
            with fail_fast():
                return [state for source in sources for state in ingest.plan(source, period, run_date)]

        @task
        def check_availability(states: list[dict], dag_run=None) -> list[dict]:
            from safer_communities.errors import fail_fast
            from safer_communities.sources import ingest

            with fail_fast():
                return ingest.check_availability(states, as_of=dag_run.run_after.date())

        @lineage_task("pull")  # outside the writer pool: a slow source holds no one else up (it touches no warehouse)
        def pull(states: list[dict], dag_run=None, ti=None) -> list[dict]:
            from safer_communities.errors import fail_fast
            from safer_communities.sources import ingest

            # A failed download is retried by Airflow; on the last try it becomes the period's status instead.
            with fail_fast():
                return ingest.pull(states, as_of=dag_run.run_after.date(), last_try=ti.try_number > ti.max_tries)

        @lineage_task("validate")  # outside the writer pool too: validation works in a scratch database of its own
        def validate(states: list[dict], dag_run=None) -> list[dict]:
            from safer_communities.errors import fail_fast
            from safer_communities.sources import ingest

            with fail_fast():
                return ingest.validate(states, run_id=dag_run.run_id)

        @lineage_task("load", pool=WRITER_POOL)
        def load(states: list[dict], dag_run=None) -> list[dict]:
            from safer_communities.errors import fail_fast
            from safer_communities.sources import ingest
            from safer_communities.warehouse import Warehouse

            with fail_fast(), Warehouse.migrated() as warehouse:
                return ingest.load(states, run_id=dag_run.run_id, warehouse=warehouse)

        @task(pool=WRITER_POOL, outlets=list(assets.values()))
        def record_status(states: list[dict], dag_run=None, outlet_events=None) -> list[dict]:
            from airflow.sdk import get_current_context

            from safer_communities import alerts
            from safer_communities.dashboard import dependent_quarters
            from safer_communities.dashboard.indicators import load_catalogue
            from safer_communities.errors import fail_fast
            from safer_communities.publish import quality_docs
            from safer_communities.sources import ingest
            from safer_communities.warehouse import Warehouse

            with fail_fast(), Warehouse.migrated() as warehouse:
                summary = ingest.record_status(states, run_id=dag_run.run_id, warehouse=warehouse)
                decided = [{**state, **row, "kept": not row["changed"]} for state, row in zip(states, summary,
                                                                                             strict=True)]
                # A download that failed on every try is the failure alert's (check_downloads, below), not a finding.
                findings = alerts.quality_findings([d for d in decided if not (d["transfer_error"] and not d["kept"])],
                                                   run_id=dag_run.run_id, warehouse=warehouse)
                # the data-quality page of each period, linked from the asset event and the task log
                pages = {(row["source"], row["period"]): quality_docs.write(warehouse, row["source"], row["period"])
                         for row in summary}
            for (source, period), page in pages.items():
                print(f"data-quality page of {source} {period}: {page}")

            with fail_fast():
                catalogue = load_catalogue()
            for source, asset in assets.items():
                rows = [row for row in summary if row["source"] == source]
                # One event per ended quarter whose figures read a period whose data or status changed: the
                # dashboard DAG recomputes exactly those. A period kept as it was (an identical file, a vanished
                # one) changes nothing.
                quarters = {q for row in rows if row["changed"]
                            for q in dependent_quarters(source, row["period"], catalogue, dag_run.run_after.date())}
                outlet_events[asset].add_partitions(sorted(str(q) for q in quarters))
                outlet_events[asset].extra = {
                    "source": source,
                    "periods": [row["period"] for row in rows],
                    "statuses": {row["period"]: row["status"] for row in rows},
                    "unchanged": [row["period"] for row in rows if not row["changed"]],
                    "quality_pages": {row["period"]: str(pages[(source, row["period"])]) for row in rows},
                }
            # Last, so a slow mail server delays nothing else; it never fails the task.
            alerts.send_quality_alert(findings, get_current_context())
            with fail_fast():
                ingest.check_downloads(states)  # a download that failed on every try fails the run, status recorded
            return summary

        record_status(load(validate(pull(check_availability(plan())))))

    return ingestion()
