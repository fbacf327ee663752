"""The quarterly dashboard mart: every indicator x area x quarter, from the warehouse's core layer.

:func:`build` is pure: it takes the catalogue, the districts' raw figures
(``sql/mart/observations.sql``), the sources' availability (``audit.source_status``)
and the areas, and returns the dashboard rows and the per-priority summary of one
quarter. :func:`compute` reads those inputs, decides what disclosure control withholds
(:func:`protect`, ``safer_communities.dashboard.disclosure``), audits the publication
(:func:`audit_publication`: nothing is written when it is refused), replaces the quarter in
``mart.dashboard_quarterly``, ``mart.dashboard_monthly`` and ``mart.dashboard_summary`` in
one transaction and publishes the quarter's export as a new version when its published cells
changed (``safer_communities.dashboard.publication``). Every figure is computed from the true values;
``mart.dashboard_published`` and the export withhold what disclosure control hides.

Which source periods a quarter's row needs follows the indicator's grain:

* month and quarter: the quarter's months (value), April to the quarter's end
  (year to date), the same a year earlier (last year; the target's base) and,
  for monthly figures, the six months to the quarter's end (trend);
* year (an annual cohort): the cohort of the financial year before the
  quarter's, compared with the cohort before it.

A row's status is the worst status among those periods' sources; data that is
awaited, late, unavailable or rejected has no value (never 0) and is grey. An
indicator whose records look back (the catalogue's ``look_back``: a MARAC repeat
looks 12 months back for the victim's previous referral) is also ``incomplete``
where its sources have no data over the months it looks back to: shown, not judged.

:func:`build_monthly` is the six-month series behind each monthly indicator's trend, per
area and month (``mart.dashboard_monthly``), for the report's trend charts. Its months are
cells of the same disclosure control as the quarters they add up to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.dashboard import disclosure, publication, statistics
from safer_communities.dashboard.indicators import Catalogue, Indicator, display, load_catalogue, on_track, value_range
from safer_communities.dashboard.publication import latest
from safer_communities.periods import (
    FinancialYear,
    Month,
    Quarter,
    data_window,
    financial_year_label,
    following,
    month_range,
    parse_any,
)
from safer_communities.settings import CONFIG_DIR, SQL_DIR, home
from safer_communities.sources.availability import STATUSES
from safer_communities.sources.registry import default_registry
from safer_communities.warehouse import bulk_copy_rows, dictionary, publish_copy, query

if TYPE_CHECKING:
    from safer_communities.dashboard.publication import Version
    from safer_communities.warehouse import Warehouse

COUNTY = "E10000018"
WITH_DATA = ("available", "incomplete")
JUDGED_ON_PREVIOUS = ("reduce_by_percent", "beat_previous_cohort")  # targets set from the previous value
PER = {"rate_per_1000": 1000, "rate_per_10000_females": 10000}
BASE_YEAR = 2014  # the mid-year of Area.population and Area.females (core.dim_area's *_mid2014)
OBSERVATIONS_SQL = SQL_DIR / "mart" / "observations.sql"
AREAS_SQL = ("SELECT area_code, area_name, area_type, population_mid2014, females_mid2014 FROM core.dim_area "
             "WHERE in_county ORDER BY area_type, area_name")
POPULATION_SQL = "SELECT area_code, year, persons, females FROM core.area_population"
# The mart tables a quarter's computation replaces (with COLUMNS, MONTHLY_COLUMNS and SUMMARY_COLUMNS).
MART_TABLES = ("mart.dashboard_quarterly", "mart.dashboard_monthly", "mart.dashboard_summary")
COLUMNS = (
    "quarter_label", "quarter_start", "priority_id", "priority_name", "indicator_id", "indicator_name", "sort_order",
    "area_code", "area_name", "area_type", "unit", "polarity", "status", "status_reason", "value", "value_display",
    "numerator", "denominator", "population_year", "population_note", "interval_lower", "interval_upper",
    "interval_method", "last_year_value", "change", "change_percent", "ytd_value", "ytd_numerator", "ytd_denominator",
    "previous_value", "target_kind",
    "target_value", "target_text", "on_track", "on_track_reason", "trend", "trend_basis", "comparison",
    "comparison_basis", "district_rank", "districts_ranked", "persons", "suppressed", "suppression",
    "ytd_suppression", "last_year_suppression", "previous_suppression", "trend_suppressed", "run_id",
    "code_version", "computed_at",
)
# The export's column types (the rest are text), the same whichever engine the warehouse runs on.
EXPORT_TYPES = {
    "dashboard": {
        **dict.fromkeys(("value", "numerator", "denominator", "interval_lower", "interval_upper", "last_year_value",
                         "change", "change_percent", "ytd_value", "ytd_numerator", "ytd_denominator",
                         "previous_value", "target_value"), "DOUBLE"),
        **dict.fromkeys(("sort_order", "district_rank", "districts_ranked", "population_year"), "INTEGER"),
        "suppressed": "BOOLEAN", "trend_suppressed": "BOOLEAN", "quarter_start": "DATE", "computed_at": "TIMESTAMP",
    },
    "monthly": {
        **dict.fromkeys(("value", "numerator", "denominator"), "DOUBLE"),
        "sort_order": "INTEGER", "population_year": "INTEGER", "suppressed": "BOOLEAN", "month_start": "DATE",
        "computed_at": "TIMESTAMP",
    },
    "summary": {
        **dict.fromkeys(("sort_order", "indicators", "with_data", "on_track", "amber", "red", "no_target",
                         "not_available", "improving", "worsening"), "INTEGER"),
        "computed_at": "TIMESTAMP",
    },
}
MONTHLY_COLUMNS = (
    "quarter_label", "indicator_id", "indicator_name", "sort_order", "area_code", "area_name", "area_type", "unit",
    "polarity", "month_start", "status", "status_reason", "value", "value_display", "numerator", "denominator",
    "population_year", "population_note", "persons", "suppressed", "suppression", "run_id", "code_version",
    "computed_at",
)
SUMMARY_COLUMNS = (
    "quarter_label", "priority_id", "priority_name", "sort_order", "indicators", "with_data", "on_track", "amber",
    "red", "no_target", "not_available", "improving", "worsening", "unavailable_reasons", "note", "run_id",
    "code_version", "computed_at",
)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    type: str
    population: int  # ONS mid-2014 (core.dim_area), used when by_year is empty
    females: int
    # year -> (persons, females) from core.area_population; None where the estimate has no such figure
    by_year: dict[int, tuple[int | None, int | None]] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Population:
    """The population a rate is per: the mid-year estimate used and, when it is not the rate's own year, why."""

    count: float
    year: int  # the mid-year estimate used
    note: str | None = None  # None when it is the rate's own year


