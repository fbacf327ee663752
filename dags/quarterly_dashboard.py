"""
### Quarterly dashboard (Airflow DAG)

Computes `mart.dashboard_quarterly` and `mart.dashboard_summary` for a
financial-year quarter: every indicator of `include/config/indicators.yaml`
for the county and its seven districts, with year to date, target and on-track
status, six-month trend, district comparison, the availability inherited from
the sources and small-number suppression; then publishes the quarter's export
(`exports/dashboard/<quarter>/latest/dashboard.csv` and `.parquet`, published rows)
and emits the `dashboard_quarterly` asset for that quarter. Last, `report`
writes the quarter's board report (`reports/<quarter>/latest/report.html`, and
`report.pdf` where Chromium is installed), dated the run's date. Exports and
reports are versions (`v1`, `v2`, ...; `latest` is the newest), each with its
change log: a run whose published figures are the same makes no new version.
One run at a time (`max_active_runs=1`).

Triggered by data: every ingestion DAG emits its source's asset once per
ended quarter whose figures read a period it changed (the partition key, e.g.
`2015/16 Q1`): the period's own quarter, the later ones of its year (year to
date), those whose trend, look-back or disclosure control covers it, and the
next year's (last year's value, the target's base). This DAG runs for each of
them; an identical file triggers nothing. Recomputing replaces a quarter exactly.

By hand: trigger with `quarter` set to a quarter (`2015/16 Q1`), a financial
year (its four quarters) or a range (`2013/14 Q1..2015/16 Q1`), which is how to
backfill; or with a partition key through the REST API or the UI.
Owner: community safety data team.
"""

from safer_communities.orchestration.dashboard_dag import dashboard_dag

dashboard_dag(
    dag_id="quarterly_dashboard",
    sources=["police_street_crime", "iom_cohort", "youth_first_time_entrants", "youth_reoffending",
             "marac_referrals", "domestic_abuse_referrals", "community_survey"],
    doc_md=__doc__,
)
