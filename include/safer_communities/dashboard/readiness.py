"""Is a quarter's dashboard ready for the board? Its reporting date, and what it still waits for.

The board reads each quarter's dashboard at a meeting: the quarter's *reporting date*, from
``include/config/reporting.yaml`` (so many days after the quarter's end, or a date of its own).
The dashboard needs, for every indicator of the catalogue, the source periods its value covers
(the quarter's months; for an annual cohort the year before), each in its source's own periods.
Each of them is

* ``delivered``: its status is ``available`` or ``incomplete`` (the data is there);
* ``excused``: a declared outage, or a delivery deadline after the reporting date ("not due
  until ..."): youth re-offending is due 593 days after its quarter, the survey 91 days;
* ``missing``: ``awaited`` but due by the reporting date, ``late`` (its deadline missed), ``rejected``,
  or not ingested.

The quarter is ``complete`` when nothing is missing; otherwise ``in progress`` before its
reporting date and ``late`` from that day on. :func:`assess` is pure: "now" (``as_of``) is passed
in, never read from the clock. :func:`record` keeps one row per quarter in
``audit.dashboard_readiness``; :func:`check` assesses and records quarters and sends one alert
when a quarter is first found late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import Field, field_validator

from safer_communities import alerts
from safer_communities.alerts import SUBJECT_PREFIX, Alert
from safer_communities.config_files import Strict, load_model
from safer_communities.dashboard import WITH_DATA, source_period, value_months
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.errors import CorrectTheFile
from safer_communities.periods import Month, Quarter, parse_any, previous, quarters_in
from safer_communities.settings import CONFIG_DIR, SQL_DIR
from safer_communities.sources.availability import NOT_INGESTED, deadline, outage_status
from safer_communities.sources.registry import default_registry
from safer_communities.warehouse import query, run_sql_file

if TYPE_CHECKING:
    from safer_communities.alerts import Alert
    from safer_communities.dashboard.indicators import Catalogue, Indicator
    from safer_communities.sources.registry import Source
    from safer_communities.warehouse import Warehouse

REPORTING_PATH = CONFIG_DIR / "reporting.yaml"
RECORD_SQL = SQL_DIR / "audit" / "record_readiness.sql"
DAG_ID = "dashboard_deadlines"
# The daily check follows a quarter until this many days after its reporting date: a little more than a
# year, so a quarter is still looked at when the same quarter's next report is due, and data that lands
# late for it shows there (late -> complete). It is counted from the reporting date, not from the
# sources' deadlines: a period due after the reporting date (youth re-offending, 593 days) is excused,
# so waiting for its deadline would change nothing, and the 18-month youth lag keeps no quarter open.
CHECK_DAYS_AFTER_REPORTING = 400


# ---------------------------------------------------------------------------- configuration


class ReportingError(CorrectTheFile, ValueError):
    """The reporting configuration is unreadable or breaks its schema."""


class _TextDates(yaml.SafeLoader):
    """YAML with dates left as text: the schema then reads them, and a bad one is an error naming its field."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Reporting(Strict):
    """When the board reads each quarter's dashboard."""

    reporting_days_after_quarter_end: int = Field(ge=0)
    reporting_dates: dict[str, date] = {}  # quarter label -> its own reporting date

    @field_validator("reporting_dates")
    @classmethod
    def _quarters(cls, dates: dict[str, date]) -> dict[str, date]:
        checked = {}
        for label, day in dates.items():
            quarter = Quarter.parse(label)
            if day <= quarter.end:
                raise ValueError(f"{label}: {day.isoformat()} is not after the quarter's end {quarter.end.isoformat()}")
            checked[str(quarter)] = day
        return checked


def load_reporting(path: Path = REPORTING_PATH) -> Reporting:
    """Read and check the reporting configuration; raise :class:`ReportingError` naming the file and field."""
    return load_model(path, Reporting, ReportingError, "the reporting configuration", loader=_TextDates)


def reporting_date(quarter: Quarter, reporting: Reporting | None = None) -> date:
    """The day the board reads the quarter's dashboard: its own date, else so many days after its end."""
    reporting = reporting or load_reporting()
    own = reporting.reporting_dates.get(str(quarter))
    return own or quarter.end + timedelta(days=reporting.reporting_days_after_quarter_end)