@dataclass(frozen=True)
class Availability:
    status: str
    reason: str
    sources: tuple[str, ...] = ()  # the sources with that status


@dataclass
class Figures:
    """An indicator's figures for one area over a window of months."""

    numerator: float = 0.0
    denominator: float = 0.0
    persons: int | None = None
    weight_squares: float | None = None
    months: dict[Month, tuple[float, float]] = field(default_factory=dict)  # month -> (numerator, denominator)


def code_version() -> str:
    """The package version and a digest of everything that decides a figure: catalogue, SQL and code."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in (CONFIG_DIR / "indicators.yaml", OBSERVATIONS_SQL, SQL_DIR / "ddl" / "100_mart.sql",
                 package / "__init__.py", package / "statistics.py", package / "indicators.py",
                 package / "disclosure.py"):
        digest.update(path.read_bytes())
    try:
        version = metadata.version("safer-communities")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"{version}+{digest.hexdigest()[:12]}"


# ---------------------------------------------------------------------------- windows of months


def value_months(indicator: Indicator, quarter: Quarter) -> list[Month]:
    if indicator.grain == "year":
        return list(FinancialYear(quarter.fy_start - 1).months)
    return list(quarter.months)


def ytd_months(indicator: Indicator, quarter: Quarter) -> list[Month]:
    if indicator.grain == "year":
        return value_months(indicator, quarter)
    return month_range(Month(quarter.fy_start, 4), quarter.months[-1])


def trend_months(quarter: Quarter) -> list[Month]:
    return month_range(quarter.months[-1].shift(-5), quarter.months[-1])


def a_year_before(months: list[Month]) -> list[Month]:
    return [month.shift(-12) for month in months]


# ---------------------------------------------------------------------------- availability


def availability(indicator: Indicator, months: list[Month], statuses: dict[tuple[str, str], tuple[str, str]],
                 cadences: dict[str, str]) -> Availability:
    """The worst status of the indicator's sources over ``months``; a period never ingested is unavailable. An
    indicator that looks back (``look_back``) is also incomplete where its sources have no data over the months
    before ``months`` that it looks back to (:func:`look_back_gaps`)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for source in indicator.sources:
        for month in months:
            status, reason = statuses.get((source, str(month))) or (
                "unavailable", f"No {source} data has been ingested for {source_period(cadences[source], month)}.")
            found.setdefault((status, reason, source), []).append(str(month))
    for source, reason in look_back_gaps(indicator, months, statuses, cadences):
        found.setdefault(("incomplete", reason, source), [])
    worst = max(STATUSES.index(status) for status, _, _ in found)
    picked = [(reason, source) for (status, reason, source) in found if STATUSES.index(status) == worst]
    reasons = list(dict.fromkeys(reason for reason, _ in picked))
    return Availability(STATUSES[worst], " ".join(reasons), tuple(dict.fromkeys(source for _, source in picked)))


def look_back_gaps(indicator: Indicator, months: list[Month], statuses: dict[tuple[str, str], tuple[str, str]],
                   cadences: dict[str, str]) -> list[tuple[str, str]]:
    """(source, reason) for each source of the indicator's ``look_back`` that has no data (not available or
    incomplete) in some of the ``look_back.months`` before a month of ``months``: the figure may be understated
    over those months, e.g. "Repeat referrals look back 12 months; marac_referrals data are loaded only from
    2013/14 Q1, so repeat referrals in 2013/14 Q1 to 2013/14 Q4 may be understated."
    """
    rule = indicator.look_back
    if rule is None:
        return []
    gaps = []
    for source in rule.sources:
        def loaded(month: Month, source: str = source) -> bool:
            return (statuses.get((source, str(month))) or ("", ""))[0] in WITH_DATA

        missing: set[Month] = set()
        understated = []
        for month in months:
            before = [month.shift(-back) for back in range(1, rule.months + 1)]
            if not all(map(loaded, before)):
                missing.update(m for m in before if not loaded(m))
                understated.append(month)
        if not understated:
            continue
        first = min((Month.parse(period) for (name, period), (status, _) in statuses.items()
                     if name == source and status in WITH_DATA), default=None)
        cadence = cadences[source]
        said = []
        if first is None:
            said.append(f"no {source} data are loaded")
        elif any(month < first for month in missing):
            said.append(f"{source} data are loaded only from {source_period(cadence, first)}")
        if first is not None and any(month > first for month in missing):
            said.append(f"{source} has no data for {_runs(sorted(m for m in missing if m > first), cadence)}")
        gaps.append((source, f"{rule.what[:1].upper()}{rule.what[1:]} look back {rule.months} months; "
                             f"{' and '.join(said)}, so {rule.what} in {_runs(understated, cadence)} may be "
                             "understated."))
    return gaps


