"""Alerts end to end: real dag.test() runs that fail or find bad data, a real SMTP server (aiosmtpd) and a
real HTTP endpoint on loopback receiving what the notifiers send; and runs that must not be failed by alerts."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.alert_channels import BASE_URL, RECIPIENTS, free_port
from tests.conftest import PROJECT
from tests.http_server import Reply
from tests.partner_files import csv_bytes, deliver_file
from tests.test_marac import AS_OF, HEADER, REFERRALS

MARAC = "marac_referrals"
QUARTER = "2015/16 Q1"
# The quarter's referrals plus rows test_marac checks are quarantined (next quarter, duplicate, no such
# date) and one DASH score out of range (a warning); raw victim references must not reach an alert.
BAD_ROWS = REFERRALS[QUARTER] + [
    ("M15-107", "2015-07-01", "VIC-0020", "Blaby", "Police", "14"),
    ("M15-101", "2015-05-11", "VIC-0021", "Blaby", "Police", "14"),
    ("M15-108", "31/02/2015", "VIC-0022", "Blaby", "Police", "14"),
    ("M15-109", "02/05/2015", "VIC-0023", "Blaby", "Police", "40"),
]


pytestmark = pytest.mark.usefixtures("airflow_ui")  # links from BASE_URL; no alert connection unless set


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT / "dags"))


@pytest.fixture
def dag_warehouse(airflow_db, home, tmp_path, monkeypatch) -> str:
    """A migrated DuckDB warehouse that tasks find through the warehouse connection; its URL."""
    from safer_communities.warehouse import Warehouse

    url = f"duckdb:///{tmp_path / 'alerts.duckdb'}"
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": url}}))
    with Warehouse(url) as warehouse:
        warehouse.migrate()
    return url


def run_dag(dag, conf: dict, *, retries: int | None = None):
    """dag.test() the DAG; with ``retries``, every task gets that many retries and no retry delay: the
    DAGs wait 5 minutes between tries, which dag.test() sits out, so a test that broke would hang."""
    saved = {task.task_id: (task.retries, task.retry_delay) for task in dag.tasks}
    try:
        if retries is not None:
            for task in dag.tasks:
                task.retries, task.retry_delay = retries, timedelta(0)
        return dag.test(run_conf=conf)
    finally:
        for task in dag.tasks:
            task.retries, task.retry_delay = saved[task.task_id]


def task_states(dag_run) -> dict[str, tuple[str, int]]:
    return {ti.task_id: (ti.state, ti.try_number) for ti in dag_run.get_task_instances()}


def test_a_task_that_fails_for_good_is_alerted_once_by_email_and_webhook(
        dag_warehouse, home, alert_connections, dagbag, monkeypatch):
    inbox, webhook = alert_connections
    monkeypatch.delenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION", raising=False)
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, REFERRALS[QUARTER]))

    dag_run = run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=1)

    assert dag_run.state == "failed"
    # A missing key would be missing on every try: the task fails on its first, with no retry, and is alerted once.
    assert task_states(dag_run)["validate"] == ("failed", 1)
    (recipients, subject, body), = inbox.messages()
    (posted,) = webhook.posted()
    link = f"{BASE_URL}/dags/ingest_marac/runs/{quote(dag_run.run_id)}/tasks/validate?try_number=1"
    assert recipients == RECIPIENTS
    assert subject == "[Safer Communities] ingest_marac: task validate failed for 2015/16 Q1"
    for text in (body, json.dumps(posted)):
        for expected in ("ingest_marac", "validate", dag_run.run_id, QUARTER, "no pseudonymisation key",
                         "safer_communities_pseudonymisation", link):
            assert expected in text, expected
    assert posted == {
        "kind": "task_failed", "subject": subject, "dag_id": "ingest_marac", "run_id": dag_run.run_id,
        "link": link, "task_id": "validate", "try_number": 1, "period": QUARTER,
        "source_periods": [{"source": MARAC, "period": QUARTER}],
        "error": posted["error"], "findings": [],
    }
    assert posted["error"].startswith("AirflowFailException: no pseudonymisation key")
    (request,) = webhook.requests
    assert (request.method, request.path, request.header("content-type")) == ("POST", "/alerts",
                                                                               "application/json")


def test_a_failure_a_retry_may_cure_is_retried_and_alerted_once_after_the_last_try(
        dag_warehouse, home, alert_connections, dagbag, monkeypatch):
    """A broken transfer may pass next time: Airflow retries the pull; the last try's failure is recorded as the
    quarter's status and fails the run, alerted once (the first try, up for retry, is not alerted)."""
    from safer_communities.sources import transports

    inbox, webhook = alert_connections

    def broken(self, period, destination):
        raise transports.TransferError("the share went away mid-copy")

    monkeypatch.setattr(transports.LocalDrop, "fetch", broken)
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, REFERRALS[QUARTER]))

    dag_run = run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=1)

    assert dag_run.state == "failed"
    assert task_states(dag_run)["pull"] == ("success", 2)
    assert task_states(dag_run)["record_status"] == ("failed", 1)  # no retry: it would not pull again
    # One alert: the failure, after the last try (the first, up for retry, is not alerted; the quarter's new status
    # is not a data-quality finding besides it).
    subjects = [subject for _, subject, _ in inbox.messages()]
    assert subjects == ["[Safer Communities] ingest_marac: task record_status failed for 2015/16 Q1"]
    (posted,) = webhook.posted()
    assert posted["error"] == (
        f"AirflowFailException: {MARAC} {QUARTER}: the download failed on every try (the share went away "
        "mid-copy), recorded as 'late': trigger the run again once the source answers")
    from safer_communities.warehouse import Warehouse

    with Warehouse(dag_warehouse, read_only=True) as warehouse:
        status = warehouse.query("SELECT status, reason FROM audit.source_status")
    assert [(r["status"], "download failed: the share went away mid-copy" in r["reason"]) for r in status] == [
        ("late", True)]


