"""Availability is a result, not a failure.

Every (source, month) ends with one status and a reason a board member can read:

* ``available``   - arrived, validated, loaded, complete
* ``incomplete``  - arrived and loaded, but fails a completeness check
* ``awaited``     - not arrived, and not yet due: its delivery deadline has not passed
* ``late``        - not arrived by its delivery deadline: the partner has missed it (it is still looked for)
* ``unavailable`` - a declared outage: the data does not exist for performance reporting
* ``rejected``    - arrived, failed critical validation; kept in quarantine

A period once loaded (``available`` or ``incomplete``) keeps its status until a different file
replaces it: a file that vanishes, a failed re-pull or a rejected re-delivery is a warning, never a
downgrade (see ``safer_communities.sources.ingest``).

The decisions here are pure functions of their inputs; "now" is the Airflow
run's date, passed in, never read from the clock.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safer_communities.periods import Month, Period
    from safer_communities.sources.registry import DistrictCollapse, FollowUpComplete, NoLocationShare, Source, Volume

STATUSES = ("available", "incomplete", "awaited", "late", "unavailable", "rejected")  # from best to worst
LOADED = ("available", "incomplete")  # the data is in the warehouse
# How a board paper says each status of data that is not there.
STATUS_WORDS = {"awaited": "not yet due", "late": "late, its deadline missed", "unavailable": "not available",
                "rejected": "rejected at validation", "not ingested": "not ingested"}
MISSED_DEADLINE = "Not delivered by the deadline"


@dataclass(frozen=True)
class Status:
    status: str
    reason: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")


def deadline(source: Source, period: Period) -> date:
    return period.end + timedelta(days=source.deadline_days_after_period_end)


def scheduled_periods(source: Source, run_date: date, recheck_days: int = 31) -> list[Period]:
    """What a scheduled run looks for: the latest period that ended, and every earlier one still
    within ``recheck_days`` of its deadline, so a late period is looked for again until it arrives
    or is declared unavailable (youth re-offending, due 18 months on, included)."""
    from safer_communities.periods import latest_ended, previous

    found = [latest_ended(source.cadence, run_date)]
    while deadline(source, previous(found[-1])) + timedelta(days=recheck_days) >= run_date:
        found.append(previous(found[-1]))
    return sorted(found)


def outage_status(source: Source, period: Period) -> Status | None:
    outage = source.outage_for(period)
    if outage is None:
        return None
    return Status("unavailable", f"Declared outage {outage.first} to {outage.last}: {outage.reason}")


def missing_status(source: Source, period: Period, as_of: date, why: str) -> Status:
    """A file that has not arrived is awaited (not yet due) until its deadline, late after it."""
    due = deadline(source, period)
    if as_of <= due:
        return Status("awaited", f"Not yet due: expected by {due.isoformat()} ({why}).")
    return Status("late", f"{MISSED_DEADLINE} {due.isoformat()} ({why}).")


def missed_deadline(status: str) -> bool:
    """The status says the file never came by its deadline (not an outage, not yet due)."""
    return status == "late"


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    detail: str


def check_no_location_share(rule: NoLocationShare, no_location: int, total: int) -> CheckResult:
    share = no_location / total if total else 0.0
    passed = share <= rule.max_share
    detail = (
        f"{no_location:,} of {total:,} rows ({share:.1%}) have no location; "
        f"{'within' if passed else 'above'} the {rule.max_share:.0%} limit"
    )
    return CheckResult(rule.check, passed, detail)


def check_district_collapse(
    rule: DistrictCollapse, month: Month, counts: dict[str, dict[Month, int]], names: dict[str, str]
) -> CheckResult:
    """Flag districts whose count this month fell below a share of their own recent median.

    ``counts`` maps district code to {month: count} for this month and earlier
    ones; only the ``history_months`` before this month form the median, and a
    district needs ``min_history_months`` of them to be judged.
    """
    collapsed, unjudged = [], []
    for code in sorted(counts):
        by_month = counts[code]
        history = [
            by_month[m] for m in (month.shift(-i) for i in range(1, rule.history_months + 1)) if m in by_month
        ]
        if len(history) < rule.min_history_months:
            unjudged.append(names.get(code, code))
            continue
        median = statistics.median(history)
        current = by_month.get(month, 0)
        if median > 0 and current < rule.min_ratio_to_median * median:
            collapsed.append(f"{names.get(code, code)} {current} against a median of {median:g}")
    if collapsed:
        return CheckResult(
            rule.check, False, f"recorded crime collapsed in {len(collapsed)} district(s): " + "; ".join(collapsed)
        )
    if unjudged and len(unjudged) == len(counts):
        return CheckResult(rule.check, True, "not judged: fewer than "
                           f"{rule.min_history_months} earlier months loaded")
    return CheckResult(rule.check, True, "no district fell below "
                       f"{rule.min_ratio_to_median:.0%} of its recent median")


def check_volume(rule: Volume, period: Period, rows: dict[str, int]) -> CheckResult:
    """The period's rows (``rows``: rows read from the latest load of each period, this one included) against
    the median of the latest ``history_periods`` loaded periods before it."""
    from safer_communities.periods import parse_any

    current = rows.get(str(period), 0)
    earlier = sorted((parse_any(label) for label in rows if parse_any(label) < period), reverse=True)
    history = [rows[str(before)] for before in earlier[:rule.history_periods]]
    if len(history) < rule.min_history_periods:
        return CheckResult(rule.check, True, f"not judged: fewer than {rule.min_history_periods} earlier periods "
                                             "loaded")
    median = statistics.median(history)
    share = current / median if median else 1.0
    detail = (f"{current:,} rows against a median of {median:,g} over the {len(history)} periods loaded before "
              f"({share:.0%})")
    if share < rule.min_ratio_to_median:
        return CheckResult(rule.check, False, f"{detail}: below {rule.min_ratio_to_median:.0%}, a partial delivery")
    return CheckResult(rule.check, True, detail)


def check_months_covered(period: Period, present: set[int]) -> CheckResult:
    """Every month of the period has records (``present`` holds YYYYMM numbers)."""
    missing = [str(month) for month in period.months if month.year * 100 + month.month not in present]
    if missing:
        return CheckResult("months_covered", False, f"no records dated in {', '.join(missing)} of {period}")
    return CheckResult("months_covered", True, f"records in every month of {period}")


def check_districts_covered(period: Period, missing: list[str]) -> CheckResult:
    """Every county district has a row; ``missing`` names those that have none."""
    if missing:
        return CheckResult("districts_covered", False, f"no row for {', '.join(missing)} in {period}")
    return CheckResult("districts_covered", True, "a row for every district")


def check_follow_up_complete(rule: FollowUpComplete, period: Period, starts: dict[date | None, int],
                             delivered_on: date | None) -> CheckResult:
    """Every record's follow-up, ``rule.months`` from its start date, had ended by ``delivered_on`` (the run's date
    when the file was pulled): a record started after the date ``rule.months`` before it is still being followed
    up, so the file cannot count all its follow-up yet (a month later is the same day, or the month's last: as
    both engines add an interval). ``starts`` counts the records per start date; a record without one is taken to
    start on the period's last day, the latest it can."""
    from safer_communities.periods import add_months

    follow_up = f"the {rule.months}-month follow-up"
    if delivered_on is None:
        return CheckResult(rule.check, False, f"{follow_up} cannot be judged: the file's delivery date is not known")
    cutoff = add_months(delivered_on, -rule.months)  # the last start whose follow-up had ended by then
    while add_months(cutoff + timedelta(days=1), rule.months) <= delivered_on:  # 31 March + 6 months is 30 September
        cutoff += timedelta(days=1)
    total = sum(starts.values())
    running = sum(n for start, n in starts.items() if start is not None and start > cutoff)
    undated = starts.get(None, 0) if period.end > cutoff else 0
    if running + undated:
        blank = (f"; {undated:,} with no start date, counted as starting on {period.end.isoformat()}, the last day "
                 f"of {period}" if undated else "")
        return CheckResult(rule.check, False, f"{follow_up} of {rule.members} after {cutoff.isoformat()} "
                           f"({running + undated:,} of {total:,}{blank}) runs past the file's date "
                           f"{delivered_on.isoformat()}")
    latest = max((start for start in starts if start is not None), default=None)
    latest_text = f", the latest {latest.isoformat()}" if latest else ""
    return CheckResult(rule.check, True, f"{follow_up} of {rule.members} ({total:,}{latest_text}) had ended by the "
                       f"file's date {delivered_on.isoformat()}")