def _runs(months: list[Month], cadence: str) -> str:
    """Sorted months as the source periods they fall in, consecutive ones as a range: '2013/14 Q1 to 2013/14 Q4'."""
    runs: list[list[Month]] = []
    for month in months:
        if runs and runs[-1][-1].shift(1) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    labels = [(source_period(cadence, run[0]), source_period(cadence, run[-1])) for run in runs]
    return ", ".join(first if first == last else f"{first} to {last}" for first, last in labels)


def source_period(cadence: str, month: Month) -> str:
    """The label of the source period (month, quarter or financial year) a month falls in."""
    if cadence == "monthly":
        return str(month)
    if cadence == "quarterly":
        return str(month.quarter)
    return financial_year_label(month.financial_year)


def status_by_month(rows: Iterable[dict]) -> dict[tuple[str, str], tuple[str, str]]:
    """``audit.source_status`` rows (a month, quarter or year each) as (source, month) -> (status, reason)."""
    found = {}
    for row in rows:
        for month in parse_any(row["period"]).months:
            found[(row["source"], str(month))] = (row["status"], row["reason"])
    return found


# ---------------------------------------------------------------------------- figures and statistics


def figures(observations: dict[tuple[str, str], list[dict]], indicator: Indicator, districts: list[str],
            months: list[Month]) -> Figures:
    """Sum the districts' observations whose period starts in ``months`` (a missing one counts 0)."""
    wanted = {month.start for month in months}
    total = Figures()
    for district in districts:
        for row in observations.get((indicator.id, district), ()):
            if row["period_start"] not in wanted:
                continue
            numerator, denominator = row["numerator"] or 0.0, row["denominator"] or 0.0
            total.numerator += numerator
            total.denominator += denominator
            if row["persons"] is not None:
                total.persons = (total.persons or 0) + int(row["persons"])
            if row["weight_squares"] is not None:
                total.weight_squares = (total.weight_squares or 0.0) + row["weight_squares"]
            month = Month.of(row["period_start"])
            before = total.months.get(month, (0.0, 0.0))
            total.months[month] = (before[0] + numerator, before[1] + denominator)
    if indicator.person_level and total.persons is None:
        total.persons = 0
    return total


def own_year(months: list[Month]) -> int:
    """The mid-year estimate a figure over ``months`` is per: the year its financial year starts in
    (2015/16 -> mid-2015, which lies in it)."""
    return months[0].financial_year


def population(indicator: Indicator, area: Area, year: int) -> Population:
    """The area's residents (females, for a per-10,000-females rate) in ``year``'s mid-year estimate, else in
    the nearest year that has one (ties: the earlier), with a note saying so."""
    females = indicator.unit == "rate_per_10000_females"
    estimates = {y: pair[1] if females else pair[0] for y, pair in area.by_year.items()}
    estimates = {y: n for y, n in estimates.items() if n} or {
        BASE_YEAR: area.females if females else area.population}
    used = min(estimates, key=lambda y: (abs(y - year), y))
    if used == year:
        return Population(estimates[used], used)
    if females:
        which = ("latest" if used < year and used == max(estimates) else
                 "earliest" if used > year and used == min(estimates) else "nearest")
        return Population(estimates[used], used, f"females: mid-{used} estimate used, the {which} with a female split")
    return Population(estimates[used], used, f"mid-{used} estimate used: no estimate for {year} in the reference data")


def value_of(indicator: Indicator, figures: Figures, area: Area, year: int) -> float | None:
    """The figure in the indicator's unit; a rate is per the population of ``year`` (:func:`population`)."""
    if indicator.unit == "count":
        return figures.numerator
    if indicator.unit in PER:
        return figures.numerator / population(indicator, area, year).count * PER[indicator.unit]
    return 100 * figures.numerator / figures.denominator if figures.denominator else None


def interval(indicator: Indicator, figures: Figures, area: Area, year: int) -> tuple[float, float, str] | None:
    """The 95% interval of the value, in its unit, and the method's name."""
    events = round(figures.numerator)
    method = "exact Poisson" if events < statistics.EXACT_BELOW else "Byar"
    if indicator.interval == "poisson":
        if indicator.unit == "count":
            return (*statistics.count_interval(events), method)
        per = PER[indicator.unit]
        return (*statistics.rate_interval(events, population(indicator, area, year).count, per=per), method)
    if not figures.denominator:
        return None
    if indicator.interval == "reduction":
        followup = round(figures.denominator - figures.numerator)
        low, high = statistics.count_interval(followup)
        method = "exact Poisson" if followup < statistics.EXACT_BELOW else "Byar"
        base = figures.denominator
        return 100 * (base - high) / base, 100 * (base - low) / base, f"{method} on follow-up offences"
    if figures.weight_squares:
        effective_n = figures.denominator**2 / figures.weight_squares
        low, high = statistics.weighted_wilson_interval(100 * figures.numerator / figures.denominator, effective_n)
        return low, high, "Wilson (Kish effective n)"
    low, high = statistics.wilson_interval(figures.numerator, figures.denominator)
    return 100 * low, 100 * high, "Wilson"


def six_month_trend(indicator: Indicator, figures: Figures, area: Area, months: list[Month], complete: bool,
                    confidence: float) -> str:
    counts, offsets = [], []
    for month in months:
        numerator, denominator = figures.months.get(month, (0.0, 0.0))
        counts.append(numerator)
        # a rate's offset is the population of the month's own year: a window may cross a financial year
        offsets.append(denominator if indicator.unit == "percent"
                       else population(indicator, area, month.financial_year).count)
    if any(offset <= 0 for offset in offsets):
        return "cannot be calculated"
    return statistics.trend(counts, offsets, indicator.polarity, complete=complete, confidence=confidence)