def test_the_dashboard_dag_alerts_its_failures_too(airflow_db, alert_connections, dagbag):
    inbox, webhook = alert_connections
    dag_run = run_dag(dagbag.dags["quarterly_dashboard"], {"quarter": ""}, retries=0)
    assert dag_run.state == "failed"
    (_, subject, body), = inbox.messages()
    assert subject == "[Safer Communities] quarterly_dashboard: task quarters failed"
    assert "AirflowFailException: no quarter to compute" in body
    (posted,) = webhook.posted()
    assert (posted["task_id"], posted["period"]) == ("quarters", None)


def test_a_publication_the_disclosure_audit_refuses_fails_at_once_writes_nothing_and_is_alerted(
        dag_warehouse, alert_connections, dagbag, monkeypatch):
    """East's 3 first-time entrants with only the small numbers hidden: West and the county give them away."""
    from safer_communities import dashboard
    from safer_communities.dashboard import disclosure
    from safer_communities.periods import Quarter
    from safer_communities.warehouse import Warehouse
    from tests.test_disclosure import AREAS, EAST, WEST, available, observation, quarters

    def small_numbers_only(model):
        model.hidden.update({key: "primary" for key, cell in model.cells.items() if cell.primary})
        return model

    april = Quarter(2015, 1).months[0]
    inputs = ([observation("youth_first_time_entrants", EAST, april, 3),
               observation("youth_first_time_entrants", WEST, april, 40)],
              available("youth_first_time_entrants", quarters(2014, 2015)), AREAS)
    monkeypatch.setattr(dashboard, "read_inputs", lambda _warehouse, _quarter: inputs)
    monkeypatch.setattr(disclosure, "protect", small_numbers_only)
    inbox, _ = alert_connections
    dag_run = run_dag(dagbag.dags["quarterly_dashboard"], {"quarter": QUARTER}, retries=2)
    assert dag_run.state == "failed"
    assert task_states(dag_run)["compute"] == ("failed", 1)  # the same data would be refused again: no retry
    (_, subject, body), = inbox.messages()
    assert subject == "[Safer Communities] quarterly_dashboard: task compute [2015/16 Q1] failed for 2015/16 Q1"
    assert "publication refused: youth first time entrants, E07000001, 2015/16 Q1 (withheld)" in body
    refusal = body.split("publication refused")[1].split("\n")[0]
    assert "the county = the sum of its districts" in refusal
    assert not re.search(r"\b(3|40|43)\b", refusal), refusal  # the cell and what pins it, never a figure
    with Warehouse(dag_warehouse) as warehouse:
        assert warehouse.query("SELECT COUNT(*) AS n FROM mart.dashboard_quarterly")[0]["n"] == 0


