"""
### Ingest MARAC referrals (Airflow DAG)

Pulls the quarter's MARAC referral extract (`.xlsx` or CSV, from the MARAC
coordinator's drop folder), pseudonymises victim references on arrival
(HMAC-SHA256, key from the `safer_communities_pseudonymisation` connection),
validates it with the `marac_referrals` contract (Great Expectations), loads
`staging.marac_referrals` and `core.fact_marac_referral`, and records one
availability status per quarter in `audit.source_status`. Repeat referrals are
derived in the warehouse across quarters (`core.marac_referral_repeat`).

A file not yet delivered is `awaited` (not yet due) until 30 days after the
quarter, then `late`; a quarter with no referrals in one of its months is
`incomplete`. The `marac_referrals` asset event is emitted either way.

Scheduled on the 1st of each month: a run looks for the latest quarter that
ended and for any earlier one still awaited (until a month past its
deadline); run by hand with a `period` (a quarter like `2015/16 Q1`, or a
financial year like `2015/16`). Owner: community safety data team.
"""

from safer_communities.orchestration.ingestion_dag import ingestion_dag

ingestion_dag(dag_id="ingest_marac", sources=["marac_referrals"], doc_md=__doc__)