def trend_basis(indicator: Indicator, quarter: Quarter, confidence: float) -> str:
    if indicator.grain == "month":
        first, last = trend_months(quarter)[0], trend_months(quarter)[-1]
        return (f"six months {first.start:%b %Y} to {last.start:%b %Y}: Poisson regression slope, "
                f"Wald test at {confidence:.0%}")
    if indicator.grain == "quarter":
        return "quarterly figures: no six-month trend; see the change on the same quarter last year"
    return "annual cohort: no six-month trend; see the change on the previous cohort"


def target_text(indicator: Indicator, quarter: Quarter) -> tuple[str, str]:
    year = financial_year_label(quarter.fy_start)
    target = indicator.targets.get(year)
    if target is None:
        return "none", f"no target set for {year}"
    if target.kind == "reduce_by_percent":
        return target.kind, f"year to date {target.percent:g}% below last year's"
    if target.kind == "within_range":
        return target.kind, f"year to date within {value_range(target.low, target.high, indicator.unit)}"
    if target.kind == "beat_previous_cohort":
        return target.kind, "better than the previous cohort"
    return target.kind, "no target: monitored only"


def _rounded(value: float | None) -> float | None:
    """Six decimals: the same figure from either engine (sums of weights may differ in the last bits)."""
    return None if value is None else round(float(value), 6)


# ---------------------------------------------------------------------------- the quarter


def _indexed(observations: list[dict], status_rows: list[dict]) -> tuple[dict, dict[tuple[str, str], list[dict]]]:
    """The statuses by (source, month) and the observations by (indicator, district)."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    for row in observations:
        by_key.setdefault((row["indicator_id"], row["district_code"]), []).append(row)
    return status_by_month(status_rows), by_key


def protect(quarter: Quarter, catalogue: Catalogue, observations: list[dict], status_rows: list[dict],
            areas: list[Area], cadences: dict[str, str]) -> disclosure.Model:
    """Disclosure control for the quarter's publication (and the ones it is linked to): which person-level
    figures are withheld (``safer_communities.dashboard.disclosure``)."""
    statuses, by_key = _indexed(observations, status_rows)

    def has_data(indicator: Indicator, months: list[Month]) -> bool:
        return availability(indicator, months, statuses, cadences).status in WITH_DATA

    model = disclosure.build_model(quarter, catalogue, by_key, has_data, COUNTY,
                                   [area.code for area in areas if area.code != COUNTY])
    return disclosure.protect(model)


def build(quarter: Quarter, catalogue: Catalogue, observations: list[dict], status_rows: list[dict],
          areas: list[Area], cadences: dict[str, str], run_id: str, version: str,
          computed_at: datetime, pattern: disclosure.Model | None = None) -> tuple[list[dict], list[dict]]:
    """The dashboard rows and the summary rows of one quarter (pure: no I/O). ``pattern``: the disclosure
    control's decisions (:func:`protect`), worked out here when not given."""
    pattern = pattern or protect(quarter, catalogue, observations, status_rows, areas, cadences)
    statuses, by_key = _indexed(observations, status_rows)
    districts = [area for area in areas if area.code != COUNTY]
    county = next(area for area in areas if area.code == COUNTY)
    confidence = catalogue.trend_confidence
    stamp = {"run_id": run_id, "code_version": version, "computed_at": computed_at}
    rows: list[dict] = []
    order = 0
    for priority in catalogue.priorities:
        for indicator in priority.indicators:
            order += 1
            indicator_rows = [
                _row(quarter, priority, indicator, order, area,
                     [area.code] if area.type == "district" else [d.code for d in districts],
                     by_key, statuses, cadences, confidence)
                for area in [county, *districts]
            ]
            for row in indicator_rows:
                _withhold(indicator, quarter, row, pattern)
            _compare(indicator, indicator_rows, county, {area.code: area for area in districts},
                     own_year(value_months(indicator, quarter)))
            for row in indicator_rows:
                row["value_display"] = _published(indicator, row, catalogue.small_numbers.threshold)
                row.update(stamp)
                row.pop("_figures")
            rows.extend(indicator_rows)
    summary = summarise(quarter, catalogue, rows, stamp)
    for row in rows:
        row.pop("_sources")
    return rows, summary


def figure_spans(indicator: Indicator, quarter: Quarter) -> dict[str, list[Month]]:
    """The months behind each figure a quarter's row shows: its value, year to date, last year's value and the
    previous value a target is set from (last year's year to date, or the previous cohort)."""
    months, ytd = value_months(indicator, quarter), ytd_months(indicator, quarter)
    return {"value": months, "ytd": ytd, "last_year": a_year_before(months), "previous": a_year_before(ytd)}


def months_read(indicator: Indicator, quarter: Quarter) -> set[Month]:
    """Every month whose data can change something the quarter publishes for the indicator: its figures
    (:func:`figure_spans`), the six-month trend and monthly series, the months its records look back over
    (``look_back``) and, for a person-level figure, every cell its disclosure control weighs
    (``disclosure.quarters_published_with``)."""
    months = {month for span in figure_spans(indicator, quarter).values() for month in span}
    if indicator.grain == "month":
        months.update(trend_months(quarter))
    if indicator.counts and indicator.grain != "year":
        months.update(month for step in disclosure.quarters_published_with(quarter) for month in step.months)
    if indicator.look_back:
        months.update(month.shift(-back) for month in list(months) for back in range(1, indicator.look_back.months + 1))
    return months


