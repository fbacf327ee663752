"""Alerts: a task that failed for good, data-quality findings and late dashboards, sent through Airflow notifiers.

Two channels, each optional and configured only by an Airflow connection:

- ``safer_communities_alerts_smtp`` (type ``smtp``): an email through the SMTP provider's
  ``SmtpNotifier``; the recipients are the connection's extra ``to`` (and ``from_email``).
- ``safer_communities_alerts_webhook``: one JSON POST through :class:`WebhookNotifier` to the
  connection's URL (``extra.url``, else ``<conn type>://host:port/<schema>``).

With neither connection defined an alert is one log line, so local runs need no set-up. Sending
never fails a task: an error is logged instead. The DAG files import this module, so nothing heavy
is imported here: requests, the SMTP provider and the warehouse come in when an alert is sent.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseNotifier

from safer_communities.settings import SQL_DIR
from safer_communities.sources.availability import missed_deadline

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from safer_communities.warehouse import Warehouse

log = logging.getLogger(__name__)

SMTP_CONN_ID = "safer_communities_alerts_smtp"
WEBHOOK_CONN_ID = "safer_communities_alerts_webhook"
WEBHOOK_TIMEOUT = 10.0  # seconds; the connection's extra "timeout" overrides it
SUBJECT_PREFIX = "[Safer Communities]"
MAX_ERROR_CHARS = 2000
# Statuses that are a data-quality matter (awaited and unavailable are availability, reported by the asset;
# late is the deadline alert, below).
QUALITY_STATUSES = ("rejected", "incomplete")

# Failed rules and checks of one run, read back from the audit tables validate() and load() wrote.
FAILED_RULES_SQL = SQL_DIR / "audit" / "failed_rules.sql"
FAILED_CHECKS_SQL = SQL_DIR / "audit" / "failed_checks.sql"


@dataclass
class Alert:
    """One message, the same on every channel: the email is its text, the webhook its JSON."""

    kind: str  # "task_failed", "data_quality" or "dashboard_late" (safer_communities.dashboard.readiness)
    subject: str
    dag_id: str
    run_id: str
    link: str
    task_id: str | None = None
    try_number: int | None = None
    period: str | None = None  # as requested: the period / quarter parameter, or the partition key
    source_periods: list[dict] = field(default_factory=list)  # [{"source", "period"}] the run planned
    error: str | None = None
    findings: list[dict] = field(default_factory=list)  # data quality: one per (source, period)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        lines = [self.subject, "", f"DAG: {self.dag_id}", f"Run: {self.run_id}"]
        if self.task_id:
            lines.append(f"Task: {self.task_id}" + (f" (try {self.try_number})" if self.try_number else ""))
        lines.append(f"Period: {self.period or 'scheduled run (each source its latest periods)'}")
        if self.source_periods:
            lines.append("Source periods: " + ", ".join(f"{p['source']} {p['period']}" for p in self.source_periods))
        if self.error:
            lines += ["", "Error:", self.error]
        for finding in self.findings:
            lines += ["", f"{finding['source']} {finding['period']}: {finding['status']} - {finding['reason']}"]
            if finding["rows_quarantined"]:
                lines.append(f"  {finding['rows_quarantined']:,} rows quarantined (audit.quarantine)")
            for notice in finding.get("notices") or ():
                lines.append(f"  notice: {notice}")
            for rule in finding["rules"]:
                if rule["severity"] == "completeness":
                    lines.append(f"  check {rule['rule']} failed")
                else:
                    lines.append(f"  rule {rule['rule']} ({rule['severity']}): {rule['count']:,} rows")
        lines += ["", f"Link: {self.link}"]
        return "\n".join(lines)

    def html(self) -> str:
        link = html.escape(self.link, quote=True)
        return (f'<pre style="font-family: monospace">{html.escape(self.text())}</pre>'
                f'<p><a href="{link}">Open in Airflow</a></p>')


def base_url() -> str:
    """The Airflow UI's address (``[api] base_url``), without a trailing slash."""
    from airflow.sdk.configuration import conf

    return conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")


def task_url(dag_id: str, run_id: str, task_id: str) -> str:
    """The Airflow UI page of a task in a run (where its log is), as the Task SDK's ``ti.log_url`` builds it."""
    return f"{base_url()}/dags/{dag_id}/runs/{quote(run_id)}/tasks/{task_id}"


def dag_url(dag_id: str) -> str:
    """The Airflow UI page of a DAG (for an alert sent outside a run, e.g. from the command line)."""
    return f"{base_url()}/dags/{dag_id}"