def quarters_to_check(as_of: date, reporting: Reporting) -> list[Quarter]:
    """The daily check's quarters: every one ended on or before ``as_of`` whose reporting date is at most
    :data:`CHECK_DAYS_AFTER_REPORTING` days before it."""
    cutoff = as_of - timedelta(days=CHECK_DAYS_AFTER_REPORTING)
    longest = max([reporting.reporting_days_after_quarter_end,
                   *((day - Quarter.parse(label).end).days for label, day in reporting.reporting_dates.items())])
    found, quarter = [], Month.of(as_of).quarter
    while quarter.end >= cutoff - timedelta(days=longest):  # no earlier quarter can be reported after the cutoff
        if quarter.end <= as_of and reporting_date(quarter, reporting) >= cutoff:
            found.append(quarter)
        quarter = previous(quarter)
    return sorted(found)


def quarters_requested(periods: Iterable[str]) -> list[Quarter]:
    """The quarters of each period given by hand: a quarter, a financial year or a range ``FIRST..LAST``."""
    return sorted({quarter for period in periods for quarter in quarters_in(period)})


# ---------------------------------------------------------------------------- decisions (pure)


@dataclass(frozen=True)
class SourcePeriod:
    """One source period the dashboard needs, and what became of it."""

    source: str
    period: str
    outcome: str  # delivered, excused or missing
    status: str  # as recorded in audit.source_status, or "not ingested"
    reason: str  # delivered and missing: the status's reason; excused: why it is excused

    def line(self) -> str:
        return f"{self.source} {self.period}: {self.status} - {self.reason}"


@dataclass(frozen=True)
class Readiness:
    quarter: Quarter
    reporting_date: date
    as_of: date
    state: str  # complete, in progress or late
    periods: tuple[SourcePeriod, ...]

    def having(self, outcome: str) -> list[SourcePeriod]:
        return [period for period in self.periods if period.outcome == outcome]

    @property
    def reason(self) -> str:
        missing = len(self.having("missing"))
        count = f"{missing} source period{'s' if missing != 1 else ''} missing"
        if self.state == "complete":
            return f"every source period it needs is delivered or excused; reporting date {self.reporting_date}"
        if self.state == "in progress":
            return f"{count}; reporting date {self.reporting_date}"
        return f"not complete by its reporting date {self.reporting_date}: {count}"

    def state_line(self) -> str:
        return f"Dashboard {self.quarter} as at {self.as_of}: {self.state} ({self.reason})"


def indicator_periods(indicator: Indicator, quarter: Quarter, sources: dict[str, Source]) -> list[tuple[str, str]]:
    """The (source, period) pairs one indicator's value for the quarter covers: its value months, in each of its
    sources' own periods (a month, a quarter or a financial year); deduplicated, sorted."""
    return sorted({(name, source_period(sources[name].cadence, month))
                   for month in value_months(indicator, quarter) for name in indicator.sources})


def needed_periods(quarter: Quarter, catalogue: Catalogue, sources: dict[str, Source]) -> list[tuple[str, str]]:
    """The (source, period) pairs the quarter's dashboard needs: every indicator's (:func:`indicator_periods`)."""
    return sorted({pair for indicator in catalogue.indicators
                   for pair in indicator_periods(indicator, quarter, sources)})


def judge(source: Source, period: str, status_row: dict | None, due_day: date) -> SourcePeriod:
    """Delivered, excused (an outage, or not due by ``due_day``, the reporting date) or missing."""
    status, reason = (status_row["status"], status_row["reason"]) if status_row else (
        NOT_INGESTED["status"], NOT_INGESTED["reason"])
    if status in WITH_DATA:
        return SourcePeriod(source.name, period, "delivered", status, reason)
    outage = outage_status(source, parse_any(period))
    if outage is not None:
        return SourcePeriod(source.name, period, "excused", status, outage.reason)
    due = deadline(source, parse_any(period))
    if due > due_day:
        return SourcePeriod(source.name, period, "excused", status,
                            f"Not due until {due.isoformat()}, after the reporting date {due_day.isoformat()}.")
    return SourcePeriod(source.name, period, "missing", status, reason)