def dependent_quarters(source: str, period: str, catalogue: Catalogue, as_of: date) -> list[Quarter]:
    """The ended quarters (before ``as_of``) whose dashboard reads the source's period, from the catalogue's
    windows (:func:`months_read`): its own quarter, the later quarters of its financial year (year to date),
    those whose trend or look-back covers it, the next year's (last year's value, the target's base,
    disclosure control) and, for an annual cohort, the two years it is shown and compared in."""
    span = parse_any(period)
    delivered = set(span.months)
    readers = [indicator for indicator in catalogue.indicators
               if source in indicator.sources or (indicator.look_back and source in indicator.look_back.sources)]
    found, quarter = [], span.months[0].quarter
    horizon = Quarter(span.months[-1].financial_year + 3, 4)  # no window reaches further than three years on
    while quarter <= horizon and quarter.end < as_of:
        if any(delivered & months_read(indicator, quarter) for indicator in readers):
            found.append(quarter)
        quarter = following(quarter)
    return found


def _withhold(indicator: Indicator, quarter: Quarter, row: dict, pattern: disclosure.Model) -> None:
    """Which of the row's figures disclosure control withholds: the quarter's value, the year to date, last
    year's value, the previous value a target is set from, and the trend (when any of its months is)."""
    def hidden(months: list[Month]) -> str | None:
        return pattern.suppression((indicator.id, row["area_code"], months[0], months[-1]))

    spans = figure_spans(indicator, quarter)
    row["suppression"] = hidden(spans["value"])
    row["suppressed"] = row["suppression"] is not None
    for figure in ("ytd", "last_year", "previous"):
        row[f"{figure}_suppression"] = hidden(spans[figure])
    row["trend_suppressed"] = indicator.grain == "month" and any(hidden([m]) for m in trend_months(quarter))


def audit_publication(pattern: disclosure.Model, catalogue: Catalogue, quarter: Quarter, rows: list[dict],
                      monthly: list[dict]) -> int:
    """The disclosure audit over what the quarter's rows publish, as ``mart.dashboard_published`` and the
    exports show them, together with what the publications it is linked to show; raises
    :class:`disclosure.DisclosureError` before anything is written. Returns how many hidden quantities it checked."""
    indicators = {indicator.id: indicator for indicator in catalogue.indicators}
    figures = set(pattern.shown_figures())
    for row in rows:
        indicator = indicators[row["indicator_id"]]
        if not indicator.counts:
            continue
        shown = {"value": row["value"] is not None and not row["suppressed"],
                 "ytd": row["ytd_value"] is not None and not row["ytd_suppression"],
                 "last_year": row["last_year_value"] is not None and not row["last_year_suppression"],
                 "previous": row["previous_value"] is not None and not row["previous_suppression"]}
        for figure, span in figure_spans(indicator, quarter).items():
            if shown[figure]:
                figures.add((indicator.id, row["area_code"], span[0], span[-1]))
    for row in monthly:
        if row["value"] is not None and not row["suppressed"] and indicators[row["indicator_id"]].counts:
            month = Month.of(row["month_start"])
            figures.add((row["indicator_id"], row["area_code"], month, month))
    unknown = sorted(str(key) for key in figures if key not in pattern.figures)
    if unknown:
        raise disclosure.DisclosureError(f"publication refused: figures outside the disclosure model: {unknown[:3]}")
    return disclosure.audit(pattern, {cell for key in figures for cell in pattern.figures[key]})


def published_judgements(row: dict) -> tuple[str | None, str | None]:
    """The row's on-track status and trend as ``mart.dashboard_published`` shows them (None: withheld)."""
    judged_on_previous = row["previous_suppression"] and row["target_kind"] in JUDGED_ON_PREVIOUS
    on_track = None if row["ytd_suppression"] or judged_on_previous else row["on_track"]
    trend = None if row["suppressed"] or row["trend_suppressed"] else row["trend"]
    return on_track, trend


def _row(quarter: Quarter, priority, indicator: Indicator, order: int, area: Area, members: list[str],
         by_key, statuses, cadences, confidence: float) -> dict:
    months = value_months(indicator, quarter)
    now = availability(indicator, months, statuses, cadences)
    current = figures(by_key, indicator, members, months)
    has_data = now.status in WITH_DATA
    value = value_of(indicator, current, area, own_year(months)) if has_data else None
    bounds = interval(indicator, current, area, own_year(months)) if value is not None else None

    last_months = a_year_before(months)
    last = availability(indicator, last_months, statuses, cadences)
    last_figures = figures(by_key, indicator, members, last_months)
    last_value = value_of(indicator, last_figures, area, own_year(last_months)) if last.status in WITH_DATA else None
    change = value - last_value if value is not None and last_value is not None else None

    ytd = ytd_months(indicator, quarter)
    ytd_state = availability(indicator, ytd, statuses, cadences)
    ytd_figures = figures(by_key, indicator, members, ytd)
    ytd_value = value_of(indicator, ytd_figures, area, own_year(ytd)) if ytd_state.status in WITH_DATA else None
    base = a_year_before(ytd)
    base_state = availability(indicator, base, statuses, cadences)
    base_figures = figures(by_key, indicator, members, base)
    previous = value_of(indicator, base_figures, area, own_year(base)) if base_state.status == "available" else None

    kind, text = target_text(indicator, quarter)
    target = indicator.targets.get(financial_year_label(quarter.fy_start))
    judged = on_track(target, indicator.polarity, ytd_value, previous, available=ytd_state.status == "available",
                      unit=indicator.unit)
    reason = judged.reason
    if ytd_state.status == "incomplete":
        reason = f"data incomplete: {ytd_state.reason}"
    elif ytd_state.status not in WITH_DATA:
        reason = f"data not available: {ytd_state.reason}"

    trend = "cannot be calculated"
    if indicator.grain == "month" and has_data:
        window = trend_months(quarter)
        complete = availability(indicator, window, statuses, cadences).status == "available"
        trend = six_month_trend(indicator, figures(by_key, indicator, members, window), area, window, complete,
                                confidence)

    return {
        "quarter_label": str(quarter), "quarter_start": quarter.start, "priority_id": priority.id,
        "priority_name": priority.name, "indicator_id": indicator.id, "indicator_name": indicator.name,
        "sort_order": order, "area_code": area.code, "area_name": area.name, "area_type": area.type,
        "unit": indicator.unit, "polarity": indicator.polarity, "status": now.status, "status_reason": now.reason,
        "value": _rounded(value), "numerator": _rounded(current.numerator) if has_data else None,
        "denominator": _rounded(_denominator(indicator, current, area, own_year(months))) if has_data else None,
        **_population_used(indicator, area, months, has_data, last_value is not None or previous is not None),
        "interval_lower": _rounded(bounds[0]) if bounds else None,
        "interval_upper": _rounded(bounds[1]) if bounds else None,
        "interval_method": bounds[2] if bounds else None,
        "last_year_value": _rounded(last_value), "change": _rounded(change),
        "change_percent": _rounded(100 * change / last_value) if change is not None and last_value else None,
        "ytd_value": _rounded(ytd_value),
        "ytd_numerator": _rounded(ytd_figures.numerator) if ytd_value is not None else None,
        "ytd_denominator": (_rounded(_denominator(indicator, ytd_figures, area, own_year(ytd)))
                            if ytd_value is not None else None),
        "previous_value": _rounded(previous), "target_kind": kind, "target_value": _rounded(judged.target),
        "target_text": text, "on_track": judged.rag, "on_track_reason": reason, "trend": trend,
        "trend_basis": trend_basis(indicator, quarter, confidence),
        "comparison": None, "comparison_basis": None, "district_rank": None, "districts_ranked": None,
        "persons": current.persons if indicator.person_level and has_data else None,
        "_figures": current, "_sources": now.sources,
    }


