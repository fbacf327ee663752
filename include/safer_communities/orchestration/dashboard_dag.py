"""The dashboard DAG: one run per quarter, keyed by the quarter the ingestion DAGs' asset events name.

Only ``airflow.sdk`` (and the light lineage module) is imported here; the task imports the dashboard (pandas,
DuckDB, the database drivers) when it runs. ``compute`` tells a lineage server which core tables it read and which
mart tables and files it wrote when one is configured (``safer_communities.orchestration.lineage``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import Asset, Param, PartitionedAssetTimetable, dag, task

from safer_communities.orchestration.ingestion_dag import PERIOD, source_asset, task_defaults
from safer_communities.orchestration.lineage import lineage_task
from safer_communities.settings import WRITER_POOL

if TYPE_CHECKING:
    from airflow.sdk import DAG

TAGS = ("safer-communities", "dashboard")
DASHBOARD_ASSET = Asset(name="dashboard_quarterly", uri="safer-communities://mart/dashboard_quarterly", group="mart")
QUARTER_PATTERN = rf"^$|^{PERIOD}(\.\.{PERIOD})?$"  # a period, or a range FIRST..LAST; empty when triggered
QUARTER_HELP = (
    "A quarter like 2015/16 Q1, a financial year like 2015/16 (its four quarters), or a range like "
    "2013/14 Q1..2015/16 Q1 (a backfill). Leave empty on runs triggered by data: the partition key names the quarter."
)


def dashboard_dag(dag_id: str, sources: list[str], doc_md: str | None) -> DAG:
    """Build the dashboard DAG, triggered by an event for a quarter on any of the sources' assets."""
    condition = source_asset(sources[0])
    for source in sources[1:]:
        condition = condition | source_asset(source)

    @dag(
        dag_id=dag_id,
        doc_md=doc_md,
        schedule=PartitionedAssetTimetable(assets=condition),
        start_date=None,
        catchup=False,
        max_active_runs=1,  # one run computes and publishes at a time; the quarter's lock guards the rest
        tags=list(TAGS),
        params={"quarter": Param("", type="string", pattern=QUARTER_PATTERN, title="Quarter",
                                 description=QUARTER_HELP)},
        default_args=task_defaults(),
    )
    def dashboard():
        @task
        def quarters(params: dict | None = None, dag_run=None) -> list[str]:
            """The quarters of this run: the partition key, else the ``quarter`` parameter."""
            from airflow.sdk.exceptions import AirflowFailException

            from safer_communities.errors import fail_fast
            from safer_communities.periods import quarters_in

            wanted = dag_run.partition_key or ((params or {}).get("quarter") or "").strip()
            if not wanted:
                raise AirflowFailException("no quarter to compute: set the 'quarter' parameter (e.g. 2015/16 Q1) "
                                           "or trigger with a partition key")
            with fail_fast():
                return [str(quarter) for quarter in quarters_in(wanted)]

        @lineage_task("dashboard", pool=WRITER_POOL, outlets=[DASHBOARD_ASSET], map_index_template="{{ quarter }}")
        def compute(quarter: str, dag_run=None, outlet_events=None) -> dict:
            """Replace the quarter in the mart (one transaction) and write its export, once the disclosure audit
            has proved that no small number can be worked out from it; a refused publication fails at once."""
            from airflow.sdk.exceptions import AirflowFailException

            from safer_communities import dashboard
            from safer_communities.dashboard.disclosure import DisclosureError
            from safer_communities.errors import fail_fast
            from safer_communities.periods import Quarter
            from safer_communities.warehouse import Warehouse

            with fail_fast(), Warehouse.migrated() as warehouse:
                try:
                    result = dashboard.compute(warehouse, Quarter.parse(quarter), run_id=dag_run.run_id)
                except DisclosureError as error:  # the same data would be refused again: no retry
                    raise AirflowFailException(str(error)) from error
            outlet_events[DASHBOARD_ASSET].add_partitions(quarter)
            outlet_events[DASHBOARD_ASSET].extra = result
            return result

        @task(pool=WRITER_POOL, map_index_template="{{ result['quarter'] }}")
        def report(result: dict, dag_run=None) -> str:
            """The quarter's board report from the published mart: HTML, and PDF where Chromium is installed; a new
            version of it when the published cells changed, else the latest version stays."""
            import logging

            from safer_communities.publish import report as board_report
            from safer_communities.warehouse import Warehouse

            try:
                board_report.chromium()
                pdf = True
            except board_report.BrowserMissing as missing:
                logging.getLogger(__name__).warning("%s: writing the HTML report only", missing)
                pdf = False
            with Warehouse.migrated() as warehouse:
                path = board_report.write(warehouse, result["quarter"], as_of=dag_run.run_after.date(), pdf=pdf)
            return str(path)

        report.expand(result=compute.expand(quarter=quarters()))

    return dashboard()