def _requested_period(context) -> str | None:
    params = context.get("params") or {}
    requested = str(params.get("period") or params.get("quarter") or "").strip()
    return requested or getattr(context.get("dag_run"), "partition_key", None) or None


def _planned(context) -> list[dict]:
    """The (source, period) pairs the run's ``plan`` task chose, when it has one that ran."""
    ti, dag = context.get("ti"), context.get("dag")
    if ti is None or dag is None or "plan" not in dag.task_ids or ti.task_id == "plan":
        return []
    try:
        states = ti.xcom_pull(task_ids="plan") or []
        return [{"source": state["source"], "period": state["period"]} for state in states]
    except Exception:  # the message goes out without them
        log.warning("alert: could not read the planned periods", exc_info=True)
        return []


def _error_text(error: BaseException | str | None) -> str | None:
    if error is None:
        return None
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + " [...]"


def failure_alert(context) -> Alert:
    """The message for a task that failed for good: DAG, task, run, period(s), the error and the log link."""
    ti = context["ti"]
    task_id = ti.task_id
    if getattr(ti, "rendered_map_index", None):  # the dashboard's compute: the quarter it was mapped over
        task_id += f" [{ti.rendered_map_index}]"
    elif getattr(ti, "map_index", None) is not None and ti.map_index >= 0:
        task_id += f" [{ti.map_index}]"
    period = _requested_period(context)
    try:
        link = ti.log_url
    except Exception:
        link = task_url(ti.dag_id, ti.run_id, ti.task_id)
    return Alert(
        kind="task_failed",
        subject=f"{SUBJECT_PREFIX} {ti.dag_id}: task {task_id} failed" + (f" for {period}" if period else ""),
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        link=link,
        task_id=task_id,
        try_number=getattr(ti, "try_number", None),
        period=period,
        source_periods=_planned(context),
        error=_error_text(context.get("exception")),
    )


def quality_findings(states: list[dict], *, run_id: str, warehouse: Warehouse) -> list[dict]:
    """What this run found wrong with the data, per (source, period) of ``states``: every critical or
    warning rule that failed (with its count of rows), rows quarantined, completeness checks failed,
    periods rejected or incomplete, and files not delivered by their deadline (the deadline alert).
    Empty when all is well. Never raises (logs instead)."""
    try:
        rules = warehouse.query(FAILED_RULES_SQL, {"run_id": run_id})
        checks = warehouse.query(FAILED_CHECKS_SQL, {"run_id": run_id})
    except Exception:
        log.exception("alert: could not read this run's validation results; no data-quality alert")
        return []
    findings = []
    for state in states:
        key = (state["source"], state["period"])
        failed = [{"rule": r["rule"], "severity": r["severity"], "count": int(r["unexpected_count"])}
                  for r in rules if (r["source"], r["period"]) == key]
        failed += [{"rule": c["check_name"], "severity": "completeness", "count": None}
                   for c in checks if (c["source"], c["period"]) == key]
        kept = state.get("kept")  # a period whose loaded data stands: only its notices are news
        if (state.get("notices") or not kept and (
                failed or state.get("rows_quarantined") or state.get("status") in QUALITY_STATUSES
                or missed_deadline(state.get("status") or ""))):
            findings.append({
                "source": state["source"], "period": state["period"], "status": state.get("status"),
                "reason": state.get("reason"),
                "rows_quarantined": 0 if kept else int(state.get("rows_quarantined") or 0),
                "rules": [] if kept else failed, "notices": list(state.get("notices") or ()),
            })
    return findings


def quality_alert(context, findings: list[dict]) -> Alert | None:
    """One message for all of a run's findings (None if there are none), linking to the validate task."""
    if not findings:
        return None
    dag_run = context["dag_run"]
    dag_id = dag_run.dag_id
    named = [f"{f['source']} {f['period']}" for f in findings]
    listed = ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")
    return Alert(
        kind="data_quality",
        subject=f"{SUBJECT_PREFIX} {dag_id}: data-quality findings for {listed}",
        dag_id=dag_id,
        run_id=dag_run.run_id,
        link=task_url(dag_id, dag_run.run_id, "validate"),
        period=_requested_period(context),
        source_periods=[{"source": f["source"], "period": f["period"]} for f in findings],
        findings=findings,
    )