def _denominator(indicator: Indicator, figures: Figures, area: Area, year: int) -> float | None:
    """A rate's denominator is the population it is per (``year``'s, or the nearest); a percentage's, its count."""
    if indicator.unit in PER:
        return population(indicator, area, year).count
    return figures.denominator if indicator.unit == "percent" else None


def _population_used(indicator: Indicator, area: Area, months: list[Month], shown: bool, last_shown: bool) -> dict:
    """A rate row's ``population_year`` (the mid-year estimate its value is per) and ``population_note`` (why a
    figure of the row is not per its own year's: the value, year to date, or last year's figures)."""
    if indicator.unit not in PER:
        return {"population_year": None, "population_note": None}
    now = population(indicator, area, own_year(months))  # the year to date is in the same financial year
    last = population(indicator, area, own_year(a_year_before(months)))
    notes = [now.note] if shown and now.note else []
    if last_shown and last.note and last.note != now.note:
        notes.append(f"last year's figures: {last.note}")
    return {"population_year": now.year if shown else None, "population_note": "; ".join(notes) or None}


def _compare(indicator: Indicator, rows: list[dict], county: Area, districts: dict[str, Area], year: int) -> None:
    """Each district against the county by its 95% interval, and its rank among the districts.

    Counts are compared as rates per 1,000 residents (districts differ in size) of ``year`` (:func:`population`).
    """
    county_row = rows[0]
    if county_row["value"] is None or county_row["suppressed"]:
        return
    per_head = indicator.unit == "count"
    if per_head:
        residents = population(indicator, county, year)
        county_level = county_row["_figures"].numerator / residents.count * 1000
        basis = f"rate per 1,000 residents ({residents.note or f'mid-{residents.year} estimate'}), 95% interval"
    else:
        county_level = county_row["value"]
        basis = f"{county_row['interval_method']} 95% interval"
    ranked = []
    for row in rows[1:]:  # ranked among the districts whose figure is published: a withheld one is not placed
        if row["value"] is None or row["interval_method"] is None or row["suppressed"]:
            continue
        area = districts[row["area_code"]]
        if per_head:
            events, residents = round(row["_figures"].numerator), population(indicator, area, year).count
            level = row["_figures"].numerator / residents * 1000
            bounds = statistics.rate_interval(events, residents, per=1000)
        else:
            level, bounds = row["value"], (row["interval_lower"], row["interval_upper"])
        row["comparison"] = statistics.compare(bounds, county_level, level, indicator.polarity)
        row["comparison_basis"] = basis
        ranked.append((level, row))
    for level, row in ranked:  # 1 = the best (low is good: the lowest; otherwise the highest); ties share
        ahead = sum(1 for other, _ in ranked if (other < level if indicator.polarity == "low" else other > level))
        row["district_rank"], row["districts_ranked"] = 1 + ahead, len(ranked)


def _published(indicator: Indicator, row: dict, threshold: int) -> str:
    if row["status"] not in WITH_DATA:
        return "n/a"
    if row["suppression"] == "primary":
        return f"<{threshold}"
    if row["suppression"] == "secondary":
        return "[c]"
    return display(row["value"], indicator.unit)


