"""Why a dashboard cell says what it says: the chain behind one published figure, as text or as a page.

``safer-communities explain QUARTER INDICATOR AREA`` (and the report's appendix, one page per cell) follows a
cell of ``mart.dashboard_published`` back to what it was computed from:

1. the published cell (a withheld value stays ``<5`` / ``[c]``, with why: the true value is never read);
2. how it was computed: the indicator's catalogue entry, its part of ``sql/mart/observations.sql`` (the
   indicator's ``SELECT`` and the ``WITH`` parts it reads), the run and code version of the row;
3. the source periods its value rests on (``readiness.indicator_periods``, and the months an indicator that
   looks back, the MARAC repeat rate, looks back over), each with its status and reason;
4. each period's files (``audit.pulled_file``), their validation results and quarantined lines, its
   completeness checks and loads, read as the data-quality page reads them (``quality_docs``).

:func:`explain` returns the chain (:class:`Chain`, plain dataclasses), read in one snapshot; :func:`text`
and :func:`render` lay it out. :func:`write_pages` writes a quarter's pages, one per published cell, at
``<folder>/explain/<indicator_id>/<area_code>.html`` (:func:`page_href`). Everything shown is publishable:
published figures only, no raw records (a file holding people has its failing values described, never
quoted, when they are stored), and no path of the working area (a status reason naming where a rejected file
is kept says ``$SAFER_COMMUNITIES_HOME/...``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.dashboard import OBSERVATIONS_SQL, source_period, value_months
from safer_communities.dashboard.indicators import display, load_catalogue
from safer_communities.dashboard.readiness import indicator_periods
from safer_communities.periods import Quarter, financial_year_label
from safer_communities.publish import quality_docs
from safer_communities.publish.pages import environment
from safer_communities.publish.quality_docs import OUTCOME, _outcome, _when
from safer_communities.publish.wording import AREA_ORDER, hidden_because, indicator_sentence
from safer_communities.settings import PROJECT_DIR, drop_dir, home
from safer_communities.sources.availability import NOT_INGESTED
from safer_communities.sources.contracts import load_contract
from safer_communities.sources.registry import default_registry
from safer_communities.warehouse import query

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from safer_communities.dashboard.indicators import Catalogue, Indicator
    from safer_communities.sources.registry import Source
    from safer_communities.warehouse import Warehouse

TEMPLATE = "explain.html.j2"
VALUE = "the quarter's value"
_CTE = re.compile(r"^(?:WITH\s+)?([a-z_][a-z0-9_]*)\s+AS\s+\($", re.IGNORECASE)


class UnknownCell(LookupError):
    """The quarter, indicator or area asked for has no published cell."""


# ---------------------------------------------------------------------------- the chain


@dataclass(frozen=True)
class SqlSection:
    """Lines ``first``..``last`` (1-based) of ``sql/mart/observations.sql``: the indicator's branch or a
    ``WITH`` part it reads."""

    name: str
    first: int
    last: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FileLink:
    """One file pulled for a source period, with what validation said of it."""

    sha256: str
    original_name: str
    rows: int
    bytes: int
    first_pulled_at: str
    last_pulled_at: str
    pull_count: int
    current: bool  # the file the period's status is about
    rules: tuple[dict[str, Any], ...]  # rule, severity, success, unexpected_count, message, outcome, symbol
    quarantine: tuple[dict[str, Any], ...]  # line, rules, detail (the first quality_docs.QUARANTINE_SHOWN)
    quarantined: int  # rows of the file held back (at least len(quarantine))


@dataclass(frozen=True)
class PeriodLink:
    """A source period the cell rests on: why (``role``), its status and everything recorded of it."""

    source: str
    period: str
    role: str  # the quarter's value, or what looks back over it
    status: str
    reason: str
    decided_at: str
    holds_people: bool  # its contract has person references: values described, never quoted
    files: tuple[FileLink, ...]
    checks: tuple[dict[str, Any], ...]  # check_name, passed, detail, outcome, symbol
    loads: tuple[dict[str, Any], ...]  # load_batch_id, file_sha256, rows_read, rows_loaded, ... newest first


@dataclass(frozen=True)
class Chain:
    """Everything behind one published dashboard cell."""

    quarter: str
    indicator_id: str
    indicator_name: str
    priority_name: str
    area_code: str
    area_name: str
    area_type: str
    cell: dict[str, Any]  # the row of mart.dashboard_published
    figures: tuple[tuple[str, str], ...]  # (label, text) of the published figures and judgements
    sentence: str  # the report's sentence for the cell
    hidden: str | None  # why the value is withheld, or None
    definition: tuple[tuple[str, str], ...]  # (field, text) of the catalogue entry
    sql_path: str  # relative to the project
    sql: tuple[SqlSection, ...]
    run_id: str
    code_version: str
    computed_at: str
    periods: tuple[PeriodLink, ...]


# ---------------------------------------------------------------------------- pure parts


def page_href(indicator_id: str, area_code: str) -> str:
    """A cell's page, relative to the folder given to :func:`write_pages`: ``explain/<indicator_id>/<area_code>.html``
    (the report's appendix links each figure to it)."""
    return f"explain/{indicator_id}/{area_code}.html"


def public(text: str | None) -> str:
    """Text without the working area's local paths (a rejected file's reason says where it is kept)."""
    shown = text or ""
    for folder, name in ((drop_dir(), "$SAFER_COMMUNITIES_DROP"), (home(), "$SAFER_COMMUNITIES_HOME")):
        shown = shown.replace(str(folder), name)
    return shown


def sql_sections(indicator_id: str, path: Path | None = None) -> list[SqlSection]:
    """The part of ``observations.sql`` that computes the indicator: its branch of the ``observations`` union
    (the ``SELECT`` naming it, or the category table row naming it, with the comment above), preceded by the
    ``WITH`` parts that branch reads, in file order. Empty when no branch names the indicator."""
    lines = (path or OBSERVATIONS_SQL).read_text(encoding="utf-8").splitlines()
    parts: dict[str, tuple[int, int]] = {}  # WITH part -> (first, last), 0-based
    start = name = None
    for number, line in enumerate(lines):
        found = _CTE.match(line.strip())
        if found and start is None:
            start, name = number, found[1]
        elif start is not None and line.strip() in (")", "),"):
            parts[name] = (start, number)
            start = None
    if "observations" not in parts:
        return []
    first, last = parts.pop("observations")
    branches, begun = [], first + 1
    for number in range(first + 1, last + 1):
        if lines[number].strip() == "UNION ALL" or number == last:
            branches.append((begun, number - 1))
            begun = number + 1
    quoted = re.compile(rf"'{re.escape(indicator_id)}'")
    mine = next(((a, b) for a, b in branches if any(quoted.search(lines[n]) for n in range(a, b + 1))), None)
    if mine is None:
        return []
    wanted: list[str] = []

    def reads(span: tuple[int, int]) -> None:
        body = "\n".join(lines[span[0]:span[1] + 1])
        for part, where in parts.items():
            if part not in wanted and where != span and re.search(rf"\b{part}\b", body):
                wanted.append(part)
                reads(where)

    reads(mine)
    spans = sorted([(parts[part], part) for part in wanted] + [(mine, indicator_id)])
    return [SqlSection(label, a + 1, b + 1, tuple(lines[a:b + 1])) for (a, b), label in spans]


def cell_periods(indicator: Indicator, quarter: Quarter, sources: dict[str, Source]) -> list[tuple[str, str, str]]:
    """(source, period, role) of every source period the cell rests on: the periods its value covers
    (``readiness.indicator_periods``) and, for an indicator whose records look back (``look_back``), the
    periods of the months it looks back over. A period in both is the value's."""
    found = {(source, period): VALUE for source, period in indicator_periods(indicator, quarter, sources)}
    rule = indicator.look_back
    if rule is not None:
        role = f"{rule.what} look back {rule.months} months"
        for month in value_months(indicator, quarter):
            for back in range(1, rule.months + 1):
                for source in rule.sources:
                    found.setdefault((source, source_period(sources[source].cadence, month.shift(-back))), role)
    return [(source, period, role) for (source, period), role in sorted(found.items())]


def definition(indicator: Indicator, quarter: Quarter, row: dict[str, Any]) -> list[tuple[str, str]]:
    """The catalogue entry as (field, text), with the quarter's target and the row's trend basis."""
    year = financial_year_label(quarter.fy_start)
    target = indicator.targets.get(year)
    fields = [("id", indicator.id), ("sources", ", ".join(indicator.sources)), ("grain", indicator.grain),
              ("unit", indicator.unit), ("numerator", indicator.numerator)]
    if indicator.denominator:
        fields.append(("denominator", indicator.denominator))
    fields += [("polarity", {"low": "low is good", "high": "high is good", "none": "none (no judgement)"}
                [indicator.polarity]), ("interval", f"{indicator.interval} (95%)")]
    if indicator.counts:
        counts = f"numerator {indicator.counts.numerator}"
        if indicator.counts.denominator:
            counts += f", denominator {indicator.counts.denominator}"
        fields.append(("person level", f"yes: disclosure control applies (counts: {counts}, of "
                                       f"{indicator.counts.of})"))
    if indicator.look_back:
        rule = indicator.look_back
        fields.append(("look back", f"{rule.months} months over {', '.join(rule.sources)} ({rule.what})"))
    fields.append((f"target {year}", f"{target.kind}: {row['target_text']}" if target else row["target_text"]))
    fields.append(("trend basis", row["trend_basis"]))
    return fields


def _number(value: float) -> str:
    """A count as a whole number (123), a weighted one with two decimals (57.25)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _shown(value: float | None, unit: str, withheld: str | None) -> str:
    if withheld:
        return "withheld to protect small numbers"
    return display(value, unit)


def figures(row: dict[str, Any]) -> list[tuple[str, str]]:
    """The published figures and judgements of a ``mart.dashboard_published`` row as (label, text); a withheld
    figure says so (the view has already emptied it)."""
    unit = row["unit"]
    value = row["value_display"]
    if row["suppressed"]:
        value += f" (hidden: {hidden_because(row)})"
    shown = [("value", value), ("unit", unit), ("status", f"{row['status']}: {public(row['status_reason'])}")]
    if row["numerator"] is not None:
        if unit == "percent":
            counts = f"{_number(row['numerator'])} of {_number(row['denominator'])}"
        elif row["denominator"] is not None:
            counts = f"{_number(row['numerator'])} per population {_number(row['denominator'])}"
            if row["population_year"]:
                counts += f" (ONS mid-{row['population_year']} estimate)"
        else:
            counts = _number(row["numerator"])
        shown.append(("counts", counts))
    elif row["suppressed"]:
        shown.append(("counts", "withheld to protect small numbers"))
    if row["population_note"]:
        shown.append(("population", row["population_note"]))
    if row["interval_lower"] is not None:
        shown.append(("95% interval", f"{display(row['interval_lower'], unit)} to "
                                      f"{display(row['interval_upper'], unit)} ({row['interval_method']})"))
    shown += [("last year", _shown(row["last_year_value"], unit, row["last_year_suppression"])),
              ("year to date", _shown(row["ytd_value"], unit, row["ytd_suppression"])),
              ("target", row["target_text"] + (f" ({display(row['target_value'], unit)})"
                                               if row["target_value"] is not None else "")),
              ("on track", f"{row['on_track']}: {public(row['on_track_reason'])}" if row["on_track"]
               else public(row["on_track_reason"]))]
    if row["trend"] is not None:
        shown.append(("trend", row["trend"]))
    elif row["suppressed"] or row["trend_suppressed"]:
        shown.append(("trend", "not shown: a month it is worked out from is withheld to protect small numbers"))
    if row["comparison"] is not None:
        rank = (f", ranked {row['district_rank']} of {row['districts_ranked']}" if row["district_rank"] is not None
                else "")
        shown.append(("against the county", f"{row['comparison']}{rank} ({row['comparison_basis']})"))
    return shown


def _file(found: dict[str, Any], current: bool, results: dict[str, list[dict]], quarantined: int | None) -> FileLink:
    ordered = sorted(results["rules"], key=lambda r: (r["expectation"] != "parse", r["scope"] != "file", r["rule"]))
    rules = tuple({"rule": r["rule"], "severity": r["severity"], "success": r["success"],
                   "unexpected_count": r["unexpected_count"], "message": public(r["message"]) or None,
                   **_outcome(r["success"], r["severity"])} for r in ordered)  # parse, file, row rules; by name
    lines = tuple({"line": q["line"], "rules": q["rules"], "detail": public(q["detail"]) or None}
                  for q in results["quarantine"])
    return FileLink(found["sha256"], found["original_name"], found["rows"], found["bytes"],
                    _when(found["first_pulled_at"]), _when(found["last_pulled_at"]), found["pull_count"], current,
                    rules, lines, max(quarantined or 0, len(lines)))


def _period(connection: Connection, source: Source, period: str) -> PeriodLink:
    """A source period as the data-quality page reads it (``quality_docs.read_rows``), every file with its own
    validation; a period no run has decided yet is ``not ingested``."""
    holds_people = load_contract(source.contract).has_person_refs
    try:
        rows = quality_docs.read_rows(connection, source.name, period)
    except LookupError:
        return PeriodLink(source.name, period, VALUE, NOT_INGESTED["status"], NOT_INGESTED["reason"], "-",
                          holds_people, (), (), ())
    status = rows["status"][0]
    files = []
    for found in rows["files"]:
        current = found["sha256"] == status["file_sha256"]
        results = rows if current else quality_docs.file_rows(connection, source.name, period, found["sha256"])
        counted = status["quarantined_rows"] if current else None
        files.append(_file(found, current, results, counted))
    checks = tuple({"check_name": c["check_name"], "passed": c["passed"], "detail": public(c["detail"]),
                    **quality_docs._outcome(c["passed"])} for c in rows["checks"])
    loads = tuple({key: b[key] for key in ("load_batch_id", "file_sha256", "rows_read", "rows_loaded",
                                           "rows_quarantined", "run_id")}
                  | {"loaded_at": quality_docs._when(b["loaded_at"])} for b in rows["loads"])
    return PeriodLink(source.name, period, VALUE, status["status"], public(status["reason"]),
                      quality_docs._when(status["decided_at"]), holds_people, tuple(files), checks, loads)


# ---------------------------------------------------------------------------- reading


def _quarter(quarter: Quarter | str) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))


def _published(connection: Connection, quarter: Quarter) -> list[dict[str, Any]]:
    """The quarter's published rows; :class:`UnknownCell` naming the computed quarters when there are none."""
    rows = query(connection, f"SELECT * FROM mart.dashboard_published WHERE quarter_label = :q "
                             f"ORDER BY sort_order, {AREA_ORDER}", {"q": str(quarter)})
    if rows:
        return rows
    computed = [r["quarter_label"] for r in query(
        connection, "SELECT DISTINCT quarter_label FROM mart.dashboard_summary ORDER BY quarter_label")]
    said = ("none yet" if not computed else ", ".join(computed) if len(computed) <= 12
            else f"{len(computed)} quarters, {computed[0]} to {computed[-1]}")
    raise UnknownCell(f"no dashboard for {quarter} in the mart; compute it first (safer-communities dashboard "
                      f"{str(quarter)!r}); computed: {said}")


def _known(catalogue: Catalogue, indicator_id: str) -> None:
    ids = [indicator.id for indicator in catalogue.indicators]
    if indicator_id not in ids:
        raise UnknownCell(f"unknown indicator {indicator_id!r}; the catalogue has {', '.join(ids)}")


def _cell(rows: list[dict[str, Any]], indicator_id: str, area: str) -> dict[str, Any]:
    """The published row of the indicator (its id) and the area (its code, or its name in any case)."""
    areas = {row["area_code"]: row["area_name"] for row in rows}
    wanted = area.strip().casefold()
    code = next((c for c, name in areas.items() if wanted in (c.casefold(), name.casefold())), None)
    if code is None:
        raise UnknownCell(f"unknown area {area!r}; give a code or a name: "
                          + ", ".join(f"{c} {name}" for c, name in areas.items()))
    row = next((r for r in rows if r["indicator_id"] == indicator_id and r["area_code"] == code), None)
    if row is None:
        raise UnknownCell(f"no published cell for {indicator_id}, {areas[code]} in {rows[0]['quarter_label']}: "
                          "the dashboard was computed before the indicator was catalogued; compute it again")
    return row


def _chain(connection: Connection, row: dict[str, Any], quarter: Quarter, catalogue: Catalogue,
           sources: dict[str, Source], periods: dict[tuple[str, str], PeriodLink]) -> Chain:
    """The chain of one published row; ``periods`` caches the source periods read (a quarter's cells share)."""
    indicator = next((i for i in catalogue.indicators if i.id == row["indicator_id"]), None)
    if indicator is None:
        raise UnknownCell(f"indicator {row['indicator_id']!r} of the {quarter} dashboard is no longer in the "
                          "catalogue; compute the quarter again")
    links = []
    for source, period, role in cell_periods(indicator, quarter, sources):
        if (source, period) not in periods:
            periods[(source, period)] = _period(connection, sources[source], period)
        links.append(replace(periods[(source, period)], role=role))
    return Chain(
        quarter=str(quarter), indicator_id=indicator.id, indicator_name=row["indicator_name"],
        priority_name=row["priority_name"], area_code=row["area_code"], area_name=row["area_name"],
        area_type=row["area_type"], cell=dict(row), figures=tuple(figures(row)),
        sentence=public(indicator_sentence(row)), hidden=hidden_because(row) if row["suppressed"] else None,
        definition=tuple(definition(indicator, quarter, row)),
        sql_path=OBSERVATIONS_SQL.relative_to(PROJECT_DIR).as_posix(), sql=tuple(sql_sections(indicator.id)),
        run_id=row["run_id"], code_version=row["code_version"], computed_at=f"{row['computed_at']:%Y-%m-%d %H:%M:%S}",
        periods=tuple(links))


def explain(warehouse: Warehouse, quarter: Quarter | str, indicator_id: str, area: str) -> Chain:
    """The chain behind the quarter's published cell of the indicator (its id) and the area (its ONS code or its
    name, in any case), read in one snapshot. Raises ``PeriodError`` for text that is no quarter and
    :class:`UnknownCell` (a ``LookupError``) for a quarter not computed, an unknown indicator or area."""
    quarter = _quarter(quarter)
    catalogue, sources = load_catalogue(), default_registry()
    _known(catalogue, indicator_id)  # before the warehouse: the mistake is named first
    with warehouse.snapshot() as connection:
        row = _cell(_published(connection, quarter), indicator_id, area)
        return _chain(connection, row, quarter, catalogue, sources, {})


def chains(warehouse: Warehouse, quarter: Quarter | str) -> list[Chain]:
    """The chain of every published cell of the quarter, in the dashboard's order, read in one snapshot."""
    quarter = _quarter(quarter)
    catalogue, sources = load_catalogue(), default_registry()
    periods: dict[tuple[str, str], PeriodLink] = {}
    with warehouse.snapshot() as connection:
        return [_chain(connection, row, quarter, catalogue, sources, periods)
                for row in _published(connection, quarter)]


# ---------------------------------------------------------------------------- text and page


def text(chain: Chain) -> str:
    """The chain as plain text, for the command line."""
    out = [f"{chain.indicator_name}, {chain.area_name} ({chain.area_code}, {chain.area_type}), {chain.quarter}",
           "", "1. The published cell (mart.dashboard_published)"]
    width = max(len(label) for label, _ in chain.figures)
    out += [f"  {label.ljust(width)}  {value}" for label, value in chain.figures]
    out += [f"  {chain.sentence}", "", "2. How it is computed", "  catalogue entry (include/config/indicators.yaml):"]
    width = max(len(label) for label, _ in chain.definition)
    out += [f"    {label.ljust(width)}  {value}" for label, value in chain.definition]
    if chain.sql:
        for section in chain.sql:
            out.append(f"  {chain.sql_path} lines {section.first}-{section.last} ({section.name}):")
            out += [f"    {number:4d}  {line}" for number, line in enumerate(section.lines, start=section.first)]
    else:
        out.append(f"  {chain.sql_path}: no part of it names {chain.indicator_id}")
    out += [f"  computed by run {chain.run_id}, code version {chain.code_version}, at {chain.computed_at}", "",
            "3. The source periods it rests on (audit.source_glance)"]
    for link in chain.periods:
        out.append(f"  {link.source} {link.period}: {link.status} ({link.role}) - {link.reason}")
    out += ["", "4. Files, validation, quarantine and loads of each source period"]
    for link in chain.periods:
        out += ["", f"  {link.source} {link.period} ({link.status}, decided {link.decided_at})"]
        if link.holds_people:
            out.append("    holds person references: failing values are described, never quoted; no raw records")
        if not link.files:
            out.append("    no file pulled")
        for found in link.files:
            out += [f"    file {found.original_name}  sha256 {found.sha256}",
                    f"      {found.rows:,} rows, {found.bytes:,} bytes; pulled {found.first_pulled_at}"
                    + (f" to {found.last_pulled_at} ({found.pull_count} pulls)" if found.pull_count > 1 else "")
                    + ("; the file the status is about" if found.current else "; not the file the status is about")]
            failed = sum(not r["success"] and r["severity"] == "critical" for r in found.rules)
            warned = sum(not r["success"] and r["severity"] != "critical" for r in found.rules)
            out.append(f"      validation: {len(found.rules)} rules, {len(found.rules) - failed - warned} passed, "
                       f"{failed} critical failed, {warned} warnings")
            out += [f"        {r['symbol']} {r['rule']} ({r['severity']}): {r['words']}, {r['unexpected_count']:,} "
                    f"unexpected" + (f" - {r['message']}" if r["message"] else "") for r in found.rules]
            if found.quarantined:
                more = (f"; the first {len(found.quarantine)} listed" if found.quarantined > len(found.quarantine)
                        else "")
                out.append(f"      quarantined: {found.quarantined:,} rows{more}")
                out += [f"        line {q['line']}: {q['rules']}" + (f" - {q['detail']}" if q["detail"] else "")
                        for q in found.quarantine]
            else:
                out.append("      quarantined: none")
        for check in link.checks:
            out.append(f"    completeness {check['symbol']} {check['check_name']}: {check['detail']}")
        for load in link.loads:
            out.append(f"    load {load['load_batch_id']}: file {load['file_sha256'][:12]}, {load['rows_read']:,} "
                       f"read, {load['rows_loaded']:,} loaded, {load['rows_quarantined']:,} quarantined, at "
                       f"{load['loaded_at']}, run {load['run_id']}")
        if link.files and not link.loads:
            out.append("    never loaded")
    return "\n".join(out)


def render(chain: Chain) -> str:
    """The chain as one self-contained HTML page (inline CSS, no scripts, no external resources)."""
    return environment().get_template(TEMPLATE).render(chain=chain, outcomes=OUTCOME)


def page_path(folder: Path | str, indicator_id: str, area_code: str) -> Path:
    """Where :func:`write_pages` writes a cell's page: ``<folder>/`` :func:`page_href`."""
    return Path(folder) / page_href(indicator_id, area_code)


def write_pages(warehouse: Warehouse, quarter: Quarter | str, folder: Path | str) -> list[Path]:
    """Write the page of every published cell of the quarter to ``<folder>/explain/<indicator_id>/<area_code>.html``
    and return their paths, in the dashboard's order."""
    written = []
    for chain in chains(warehouse, quarter):
        path = page_path(folder, chain.indicator_id, chain.area_code)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(chain), encoding="utf-8")
        written.append(path)
    return written