def webhook_url(connection: Connection) -> str:
    """The URL to POST to: ``extra.url``; else a host that is a URL; else ``<conn type>://host[:port]/<schema>``.

    The URI form of a connection fits the last: ``https://hooks.example.org/services/T0/B0`` parses to
    conn type ``https``, host ``hooks.example.org`` and schema ``services/T0/B0``.
    """
    extra = connection.extra_dejson or {}
    if extra.get("url"):
        return str(extra["url"])
    host = (connection.host or "").strip()
    if not host:
        raise ValueError(f"connection {connection.conn_id!r} has neither extra.url nor a host")
    if "://" in host:
        base = host.rstrip("/")
    else:
        scheme = connection.conn_type if connection.conn_type in ("http", "https") else "https"
        base = f"{scheme}://{host}" + (f":{connection.port}" if connection.port else "")
    path = (connection.schema or "").strip("/")
    return f"{base}/{path}" if path else base


class WebhookError(RuntimeError):
    """The webhook answered, but not with success."""


class WebhookNotifier(BaseNotifier):
    """POST a JSON message to the URL of an Airflow connection: one attempt, with a timeout, no retries.

    The connection's password, if set, is sent as a bearer token; ``extra.headers`` adds headers and
    ``extra.timeout`` (seconds) replaces the default of 10.
    """

    template_fields = ()  # the message is sent as given: an error text may hold "{{" and is not a template

    def __init__(self, message: dict[str, Any], *, conn_id: str = WEBHOOK_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.message = message
        self.conn_id = conn_id

    def notify(self, context) -> None:
        import requests

        from safer_communities.connections import get_connection

        connection = get_connection(self.conn_id)
        if connection is None:
            raise ValueError(f"no Airflow connection {self.conn_id!r}")
        url = webhook_url(connection)
        extra = connection.extra_dejson or {}
        headers = {"Content-Type": "application/json", **(extra.get("headers") or {})}
        if connection.password:
            headers["Authorization"] = f"Bearer {connection.password}"
        timeout = float(extra.get("timeout") or WEBHOOK_TIMEOUT)
        body = json.dumps(self.message, default=str).encode()
        try:
            # requests makes one attempt (its adapters retry nothing by default); a redirect is an error.
            response = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            # requests names the URL, and a webhook URL often holds its token: name the connection instead.
            raise WebhookError(f"{type(error).__name__} posting to the URL of connection {self.conn_id!r} "
                               f"(timeout {timeout:g} s)") from None
        if not 200 <= response.status_code < 300:
            raise WebhookError(f"the webhook of connection {self.conn_id!r} answered HTTP {response.status_code}")


def _smtp_notifier(alert: Alert, connection: Connection):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    extra = connection.extra_dejson or {}
    if not extra.get("to"):
        raise ValueError(f'connection {SMTP_CONN_ID!r} names no recipients: set its extra "to" '
                         '(an address or a list of addresses)')
    return SmtpNotifier(to=extra["to"], from_email=extra.get("from_email"), subject=alert.subject,
                        html_content=alert.html(), smtp_conn_id=SMTP_CONN_ID)


def _webhook_notifier(alert: Alert, connection: Connection) -> WebhookNotifier:
    return WebhookNotifier(alert.as_json(), conn_id=WEBHOOK_CONN_ID)


CHANNELS = ((SMTP_CONN_ID, _smtp_notifier), (WEBHOOK_CONN_ID, _webhook_notifier))


def send(alert: Alert | None, context=None) -> list[str]:
    """Send ``alert`` through every channel whose connection is defined; return the ones that took it.

    Never raises: a channel that fails is logged and the others still send.
    """
    if alert is None:
        return []
    from safer_communities.connections import get_connection

    configured, sent = 0, []
    for conn_id, notifier_for in CHANNELS:
        try:
            connection = get_connection(conn_id)
            if connection is None:
                continue
            configured += 1
            # notify(), not __call__: __call__ renders the fields as Jinja, and an error text is not a template.
            notifier_for(alert, connection).notify(context or {})
            sent.append(conn_id)
            log.info("alert sent through %s: %s", conn_id, alert.subject)
        except Exception as error:
            log.error("alert not sent through %s (%s): %s", conn_id, alert.subject, error)
    if not configured:
        log.info("alert not sent, no alert connection (%s) is defined: %s",
                 " or ".join(conn_id for conn_id, _ in CHANNELS), alert.subject)
    return sent


def send_quality_alert(findings: Iterable[dict], context) -> list[str]:
    """The data-quality alert of an ingestion run, if it found anything. Never raises."""
    try:
        return send(quality_alert(context, list(findings)), context)
    except Exception:
        log.exception("alert: the data-quality alert could not be built")
        return []


class FailureAlert(BaseNotifier):
    """The ``on_failure_callback`` of every task: alert that it failed for good (after its retries)."""

    def notify(self, context) -> None:
        try:
            alert = failure_alert(context)
        except Exception:
            log.exception("alert: the failure alert could not be built")
            return
        send(alert, context)