def build_monthly(quarter: Quarter, catalogue: Catalogue, observations: list[dict], status_rows: list[dict],
                  areas: list[Area], cadences: dict[str, str], run_id: str, version: str,
                  computed_at: datetime, pattern: disclosure.Model | None = None) -> list[dict]:
    """The six months to the quarter's end of every monthly indicator, per area and month (pure: no I/O)."""
    pattern = pattern or protect(quarter, catalogue, observations, status_rows, areas, cadences)
    statuses, by_key = _indexed(observations, status_rows)
    districts = [area.code for area in areas if area.code != COUNTY]
    stamp = {"run_id": run_id, "code_version": version, "computed_at": computed_at}
    window = trend_months(quarter)
    rows: list[dict] = []
    for order, indicator in enumerate((i for p in catalogue.priorities for i in p.indicators), start=1):
        if indicator.grain != "month":
            continue
        series = []
        for area in areas:
            members = districts if area.code == COUNTY else [area.code]
            for month in window:
                state = availability(indicator, [month], statuses, cadences)
                found = figures(by_key, indicator, members, [month])
                has_data = state.status in WITH_DATA
                value = value_of(indicator, found, area, month.financial_year) if has_data else None
                series.append({
                    "quarter_label": str(quarter), "indicator_id": indicator.id,
                    "indicator_name": indicator.name, "sort_order": order, "area_code": area.code,
                    "area_name": area.name, "area_type": area.type, "unit": indicator.unit,
                    "polarity": indicator.polarity, "month_start": month.start, "status": state.status,
                    "status_reason": state.reason, "value": _rounded(value),
                    "numerator": _rounded(found.numerator) if has_data else None,
                    "denominator": (_rounded(_denominator(indicator, found, area, month.financial_year))
                                    if has_data else None),
                    **_population_used(indicator, area, [month], has_data, False),
                    "persons": found.persons if indicator.person_level and has_data else None,
                    "suppression": pattern.suppression((indicator.id, area.code, month, month)), **stamp,
                })
        for row in series:
            row["suppressed"] = row["suppression"] is not None
            row["value_display"] = _published(indicator, row, catalogue.small_numbers.threshold)
        rows.extend(series)
    return rows


def summarise(quarter: Quarter, catalogue: Catalogue, rows: list[dict], stamp: dict) -> list[dict]:
    """County-level counts per priority, and overall (``all``)."""
    county = [row for row in rows if row["area_code"] == COUNTY]
    summary = [_summary_row(quarter, "all", "All priorities", 0, county, None)]
    for number, priority in enumerate(catalogue.priorities, start=1):
        mine = [row for row in county if row["priority_id"] == priority.id]
        summary.append(_summary_row(quarter, priority.id, priority.name, number, mine, priority.no_measures))
    for row in summary:
        row.update(stamp)
    return summary


def _summary_row(quarter: Quarter, priority_id: str, name: str, order: int, rows: list[dict],
                 note: str | None) -> dict:
    with_data = [row for row in rows if row["status"] in WITH_DATA]
    missing = [row for row in rows if row["status"] not in WITH_DATA]
    judged = [published_judgements(row) for row in rows]  # never count a withheld judgement
    reasons = dict.fromkeys(f"{source} ({row['status']}): {row['status_reason']}"
                            for row in missing for source in row["_sources"])
    return {
        "quarter_label": str(quarter), "priority_id": priority_id, "priority_name": name, "sort_order": order,
        "indicators": len(rows), "with_data": len(with_data),
        "on_track": sum(rag == "green" for rag, _ in judged),
        "amber": sum(rag == "amber" for rag, _ in judged),
        "red": sum(rag == "red" for rag, _ in judged),
        "no_target": sum(row["target_kind"] == "none" for row in with_data),
        "not_available": len(missing),
        "improving": sum(trend == "improving" for _, trend in judged),
        "worsening": sum(trend == "worsening" for _, trend in judged),
        "unavailable_reasons": " | ".join(reasons) or None, "note": note or None,
    }


# ---------------------------------------------------------------------------- I/O


def read_inputs(warehouse: Warehouse, quarter: Quarter) -> tuple[list[dict], list[dict], list[Area]]:
    """The quarter's observations, the sources' statuses and the areas, read in one snapshot: a load that
    commits meanwhile is seen whole or not at all."""
    first, last = data_window(quarter)
    with warehouse.snapshot() as connection:
        observations = query(connection, OBSERVATIONS_SQL, {"first_month": first.start, "last_month": last.start})
        # each status with the file it is about: the publication's manifest is of the same state as the figures
        statuses = query(connection, SQL_DIR / "audit" / "source_files.sql")
        area_rows = query(connection, AREAS_SQL)
        estimates = query(connection, POPULATION_SQL)
    by_year: dict[str, dict[int, tuple[int | None, int | None]]] = {}
    for e in estimates:  # the county's are the sums of its districts' (sql/load/reference.sql)
        by_year.setdefault(e["area_code"], {})[int(e["year"])] = (e["persons"], e["females"])
    districts = [r for r in area_rows if r["area_type"] == "district"]
    areas = []
    for r in area_rows:
        members = districts if r["area_code"] == COUNTY else [r]
        areas.append(Area(r["area_code"], r["area_name"], r["area_type"],
                          sum(m["population_mid2014"] for m in members), sum(m["females_mid2014"] for m in members),
                          by_year.get(r["area_code"], {})))
    return observations, statuses, sorted(areas, key=lambda a: (a.code != COUNTY, a.name))


