"""
### Ingest the probation IOM cohort (Airflow DAG)

Pulls the Integrated Offender Management cohort extract for a financial year
(`.xlsx` or CSV, from the IOM team's drop folder `probation/`), pseudonymises
offender references on arrival (HMAC-SHA256, key from the
`safer_communities_pseudonymisation` connection), validates it with the
`iom_cohort` contract (Great Expectations), loads `staging.iom_cohort` and
`core.fact_iom_offender`, and records one availability status per cohort year in
`audit.source_status`. The reduction in proven offending (baseline 12 months
before adoption against the 12 months after) is derived in the warehouse per
county and district, with the previous cohort beside it
(`core.iom_cohort_reduction`).

A cohort file is due by 30 June after its year (91 days after 31 March, in time
for the Q1 report): `awaited` until then, `late` after. A file for another
cohort year is `rejected`. The `iom_cohort` asset event is emitted either way.

Scheduled on the 1st of each month: a run looks for the latest financial
year that ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` (a financial year like `2014/15`).
Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_probation", sources=["iom_cohort"], doc_md=__doc__)
