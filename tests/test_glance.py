"""Status at a glance: ``audit.source_glance`` and ``safer-communities status`` for a quarter, on both engines."""

from __future__ import annotations

import json
from datetime import date

from safer_communities import cli
from safer_communities.sources import ingest
from tests.conftest import drop_police
from tests.police_samples import january_rows, to_bytes

AS_OF = date(2020, 4, 20)  # February and March 2020 are still awaited (not yet due) at this date


def _garbage() -> bytes:
    rows = january_rows(20)
    rows[10] = ["<html>", "oops"]  # line 11: wrong field count
    rows[11][9] = "Vehicle crim"  # line 12: unknown crime type
    return to_bytes(rows)


def test_the_glance_lists_status_last_load_failures_and_quarantine(home, warehouse, monkeypatch, capsys):
    drop_police(home, "2020-01", _garbage())
    for month in ("2020-01", "2020-02"):
        ingest.ingest("police_street_crime", month, as_of=AS_OF, run_id="run-1", warehouse=warehouse)
    glance = {r["period"]: r for r in warehouse.query("SELECT * FROM audit.source_glance")}
    january = glance["2020-01"]
    assert (january["status"], january["last_rows_loaded"], january["last_load_run_id"]) == ("available", 18, "run-1")
    assert (january["critical_failures"], january["warnings"], january["quarantined_rows"]) == (2, 0, 2)
    assert january["failed_rules"] == "crime_type_known, parse_field_count"
    february = glance["2020-02"]
    assert february["status"] == "awaited" and february["last_loaded_at"] is None
    assert (february["critical_failures"], february["quarantined_rows"]) == (0, 0)

    # the clean file delivered again: the glance is about the new file, the old one's quarantine stays on record
    drop_police(home, "2020-01")
    ingest.ingest("police_street_crime", "2020-01", as_of=AS_OF, run_id="run-2", warehouse=warehouse)
    january = warehouse.query("SELECT * FROM audit.source_glance WHERE period = '2020-01'")[0]
    assert (january["last_rows_loaded"], january["last_load_run_id"]) == (8852, "run-2")
    assert (january["critical_failures"], january["quarantined_rows"], january["failed_rules"]) == (0, 0, None)
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.quarantine")[0]["n"] == 2

    # the command: every registered source's periods in the quarter, those never decided included
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse.url}}))
    cli.main(["status", "2019/20 Q4"])
    lines = {tuple(line.split()[:3]): line for line in capsys.readouterr().out.splitlines()[2:]}
    assert lines[("police_street_crime", "2020-01", "available")].split()[5:9] == ["8852", "0", "0", "0"]
    assert ("police_street_crime", "2020-02", "awaited") in lines
    assert ("police_street_crime", "2020-03", "not") in lines  # "not ingested"
    assert "not ingested" in lines[("marac_referrals", "2019/20", "Q4")]
    assert {key[0] for key in lines} == {"police_street_crime", "iom_cohort", "youth_first_time_entrants",
                                         "youth_reoffending", "marac_referrals", "domestic_abuse_referrals",
                                         "community_survey"}