def loaded_status(checks: list[CheckResult], rows_loaded: int, rows_quarantined: int, warnings: int) -> Status:
    """The status of a month that was loaded: available, or incomplete naming the failed checks."""
    notes = []
    if rows_quarantined:
        notes.append(f"{rows_quarantined:,} rows quarantined")
    if warnings:
        notes.append(f"{warnings} validation warning(s)")
    failed = [check for check in checks if not check.passed]
    if failed:
        reason = "Incomplete: " + "; ".join(check.detail for check in failed)
        return Status("incomplete", reason + (f" ({', '.join(notes)})." if notes else "."))
    suffix = f" ({', '.join(notes)})" if notes else ""
    return Status("available", f"Loaded {rows_loaded:,} rows{suffix}.")


NOT_INGESTED = {"status": "not ingested", "reason": "No run has decided this period yet.", "last_loaded_at": None,
                "last_rows_loaded": None, "critical_failures": 0, "warnings": 0, "quarantined_rows": 0}


def glance_for(periods: list[str], glance: list[dict], sources: dict[str, Source]) -> list[dict]:
    """Every registered source's own periods within ``periods`` (months, quarters or years), each with its
    ``audit.source_glance`` row, or ``not ingested`` where no run has decided it yet; with owner and cadence."""
    from safer_communities.periods import periods_for

    found = {(row["source"], row["period"]): row for row in glance}
    wanted = dict.fromkeys((name, str(period)) for name, source in sorted(sources.items())
                           for text in periods for period in periods_for(source.cadence, text))
    return [{**(found.get((name, period)) or {"source": name, "period": period, **NOT_INGESTED}),
             "owner": sources[name].owner, "cadence": sources[name].cadence} for name, period in wanted]
