"""
### Ingest police recorded crime and anti-social behaviour (Airflow DAG)

Pulls the force's data.police.uk street-level CSV for each month of the
requested period (a month like `2020-03`, or a financial-year quarter like
`2015/16 Q1`), validates it with the `police_street` contract (Great
Expectations), loads the `staging.police_street` and `core.fact_police_crime*`
slices, and records one availability status per month in `audit.source_status`.

A declared outage (April-June 2015, NICHE) or a file not yet delivered is a
successful run with status `unavailable` or `awaited`/`late`: the `police_street_crime`
asset event is still emitted so the dashboard can say "data not available".

Scheduled on the 1st of each month: a run looks for the latest month that
ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` for any month, quarter or year.
Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_police", sources=["police_street_crime"], doc_md=__doc__)