def test_quarantined_rows_and_warnings_send_one_quality_alert_naming_source_period_and_rules(
        dag_warehouse, home, key, alert_connections, dagbag):
    inbox, webhook = alert_connections
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, BAD_ROWS))

    dag_run = run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=0)

    assert dag_run.state == "success"
    (recipients, subject, body), = inbox.messages()
    (posted,) = webhook.posted()
    assert recipients == RECIPIENTS
    assert subject == "[Safer Communities] ingest_marac: data-quality findings for marac_referrals 2015/16 Q1"
    (finding,) = posted["findings"]
    assert (finding["source"], finding["period"], finding["status"], finding["rows_quarantined"]) == (
        MARAC, QUARTER, "available", 4)
    assert finding["rules"] == [
        {"rule": "case_ref_unique", "severity": "critical", "count": 2},
        {"rule": "parse_type", "severity": "critical", "count": 1},
        {"rule": "referral_date_in_period", "severity": "critical", "count": 1},
        {"rule": "dash_score_range", "severity": "warning", "count": 1},
    ]
    assert posted["link"] == f"{BASE_URL}/dags/ingest_marac/runs/{quote(dag_run.run_id)}/tasks/validate"
    for expected in (MARAC, QUARTER, "4 rows quarantined", "rule case_ref_unique (critical): 2 rows",
                     "rule dash_score_range (warning): 1 rows", posted["link"]):
        assert expected in body, expected
    # the raw victim references stay out of alerts, as out of the warehouse and the logs
    for text in (body, json.dumps(posted)):
        assert not any(f"VIC-00{n}" in text.upper() for n in range(10, 24))


def test_a_clean_run_sends_nothing(dag_warehouse, home, key, alert_connections, dagbag):
    inbox, webhook = alert_connections
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, REFERRALS[QUARTER]))
    assert run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=0).state == "success"
    assert inbox.messages() == [] and webhook.requests == []


def test_without_alert_connections_nothing_is_sent_and_the_run_succeeds(
        dag_warehouse, home, key, smtp_server, webhook, dagbag, caplog):
    _, inbox = smtp_server
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, BAD_ROWS))
    assert run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=0).state == "success"
    assert inbox.messages() == [] and webhook.requests == []
    assert "alert not sent, no alert connection (safer_communities_alerts_smtp or " \
           "safer_communities_alerts_webhook) is defined" in caplog.text


@pytest.mark.parametrize("endpoint", ["answers 500", "times out", "is down"])
def test_a_failing_webhook_fails_no_task_and_the_email_still_goes(
        endpoint, dag_warehouse, home, key, alert_connections, dagbag, monkeypatch, caplog):
    inbox, webhook = alert_connections
    if endpoint == "answers 500":
        webhook.set("alerts", Reply(500, b"boom"))
    elif endpoint == "times out":
        webhook.set("alerts", Reply(204, delay=5))
        monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_WEBHOOK",
                           json.dumps({"conn_type": "http", "extra": {"url": f"{webhook.base_url}/alerts",
                                                                      "timeout": 0.5}}))
    else:
        monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_ALERTS_WEBHOOK",
                           f"http://127.0.0.1:{free_port()}/alerts")  # nothing listens there
    deliver_file(home, MARAC, QUARTER, csv_bytes(HEADER, BAD_ROWS))

    dag_run = run_dag(dagbag.dags["ingest_marac"], {"period": QUARTER}, retries=0)

    assert dag_run.state == "success"
    assert task_states(dag_run)["record_status"] == ("success", 1)
    assert len(inbox.messages()) == 1
    assert len(webhook.requests) == (0 if endpoint == "is down" else 1), "one attempt, no retries"
    assert "alert not sent through safer_communities_alerts_webhook" in caplog.text
    assert "/alerts" not in caplog.text.split("alert not sent through safer_communities_alerts_webhook")[1][:300]


