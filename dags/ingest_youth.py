"""
### Ingest youth offending service returns (Airflow DAG)

Pulls the Leicestershire Youth Offending Service's two quarterly returns
(`.xlsx` or CSV, from the service's drop folder), validates each with its
contract (Great Expectations), loads staging and core, and records one
availability status per source and quarter in `audit.source_status`:

- `youth_first_time_entrants`: first-time entrants to the youth justice system
  per district (`core.fact_youth_first_time_entrants`); due 45 days after the
  quarter.
- `youth_reoffending`: proven re-offending of the quarter's cohort per district
  (`core.fact_youth_reoffending`, rate with the county total in
  `core.youth_reoffending_rate`). A cohort is followed for 12 months plus 6 for
  proven outcomes, so its file is due 593 days after the quarter (declared in
  the registry): until then a missing file is `awaited`, after it `late`.

Aggregate counts only, no person references. A row with more re-offenders than
its cohort, an unknown or repeated district is quarantined; a file for the
wrong quarter is rejected. One asset per source is emitted either way.

Scheduled on the 1st of each month: a run looks for the latest quarter that
ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` (a quarter like `2015/16 Q1`, or a
financial year like `2015/16`). The re-offending cohort of a quarter is awaited
for 18 months. Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_youth", sources=["youth_first_time_entrants", "youth_reoffending"], doc_md=__doc__)
