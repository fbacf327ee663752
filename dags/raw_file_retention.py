"""
### Raw file retention (Airflow DAG)

Every day, deletes the raw partner files that hold people (MARAC, the IOM
cohort, the Community Based Survey: sources whose contract has `person_ref`
columns) once their source's retention rule says so: the registry's
`retention: {raw_files: delete, days_after_last_use: N}`, N days after the
pipeline last pulled or loaded the file. Its landed copy (`landing/`) and, for
a rejected file, its quarantined copy and note (`quarantine/`) go; the rows
loaded from it stay in the warehouse, and files without people (police, youth,
domestic abuse) are kept. Each file deleted is recorded in
`audit.raw_file_deletion`; a second run deletes and records nothing more.

Judged at the run's date. The log line counts the files deleted per source;
it names no file and quotes no value. Owner: community safety data team.
"""

from datetime import UTC, datetime

from airflow.sdk import dag, task

from safer_communities.orchestration.ingestion_dag import task_defaults
from safer_communities.settings import WRITER_POOL


@dag(
    dag_id="raw_file_retention",
    doc_md=__doc__,
    schedule="@daily",
    start_date=datetime(2015, 4, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    tags=["safer-communities", "retention"],
    default_args=task_defaults(),
)
def raw_file_retention():
    @task(pool=WRITER_POOL)
    def delete_raw_files(dag_run=None) -> dict:
        """Delete the raw files due at the run's date and record each; return the count per source."""
        from collections import Counter

        from safer_communities.errors import fail_fast
        from safer_communities.sources import retention
        from safer_communities.warehouse import Warehouse

        as_of = dag_run.run_after.date()
        with fail_fast(), Warehouse.migrated() as warehouse:
            deleted = retention.delete_raw_files(warehouse, as_of=as_of, run_id=dag_run.run_id)
        print(retention.summary(deleted, as_of))
        return {"as_of": as_of.isoformat(), "deleted": dict(Counter(d.source for d in deleted))}

    delete_raw_files()


raw_file_retention()