def compute(warehouse: Warehouse, quarter: Quarter, run_id: str, catalogue: Catalogue | None = None,
            export_dir: Path | None = None) -> dict[str, Any]:
    """Recompute one quarter: read its inputs in one snapshot, replace its mart rows in one transaction, then
    publish its export (a new version, or the latest kept when nothing published changed: ``version``,
    ``new_version``); under the quarter's lock, so two computations of one quarter never interleave."""
    # One computation of a quarter at a time, whoever starts it: read, decide, write and export as one step,
    # so a second run waits and then reads what the first wrote.
    with warehouse.exclusive(f"dashboard:{quarter}"):
        catalogue = catalogue or load_catalogue()
        cadences = {name: source.cadence for name, source in default_registry().items()}
        observations, statuses, areas = read_inputs(warehouse, quarter)
        arguments = (quarter, catalogue, observations, statuses, areas, cadences, run_id, code_version(),
                     datetime.now(UTC).replace(tzinfo=None, microsecond=0))
        pattern = protect(quarter, catalogue, observations, statuses, areas, cadences)
        rows, summary = build(*arguments, pattern=pattern)
        monthly = build_monthly(*arguments, pattern=pattern)
        audited = audit_publication(pattern, catalogue, quarter, rows, monthly)  # before anything is written
        with warehouse.begin() as connection:
            from sqlalchemy import text

            for table, columns, table_rows in zip(MART_TABLES, (COLUMNS, MONTHLY_COLUMNS, SUMMARY_COLUMNS),
                                                  (rows, monthly, summary), strict=True):
                connection.execute(text(f"DELETE FROM {table} WHERE quarter_label = :quarter"),
                                   {"quarter": str(quarter)})
                bulk_copy_rows(connection, table, list(columns), ([row[c] for c in columns] for row in table_rows))
        published = export(warehouse, quarter, export_dir, sources=statuses)
        # the analysts' read-only copy of an embedded warehouse, refreshed whole (warehouse.publish_copy)
        copy = publish_copy(warehouse)
    overall = next(row for row in summary if row["priority_id"] == "all")
    withheld = sum(row["suppressed"] and row["status"] in WITH_DATA for row in rows)
    return {"quarter": str(quarter), "rows": len(rows), "files": [str(f) for f in published.files],
            "version": published.number, "new_version": published.new, "withheld": withheld, "audited": audited,
            "published_copy": str(copy) if copy else None,
            **{key: overall[key] for key in ("indicators", "with_data", "on_track", "not_available")}}


def export_folder(quarter: Quarter, root: Path | None = None) -> Path:
    """The quarter's export folder: its versions ``v1``, ``v2``, ..., ``latest`` and ``changelog.md``."""
    return (root or home() / "exports" / "dashboard") / quarter.slug


def latest_export(quarter: Quarter, root: Path | None = None) -> Path:
    """The quarter's newest export (the ``latest`` link): read the export through it."""
    return latest(export_folder(quarter, root))


EXPORTS = (  # file name, the view it is read from, its order
    ("dashboard", "mart.dashboard_published", "sort_order, area_type, area_name"),
    ("monthly", "mart.dashboard_monthly_published", "sort_order, area_type, area_name, month_start"),
    ("summary", "mart.dashboard_summary", "sort_order"),
)
EXPORT_README = "README.md"  # beside the files: their columns, types and meanings (dictionary.export_readme)


def _csv_column(column: str, kind: str) -> str:
    """A column as the CSV shows it: a whole DOUBLE (a count, a rank) without ``.0``; others as typed."""
    if kind != "DOUBLE":
        return f"CAST({column} AS {kind}) AS {column}"
    value = f"CAST({column} AS DOUBLE)"
    return (f"CASE WHEN {value} = trunc({value}) AND abs({value}) < 1e15 THEN CAST(CAST({value} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({value} AS VARCHAR) END AS {column}")


def export(warehouse: Warehouse, quarter: Quarter, root: Path | None = None,
           sources: list[dict] | None = None) -> Version:
    """Publish the quarter's published rows, monthly series and summary as CSV and Parquet (DuckDB writes both):
    a new version of its export folder, with its manifest and change log (``safer_communities.dashboard.publication``),
    unless they are the latest version's, which stays. The version's ``files`` are the CSV and Parquet files.
    ``sources``: the source statuses and files the figures were computed from (``read_inputs``), else read
    now, with the rows."""
    import duckdb
    import pandas as pd

    with warehouse.snapshot() as connection:  # the rows and the source periods behind them, as one state
        tables = {name: query(connection, f"SELECT * FROM {view} WHERE quarter_label = :quarter ORDER BY {order}",
                              {"quarter": str(quarter)}) for name, view, order in EXPORTS}
        sources = publication.source_periods(quarter, sources if sources is not None
                                             else query(connection, publication.SOURCE_FILES_SQL))
    version = publication.plan(export_folder(quarter, root), "dashboard export", tables, sources,
                               publication.stamp(quarter, tables["summary"]))
    names = [f"{name}.{suffix}" for name, _, _ in EXPORTS for suffix in ("csv", "parquet")]
    if not version.new:
        version.files = [version.path / name for name in names]
        return version

    def write(folder: Path) -> list[Path]:
        written = []
        for name, rows in tables.items():
            columns = list(rows[0]) if rows else []
            frame = pd.DataFrame(rows, columns=columns, dtype=object)  # noqa: F841 (read by DuckDB below)
            types = {column: EXPORT_TYPES[name].get(column, "VARCHAR") for column in columns}
            typed = ", ".join(f"CAST({column} AS {kind}) AS {column}" for column, kind in types.items())
            as_csv = ", ".join(_csv_column(column, kind) for column, kind in types.items())
            with duckdb.connect() as connection:
                for suffix, select, options in (("csv", as_csv, "FORMAT csv, HEADER true"),
                                                ("parquet", typed, "FORMAT parquet")):
                    path = folder / f"{name}.{suffix}"
                    quoted = str(path).replace("'", "''")
                    connection.execute(f"COPY (SELECT {select} FROM frame) TO '{quoted}' ({options})")
                    written.append(path)
        with warehouse.snapshot() as connection:  # the columns' meanings, read only when a version is written
            mart = dictionary.read(connection, ("mart",))
        readme = dictionary.export_readme(mart, {name: view for name, view, _ in EXPORTS}, EXPORT_TYPES,
                                          f"Dashboard export, {quarter}")
        (folder / EXPORT_README).write_text(readme, encoding="utf-8")
        return written

    version.files = publication.publish(version, write)
    return version