def assess(quarter: Quarter, as_of: date, status_rows: Iterable[dict], sources: dict[str, Source],
           catalogue: Catalogue, reporting: Reporting) -> Readiness:
    """The quarter's readiness as at ``as_of``, from ``audit.source_status`` rows (source, period, status, reason)."""
    due_day = reporting_date(quarter, reporting)
    found = {(row["source"], row["period"]): row for row in status_rows}
    periods = tuple(judge(sources[name], period, found.get((name, period)), due_day)
                    for name, period in needed_periods(quarter, catalogue, sources))
    if not any(period.outcome == "missing" for period in periods):
        state = "complete"
    else:
        state = "in progress" if as_of < due_day else "late"
    return Readiness(quarter, due_day, as_of, state, periods)


def late_alert(readiness: Readiness, *, dag_id: str, run_id: str, link: str) -> Alert:
    """The message for a quarter first found late: the quarter, its reporting date, each missing source period."""
    missing = readiness.having("missing")
    return Alert(
        kind="dashboard_late",
        subject=f"{SUBJECT_PREFIX} Dashboard {readiness.quarter} not complete by its reporting date "
                f"{readiness.reporting_date}",
        dag_id=dag_id,
        run_id=run_id,
        link=link,
        period=str(readiness.quarter),
        source_periods=[{"source": p.source, "period": p.period} for p in missing],
        findings=[{"source": p.source, "period": p.period, "status": p.status, "reason": p.reason,
                   "rows_quarantined": 0, "rules": []} for p in missing],
    )


# ---------------------------------------------------------------------------- I/O


def _detail(periods: list[SourcePeriod]) -> str | None:
    return " | ".join(period.line() for period in periods) or None


def record(warehouse: Warehouse, readiness: Readiness, run_id: str) -> dict[str, Any]:
    """Replace the quarter's row of ``audit.dashboard_readiness`` in one transaction; ``first_late_at`` is
    kept from earlier checks once set. Returns the row, with ``newly_late`` true when this check is the
    first to find the quarter late (the one that alerts)."""
    checked_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # an audit time, never a decision
    params = {"quarter_label": str(readiness.quarter)}
    with warehouse.begin() as connection:
        before = query(connection, "SELECT first_late_at FROM audit.dashboard_readiness "
                                   "WHERE quarter_label = :quarter_label", params)
        run_sql_file(connection, RECORD_SQL, {
            **params, "reporting_date": readiness.reporting_date, "state": readiness.state,
            "delivered": len(readiness.having("delivered")), "excused": len(readiness.having("excused")),
            "missing": len(readiness.having("missing")), "missing_detail": _detail(readiness.having("missing")),
            "excused_detail": _detail(readiness.having("excused")), "as_of": readiness.as_of,
            "checked_at": checked_at, "first_late_at": checked_at if readiness.state == "late" else None,
            "run_id": run_id,
        })
        (row,) = query(connection, "SELECT * FROM audit.dashboard_readiness WHERE quarter_label = :quarter_label",
                       params)
    newly_late = readiness.state == "late" and not (before and before[0]["first_late_at"])
    return {**row, "newly_late": newly_late}


@dataclass(frozen=True)
class Checked:
    readiness: Readiness
    newly_late: bool
    alerted: list[str]  # the channels that took the alert


def check(warehouse: Warehouse, quarters: Iterable[Quarter], *, as_of: date, run_id: str, dag_id: str = DAG_ID,
          link: str | None = None, context=None) -> list[Checked]:
    """Assess and record each quarter as at ``as_of``; alert once for each quarter first found late (a channel
    that fails is logged, never raised)."""
    sources, catalogue, reporting = default_registry(), load_catalogue(), load_reporting()
    status_rows = warehouse.query("SELECT source, period, status, reason FROM audit.source_status")
    checked = []
    for quarter in quarters:
        readiness = assess(quarter, as_of, status_rows, sources, catalogue, reporting)
        newly_late = record(warehouse, readiness, run_id)["newly_late"]
        sent = alerts.send(late_alert(readiness, dag_id=dag_id, run_id=run_id, link=link or alerts.dag_url(dag_id)),
                           context) if newly_late else []
        checked.append(Checked(readiness, newly_late, sent))
    return checked


def summary(checked: list[Checked]) -> dict[str, Any]:
    """What a check did, small enough for a task's return value: each quarter's state, the late ones, the new ones."""
    return {
        "states": {str(c.readiness.quarter): c.readiness.state for c in checked},
        "late": [str(c.readiness.quarter) for c in checked if c.readiness.state == "late"],
        "newly_late": [str(c.readiness.quarter) for c in checked if c.newly_late],
    }