def test_webhook_url_from_the_connection():
    from airflow.sdk import Connection

    from safer_communities.alerts import webhook_url

    def url(uri=None, **fields):
        return webhook_url(Connection.from_uri(uri, conn_id="w") if uri else Connection(conn_id="w", **fields))

    assert url("https://hooks.example.org/services/T0/B0") == "https://hooks.example.org/services/T0/B0"
    assert url("http://127.0.0.1:8080/alerts") == "http://127.0.0.1:8080/alerts"
    assert url(conn_type="generic", extra=json.dumps({"url": "https://x.test/a?b=1"})) == "https://x.test/a?b=1"
    assert url(conn_type="generic", host="https://x.test/base/", schema="hook") == "https://x.test/base/hook"
    assert url(conn_type="generic", host="x.test", port=8443) == "https://x.test:8443"
    with pytest.raises(ValueError, match="neither extra.url nor a host"):
        url(conn_type="http")


def test_quality_findings_name_rejected_and_incomplete_periods(home, warehouse, key):
    """On DuckDB and PostgreSQL: a rejected quarter names its rule, an incomplete one its failed check, clean
    quarters are left out."""
    from safer_communities.alerts import quality_findings
    from safer_communities.sources import ingest

    for quarter, rows in REFERRALS.items():
        deliver_file(home, MARAC, quarter, csv_bytes(HEADER, rows))
    deliver_file(home, MARAC, "2014/15 Q2", csv_bytes([*HEADER, "Victim name"],
                                                     [(*row, "someone") for row in REFERRALS["2014/15 Q2"]]))
    states = ingest.pull(ingest.check_availability(ingest.plan(MARAC, "2014/15"), as_of=AS_OF), as_of=AS_OF)
    states = ingest.load(ingest.validate(states, run_id="t"), run_id="t", warehouse=warehouse)
    ingest.record_status(states, run_id="t", warehouse=warehouse)

    findings = {f["period"]: f for f in quality_findings(states, run_id="t", warehouse=warehouse)}

    assert sorted(findings) == ["2014/15 Q2", "2014/15 Q3"]
    assert findings["2014/15 Q2"]["status"] == "rejected"
    assert [(r["rule"], r["severity"]) for r in findings["2014/15 Q2"]["rules"]] == [("header_match", "critical")]
    assert findings["2014/15 Q3"]["status"] == "incomplete"
    assert findings["2014/15 Q3"]["rules"] == [{"rule": "months_covered", "severity": "completeness", "count": None}]
    # by their statuses still, but the rules and checks named are only this run's
    assert quality_findings(states, run_id="another run", warehouse=warehouse) == [
        {**findings[quarter], "rules": []} for quarter in ("2014/15 Q2", "2014/15 Q3")]


def test_a_file_not_delivered_by_its_deadline_is_a_finding_but_awaited_and_outages_are_not(home, warehouse, key):
    """The deadline alert: a MARAC quarter never delivered, judged after its deadline (late), is named; the same
    quarter judged before its deadline (awaited) is not, nor is the police's declared NICHE outage."""
    from datetime import date

    from safer_communities.alerts import quality_findings
    from safer_communities.sources import ingest

    def findings(source: str, period: str, as_of: date) -> list[dict]:
        states = ingest.check_availability(ingest.plan(source, period), as_of=as_of)
        return quality_findings(states, run_id="t", warehouse=warehouse)

    missed = findings(MARAC, "2013/14 Q1", date(2015, 9, 17))
    assert [(f["period"], f["status"]) for f in missed] == [("2013/14 Q1", "late")]
    assert missed[0]["reason"].startswith("Not delivered by the deadline ")
    assert findings(MARAC, "2013/14 Q1", date(2013, 7, 10)) == []  # awaited: not yet due
    assert findings("police_street_crime", "2015-05", date(2015, 9, 17)) == []  # a declared outage
