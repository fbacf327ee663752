"""
### Ingest the Community Based Survey (Airflow DAG)

Pulls the quarter's Community Based Survey extract (`.xlsx` or CSV, from the
county council research team's drop folder), pseudonymises respondent
references on arrival (HMAC-SHA256, key from the
`safer_communities_pseudonymisation` connection), validates it with the
`community_survey` contract (Great Expectations), loads
`staging.community_survey` and `core.fact_survey_response`, and records one
availability status per quarter in `audit.source_status`. Weighted measures
(ASB a big problem, agree police and council are dealing with it, feel safe
after dark) with their Kish effective sample size are in
`core.survey_quarterly`.

A file not yet delivered is `awaited` (not yet due) until 91 days after the
quarter, then `late`; a quarter with no interviews in one of its months is
`incomplete`. The `community_survey` asset event is emitted either way.

Scheduled on the 1st of each month: a run looks for the latest quarter that
ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` (a quarter like `2015/16 Q1`, or a
financial year like `2015/16`). Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_survey", sources=["community_survey"], doc_md=__doc__)
