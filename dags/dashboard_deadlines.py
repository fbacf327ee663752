"""
### Dashboard deadlines (Airflow DAG)

Every day, checks whether each recent quarter's dashboard is complete by its
reporting date, the board meeting (`include/config/reporting.yaml`: 79 days
after the quarter's end unless the quarter has a date of its own). Complete
means every source period its indicators need is delivered (`available` or
`incomplete`) or excused (a declared outage, or not due until after the
reporting date); anything else is missing. A quarter is `complete`, `in
progress` (something missing, before the reporting date) or `late` (something
missing on or after it).

Writes one row per quarter to `audit.dashboard_readiness`, with what is missing
and why, and sends one alert (email and webhook, as the other alerts) when a
quarter is first found late; later checks of a quarter still late do not
alert again.

Scheduled daily: the quarters that have ended by the run's date whose
reporting date is at most 400 days before it. By hand: set `quarter` to a
quarter (`2015/16 Q1`), a financial year or a range (`2014/15 Q1..2015/16 Q1`).
Owner: community safety data team.
"""

from datetime import UTC, datetime

from airflow.sdk import Param, dag, task

from safer_communities.orchestration.dashboard_dag import QUARTER_PATTERN
from safer_communities.orchestration.ingestion_dag import task_defaults
from safer_communities.settings import WRITER_POOL

QUARTER_HELP = (
    "A quarter like 2015/16 Q1, a financial year like 2015/16 (its four quarters), or a range like "
    "2014/15 Q1..2015/16 Q1. Empty (scheduled runs): every quarter ended by the run's date whose reporting "
    "date is at most 400 days before it."
)


@dag(
    dag_id="dashboard_deadlines",
    doc_md=__doc__,
    schedule="@daily",
    start_date=datetime(2015, 4, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["safer-communities", "reporting"],
    params={"quarter": Param("", type="string", pattern=QUARTER_PATTERN, title="Quarter", description=QUARTER_HELP)},
    default_args=task_defaults(),
)
def dashboard_deadlines():
    @task(pool=WRITER_POOL)
    def check(params: dict | None = None, dag_run=None) -> dict:
        """Assess and record each quarter as at the run's date; alert on the quarters newly late."""
        from airflow.sdk import get_current_context

        from safer_communities.alerts import task_url
        from safer_communities.dashboard import readiness
        from safer_communities.errors import fail_fast
        from safer_communities.warehouse import Warehouse

        as_of = dag_run.run_after.date()
        requested = ((params or {}).get("quarter") or "").strip()
        with fail_fast():
            quarters = (readiness.quarters_requested([requested]) if requested
                        else readiness.quarters_to_check(as_of, readiness.load_reporting()))
        with fail_fast(), Warehouse.migrated() as warehouse:
            checked = readiness.check(warehouse, quarters, as_of=as_of, run_id=dag_run.run_id, dag_id=dag_run.dag_id,
                                      link=task_url(dag_run.dag_id, dag_run.run_id, "check"),
                                      context=get_current_context())
        for item in checked:
            print(item.readiness.state_line())
        return {"as_of": as_of.isoformat(), **readiness.summary(checked)}

    check()


dashboard_deadlines()
