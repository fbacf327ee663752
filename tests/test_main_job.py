"""The main job end to end: demo extracts -> every ingestion DAG (dag.test) -> the seed report's picture.

The seed board report (2015/16 Q1, 17 September 2015): crime data not available (NICHE); IOM
offending down 56% for the 2014/15 cohort against 39% for the previous one; MARAC referrals still
rising with 28.5% repeats; referrals to domestic abuse services up; youth re-offending and survey
measures not yet available.
"""

from __future__ import annotations

import json

from safer_communities import cli
from safer_communities.warehouse import Warehouse


def test_the_main_job_reproduces_the_seed_quarter(airflow_db, home, monkeypatch, capsys):
    monkeypatch.setenv("SAFER_COMMUNITIES_DROP", str(home / "unused"))  # restored after the job moves it
    monkeypatch.setenv(cli.KEY_CONNECTION, json.dumps({"conn_type": "generic", "password": "test-only"}))
    cli.main(["run", "--as-of", "2015-09-17"])
    printed = capsys.readouterr().out

    with Warehouse.from_connection() as warehouse:
        assert warehouse.url.endswith(f"{home}/var/warehouse.duckdb")
        status = {(r["source"], r["period"]): (r["status"], r["reason"])
                  for r in warehouse.query("SELECT source, period, status, reason FROM audit.source_status")}
        marac = warehouse.query("SELECT SUM(referrals) AS n, SUM(repeat_referrals) AS r FROM core.marac_quarterly "
                                "GROUP BY quarter_label ORDER BY quarter_label")
        iom = {r["cohort_fy"]: float(r["reduction_pct"]) for r in warehouse.query(
            "SELECT cohort_fy, reduction_pct FROM core.iom_cohort_reduction WHERE area_code = 'E10000018'")}
        abuse = {r["quarter_label"]: int(r["n"]) for r in warehouse.query(
            "SELECT p.quarter_label, SUM(d.referrals) AS n FROM core.da_referrals_monthly AS d "
            "JOIN core.dim_period AS p ON p.month_start = d.month_start GROUP BY p.quarter_label")}
        police_months = warehouse.query("SELECT COUNT(DISTINCT month_start) AS n FROM core.fact_police_crime")

    # crime: the three NICHE months unavailable with the reason, every other month loaded
    for month in ("2015-04", "2015-05", "2015-06"):
        assert status[("police_street_crime", month)][0] == "unavailable"
        assert "NICHE" in status[("police_street_crime", month)][1]
    assert police_months[0]["n"] == 24  # FY 2013/14 and 2014/15
    assert {s for (source, _), (s, _) in status.items() if source == "police_street_crime"} == {
        "available", "unavailable"}
    # re-offending: IOM 56% for 2014/15 against 39% for 2013/14
    assert round(iom["2014/15"]) == 56 and round(iom["2013/14"]) == 39
    # MARAC: rising through 2014/15, 28.5% repeats in 2015/16 Q1 (35 of 123)
    counts = [int(r["n"]) for r in marac]
    assert counts == sorted(counts) and len(counts) == 9
    assert (int(marac[-1]["n"]), int(marac[-1]["r"])) == (123, 35)
    assert f"{100 * 35 / 123:.1f}" == "28.5"
    assert status[("marac_referrals", "2015/16 Q1")][0] == "available"
    # domestic abuse referrals up in Q1
    assert abuse["2015/16 Q1"] > abuse["2014/15 Q4"] and abuse["2015/16 Q1"] > abuse["2014/15 Q1"]
    # not yet available: youth re-offending and the survey for Q1 (late, not unavailable)
    assert status[("youth_reoffending", "2015/16 Q1")][0] == "late"
    assert status[("community_survey", "2015/16 Q1")][0] == "late"
    assert status[("youth_first_time_entrants", "2015/16 Q1")][0] == "available"
    # nothing rejected, nothing incomplete in the demo
    assert {s for s, _ in status.values()} == {"available", "late", "unavailable"}
    # and the job says so
    assert "2015/16 Q1     123        35       28.5" in printed
    assert "all ingestion DAGs ran" in printed
