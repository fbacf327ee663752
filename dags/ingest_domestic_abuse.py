"""
### Ingest domestic abuse support service referrals (Airflow DAG)

Pulls the month's referral extract (`.xlsx` or CSV) from the commissioned
domestic abuse support services' drop folder, validates it with the
`domestic_abuse_referrals` contract (Great Expectations), loads
`staging.domestic_abuse_referrals` and `core.fact_da_referral`, and records one
availability status per month in `audit.source_status`. Monthly referrals per
district are in `core.da_referrals_monthly`. The extract holds no person
references.

A file not yet delivered is `awaited` (not yet due) until 30 days after the
month, then `late`; a file with a wrong header or no rows is `rejected`, and rows
with a date outside the month, no service or an unknown district are
quarantined. The `domestic_abuse_referrals` asset event is emitted either way.

Scheduled on the 1st of each month: a run looks for the latest month that
ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` (a month like `2015-04`, a quarter or a financial year).
Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_domestic_abuse", sources=["domestic_abuse_referrals"], doc_md=__doc__)
