"""The quarterly board report: one self-contained HTML page per quarter, from the published mart.

It reads only ``mart.dashboard_published`` (the dashboard with small numbers hidden),
``mart.dashboard_monthly_published`` (the six-month series behind the trend charts),
``mart.dashboard_summary`` (the counts behind the Overall Performance Summary) and
``audit.source_glance`` (the data-availability table, and the dashboard's readiness by its
reporting date, ``safer_communities.dashboard.readiness``); never the staging or core layers. The
officer's commentary for the quarter (``safer_communities.publish.commentary``) is merged in its place.

It is a board paper: dated by the quarter's reporting date (the board meeting), in plain words
(sources by their titles in the registry, reasons without file paths, figures with their units and
bases), with the method and the run details in "About this report" at the end. :func:`context` is
pure: it turns those rows into the sentences, sections and tables the template
(``templates/report.html.j2``, Jinja2 with autoescape) lays out. The page has inline CSS, no scripts
and no external resources; it prints on A4 with page numbers and reads on a phone. The RAG status and
the trend each have a symbol as well as a colour, so the page reads in greyscale.

Unavailable data is never shown as a number or as on track: its value is ``n/a`` with the reason,
and its status is grey whatever the row says.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.dashboard import publication, readiness
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.dashboard.publication import latest
from safer_communities.periods import Quarter, financial_year_label, parse_any
from safer_communities.publish import commentary as officer
from safer_communities.publish import explain, quality_docs
from safer_communities.publish.pages import environment
from safer_communities.publish.wording import (
    AREA_ORDER,
    COUNTY_TYPE,
    RAG,
    RATES_AND_SHARES,
    SIGNIFICANT_TRENDS,
    TREND,
    TREND_WORDS,
    UNIT_WORDS,
    comparison_phrase,
    direction,
    figure,
    has_data,
    hidden_because,
    indicator_sentence,
    plain_reason,
    rag_of,
    suppression_legend,
    why_no_data,
)
from safer_communities.settings import home
from safer_communities.sources.availability import glance_for
from safer_communities.sources.registry import default_registry
from safer_communities.warehouse import query

if TYPE_CHECKING:
    from safer_communities.dashboard.indicators import Catalogue
    from safer_communities.dashboard.readiness import Readiness
    from safer_communities.publish.commentary import Commentary
    from safer_communities.sources.registry import Source
    from safer_communities.warehouse import Warehouse

TEMPLATE = "report.html.j2"
ATTRIBUTION = [
    "Police recorded crime and anti-social behaviour: data.police.uk (Leicestershire Police). Contains public "
    "sector information licensed under the Open Government Licence v3.0.",
    "Population estimates (ONS mid-2014 and mid-2015) and the LSOA to local authority district lookup: Office for "
    "National Statistics. Contains public sector information licensed under the Open Government Licence v3.0.",
    "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
]


def _quarter(quarter: Quarter | str) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))


def quarter_title(quarter: Quarter) -> str:
    """'2015/16 Quarter 1', as a board paper names it."""
    return f"{financial_year_label(quarter.fy_start)} Quarter {quarter.number}"


# ---------------------------------------------------------------------------- reading


def read(warehouse: Warehouse, quarter: Quarter | str) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """The quarter's published rows, its monthly series, its summary rows and the availability of every
    source period in it."""
    label = str(_quarter(quarter))
    rows = warehouse.query(
        f"SELECT * FROM mart.dashboard_published WHERE quarter_label = :q ORDER BY sort_order, {AREA_ORDER}",
        {"q": label})
    monthly = warehouse.query(
        f"SELECT * FROM mart.dashboard_monthly_published WHERE quarter_label = :q "
        f"ORDER BY sort_order, {AREA_ORDER}, month_start", {"q": label})
    summary = warehouse.query(
        "SELECT * FROM mart.dashboard_summary WHERE quarter_label = :q ORDER BY sort_order", {"q": label})
    glance = warehouse.query(
        "SELECT source, period, status, reason, last_loaded_at, last_rows_loaded, critical_failures, warnings, "
        "quarantined_rows FROM audit.source_glance ORDER BY source, period")
    return rows, monthly, summary, glance


def availability_rows(quarter: Quarter | str, glance: list[dict], sources: dict[str, Any]) -> list[dict]:
    """Every registered source's periods within the quarter, as ``safer-communities status QUARTER`` lists
    them (``availability.glance_for``), each with its title, its reason in plain words and the link to its
    data-quality page once a run decided it."""
    rows = glance_for([str(_quarter(quarter))], glance, sources)
    for row in rows:
        row["title"] = sources[row["source"]].title
        row["plain_reason"] = "" if row["status"] == "available" else plain_reason(row["status"], row["reason"])
        # the data-quality page, relative to reports/<quarter>/<version>/ (write() puts it at quality/<source>/)
        row["quality_href"] = (None if row["status"] == "not ingested"
                               else f"../../../quality/{row['source']}/{parse_any(row['period']).slug}.html")
    return rows


def _unavailable(county: list[dict], catalogue: Catalogue, sources: dict[str, Source]) -> list[dict]:
    """The indicators without data, grouped by their sources' titles and the plain reason."""
    by_id = {indicator.id: indicator for indicator in catalogue.indicators}
    groups: dict[tuple[str, str], list[str]] = {}
    for row in county:
        if has_data(row):
            continue
        indicator = by_id.get(row["indicator_id"])
        titles = ", ".join(sources[name].title for name in indicator.sources) if indicator else ""
        groups.setdefault((titles, why_no_data(row)), []).append(row["indicator_name"])
    return [{"sources": titles, "reason": why, "indicators": names} for (titles, why), names in groups.items()]


def summary_sentences(overall: dict, county: list[dict], quarter: Quarter) -> dict[str, Any]:
    """The Overall Performance Summary, from the summary row 'all' and the county's published rows: significant
    changes first (six-month trends, monitored indicators too, then changes on last year), then the targets,
    then what data there is."""
    total, with_data = overall["indicators"], overall["with_data"]
    judged = overall["on_track"] + overall["amber"] + overall["red"]
    sentences = []
    trending = [row for row in county if has_data(row) and row["trend"] in SIGNIFICANT_TRENDS]
    for row in trending:
        monitored = " (monitored: no target)" if row["target_kind"] == "none" else ""
        sentences.append(f"{row['indicator_name']}: {TREND_WORDS[row['trend']]} significantly over the last six "
                         f"months{monitored}; {figure(row)} this quarter.")
    changed = [row for row in county if direction(row) in ("improved", "worsened", "increased", "decreased")]
    for row in changed:
        sentences.append(f"Compared with last year, {row['indicator_name']} {direction(row)} significantly: "
                         f"{figure(row)}, {comparison_phrase(row)}.")
    steady = [row for row in county if direction(row) == "little change"]
    if steady:
        sentences.append("Little change on last year (within the range chance alone would give): "
                         + "; ".join(f"{row['indicator_name']} ({figure(row)}, {comparison_phrase(row)})"
                                     for row in steady) + ".")
    if not trending and not changed:
        sentences.append("No indicator with data shows a significant change, over the last six months or "
                         "on last year.")
    if judged == 0:
        sentences.append("None of the indicators with data can be judged against a target this quarter.")
    else:
        if 2 * overall["on_track"] > judged:
            share = "the majority of indicators are on track"
        elif 2 * overall["on_track"] == judged:
            share = "half of the indicators are on track"
        elif overall["on_track"]:
            share = "a minority of indicators are on track"
        else:
            share = "none of the indicators is on track"
        sentences.append(f"Where performance information is available, {share} "
                         f"({overall['on_track']} of {judged} with a target: {overall['on_track']} on track, "
                         f"{overall['amber']} amber, {overall['red']} red).")
    if with_data == total:
        sentences.append(f"Performance information is available for all {total} indicators.")
    elif 2 * with_data < total:
        sentences.append(f"Little performance information is currently available for {quarter_title(quarter)}: "
                         f"{with_data} of {total} indicators have data.")
    else:
        sentences.append(f"Performance information is available for {with_data} of {total} indicators.")
    return {"sentences": sentences}


# ---------------------------------------------------------------------------- the page


def _cell(row: dict, notes: dict[str, int], links: dict[tuple[str, str], str]) -> dict:
    rag = rag_of(row)
    note = None
    if not has_data(row):
        note = notes.setdefault(why_no_data(row), len(notes) + 1)
    shown = row["value_display"] if has_data(row) else "n/a"
    if row["suppression"] == "primary" and row["unit"] != "count":
        shown += " people"  # "<5" in a column of percentages or rates would read as a value
    return {"display": shown, "rag": rag, "symbol": RAG[rag][0],
            "rag_text": RAG[rag][1], "status": row["status"], "note": note, "area": row["area_name"],
            "suppression": row["suppression"], "href": links.get((row["indicator_id"], row["area_code"]))}


# ---------------------------------------------------------------------------- charts (inline SVG)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis ticks covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _tick(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "percent" else text


def _svg(width: float, height: float, title: str, description: str, ident: str, body: list[str],
         font_size: int = 12) -> str:
    """An inline SVG with its title and description (read by screen readers), scaling down on a narrow screen."""
    return (f'<svg class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" font-family="Arial, Helvetica, sans-serif" '
            f'font-size="{font_size}"><title id="{ident}-title">{html_escape(title)}</title>'
            f'<desc id="{ident}-desc">{html_escape(description)}</desc>{"".join(body)}</svg>')


def comparison_chart(indicator_rows: list[dict]) -> dict[str, Any] | None:
    """The district comparison chart of a rate or a percentage: each district's value with its 95% interval
    and the county's value as a line, all in the same measure (the Fingertips picture). A count is not drawn
    against the county (the county's count is the districts' sum): None, as when nothing can be drawn.

    Only published figures: a hidden district is named with the reason, not drawn.
    """
    county = next((r for r in indicator_rows if r["area_type"] == COUNTY_TYPE), None)
    districts = [r for r in indicator_rows if r["area_type"] != COUNTY_TYPE]
    drawn = [r for r in districts if r["value"] is not None and r["interval_lower"] is not None and has_data(r)]
    if county is None or county["value"] is None or not drawn or county["unit"] not in RATES_AND_SHARES:
        return None
    unit = county["unit"]
    ticks = nice_ticks(min([county["value"], *(r["interval_lower"] for r in drawn)]),
                       max([county["value"], *(r["interval_upper"] for r in drawn)]))
    low, high = ticks[0], ticks[-1]
    label_width, plot_width, row_height, top = 180, 380, 19, 26
    width, height = label_width + plot_width + 120, top + row_height * len(drawn) + 30

    def x(value: float) -> float:
        return round(label_width + (value - low) / (high - low) * plot_width, 1)

    body = []
    for tick in ticks:
        body.append(f'<line x1="{x(tick)}" y1="{top - 6}" x2="{x(tick)}" y2="{height - 24}" stroke="#ddd"/>'
                    f'<text x="{x(tick)}" y="{height - 8}" text-anchor="middle" fill="#444">{_tick(tick, unit)}</text>')
    body.append(f'<line class="county-line" data-value="{county["value"]}" x1="{x(county["value"])}" y1="{top - 8}" '
                f'x2="{x(county["value"])}" y2="{height - 24}" stroke="#111" stroke-dasharray="4 3"/>'
                f'<text x="{x(county["value"])}" y="{top - 12}" text-anchor="middle">'
                f'{html_escape(county["area_name"])} {html_escape(county["value_display"])}</text>')
    for number, row in enumerate(drawn):
        y = top + number * row_height + row_height / 2
        body.append(f'<text x="{label_width - 8}" y="{y + 4}" text-anchor="end">{html_escape(row["area_name"])}</text>'
                    f'<line x1="{x(row["interval_lower"])}" y1="{y}" x2="{x(row["interval_upper"])}" y2="{y}" '
                    f'stroke="#444" stroke-width="2"/>'
                    f'<circle class="district" data-area="{html_escape(row["area_name"])}" data-value="{row["value"]}" '
                    f'cx="{x(row["value"])}" cy="{y}" r="4" fill="#111"/>'
                    f'<text x="{label_width + plot_width + 8}" y="{y + 4}">{html_escape(row["value_display"])} '
                    f'{html_escape(row["comparison"] or "")}</text>')
    hidden = [r for r in districts if r not in drawn]
    words = UNIT_WORDS[unit]
    name = county["indicator_name"]
    caption = (f"{name} ({words}): each district's value, with the range it would fall in 19 times out of 20 by "
               f"chance (its 95% interval); the dashed line is {county['area_name']} ({county['value_display']}). "
               "A district is higher or lower than the county only where its range does not reach the line; "
               "otherwise similar.")
    if hidden:
        caption += " Not drawn: " + "; ".join(
            f"{r['area_name']} ({hidden_because(r) if r['suppressed'] else 'no data'})" for r in hidden) + "."
    description = "; ".join(f"{r['area_name']} {r['value_display']} ({r['comparison'] or 'not compared'})"
                            for r in drawn)
    svg = _svg(width, height, f"{name}: districts compared with {county['area_name']}",
               f"{county['area_name']} {county['value_display']}; {description}.", f"cmp-{county['indicator_id']}",
               body)
    return {"name": name, "id": county["indicator_id"], "unit": unit, "county_value": county["value"], "svg": svg,
            "caption": caption, "hidden": [r["area_name"] for r in hidden]}


def trend_chart(series: list[dict], county_row: dict) -> dict[str, Any] | None:
    """The six-month trend of one indicator as small multiples: the county's panel first, then one panel per
    district, each line in black on the same months. Rates and percentages share one scale and each district's
    panel shows the county's line in grey for reference; for a count the county has its own scale (it is the
    districts' sum). A month without data is a grey band, never a 0. None when no month has a published value.

    Only published figures: a hidden month is not drawn (the line breaks) and is named in the caption.
    """
    months = sorted({row["month_start"] for row in series})
    drawn = [row for row in series if row["value"] is not None and has_data(row)]
    if not drawn:
        return None
    unit = county_row["unit"]
    areas = list(dict.fromkeys(row["area_name"] for row in series))
    cells = {(row["area_name"], row["month_start"]): row for row in series}
    county = next(row["area_name"] for row in series if row["area_type"] == COUNTY_TYPE)
    areas = [county, *(area for area in areas if area != county)]
    shared = unit in RATES_AND_SHARES

    def top_of(names: list[str]) -> float:
        values = [row["value"] for row in drawn if row["area_name"] in names]
        return nice_ticks(0, max(values, default=1) or 1, 2)[-1]

    if shared:
        scales = dict.fromkeys(areas, top_of(areas))
    else:
        scales = {**dict.fromkeys(areas, top_of(areas[1:])), county: top_of([county])}
    columns, panel_width, panel_height, gap_x, gap_y, left = 4, 150, 55, 22, 40, 40
    rows_of_panels = math.ceil(len(areas) / columns)
    width = columns * (left + panel_width + gap_x)
    height = rows_of_panels * (panel_height + gap_y) + 4
    step = panel_width / len(months)

    def points(area: str) -> list[tuple[int, dict]]:
        return [(index, cells[(area, month)]) for index, month in enumerate(months)
                if (area, month) in cells and cells[(area, month)]["value"] is not None
                and has_data(cells[(area, month)])]

    body = []
    for number, area in enumerate(areas):
        ox = (number % columns) * (left + panel_width + gap_x) + left
        oy = (number // columns) * (panel_height + gap_y) + 18
        high = scales[area]

        def x(index: int, ox: float = ox) -> float:
            return round(ox + step * (index + 0.5), 1)

        def y(value: float, oy: float = oy, high: float = high) -> float:
            return round(oy + panel_height - value / high * panel_height, 1)

        is_county = area == county
        weight = ' font-weight="bold"' if is_county else ""
        body.append(f'<text x="{ox}" y="{oy - 6}"{weight}>{html_escape(area)}</text>')
        for index, month in enumerate(months):
            if not has_data(cells.get((county, month), {"status": "n/a"})):
                body.append(f'<rect class="not-available" data-month="{month:%Y-%m}" '
                            f'x="{round(ox + step * index, 1)}" y="{oy}" width="{round(step, 1)}" '
                            f'height="{panel_height}" fill="#e4e4e4"/>')
        for tick in (0.0, high):
            body.append(f'<line x1="{ox}" y1="{y(tick)}" x2="{ox + panel_width}" y2="{y(tick)}" stroke="#ccc"/>'
                        f'<text x="{ox - 4}" y="{y(tick) + 4}" text-anchor="end" fill="#444" font-size="10">'
                        f'{_tick(tick, unit)}</text>')
        body.append(f'<text x="{x(0)}" y="{oy + panel_height + 13}" text-anchor="middle" font-size="10">'
                    f'{months[0]:%b}</text><text x="{x(len(months) - 1)}" y="{oy + panel_height + 13}" '
                    f'text-anchor="middle" font-size="10">{months[-1]:%b}</text>')
        lines = [(county, "#aaa", 1.5)] if shared and not is_county else []
        lines.append((area, "#000", 2.5 if is_county else 2))
        for name, stroke, stroke_width in lines:
            found = points(name)
            segment: list[str] = []
            for position, (index, row) in enumerate(found):
                segment.append(f"{x(index)},{y(row['value'])}")
                if position + 1 == len(found) or found[position + 1][0] != index + 1:  # a gap ends the line
                    if len(segment) > 1:
                        body.append(f'<polyline class="{"series" if name == area else "reference"}" '
                                    f'data-area="{html_escape(name)}" fill="none" stroke="{stroke}" '
                                    f'stroke-width="{stroke_width}" points="{" ".join(segment)}"/>')
                    segment = []
            if name == area:
                for index, row in found:
                    body.append(f'<circle class="point" data-area="{html_escape(area)}" '
                                f'data-month="{row["month_start"]:%Y-%m}" data-value="{row["value"]}" '
                                f'cx="{x(index)}" cy="{y(row["value"])}" r="2.5" fill="#000"/>')
    hidden: dict[str, dict[str, list[str]]] = {}
    for row in series:
        if row["suppressed"] and has_data(row):
            hidden.setdefault(hidden_because(row), {}).setdefault(row["area_name"], []).append(
                f"{row['month_start']:%b}")
    first, last = months[0], months[-1]
    name = county_row["indicator_name"]
    scale = ("one scale for every panel; in each district's panel the grey line is the county"
             if shared else f"the districts share one scale; {county}, their sum, has its own")
    caption = (f"{name}, monthly ({UNIT_WORDS[unit]}), {first:%B %Y} to {last:%B %Y}: {county} first, then each "
               f"district ({scale}); a grey band is a month without data (n/a).")
    for why, found in sorted(hidden.items()):  # a month's name is enough within six months
        caption += f" Months not drawn, {why}: " + "; ".join(
            f"{area} ({', '.join(months_hidden)})" for area, months_hidden in found.items()) + "."
    symbol = TREND.get(county_row["trend"] or "", ("", ""))[0]
    description = "; ".join(
        f"{area}: " + ", ".join(f"{row['month_start']:%b} {row['value_display']}" for _, row in points(area))
        for area in areas)
    svg = _svg(width, height, f"{name}, monthly, {first:%B %Y} to {last:%B %Y}", description,
               f"trend-{county_row['indicator_id']}", body, font_size=11)
    return {"name": name, "id": county_row["indicator_id"], "svg": svg, "caption": caption,
            "trend": f"{symbol} {county_row['trend']}" if county_row["trend"] else None}


def _still_to_write(commentary: Commentary, county: list[dict]) -> list[str]:
    """What the officer has not written yet: the overall message, the recommendations, the contact, and a note
    for each red, amber or significantly changed indicator."""
    missing = [part for part, written in (("the overall message", commentary.overall),
                                          ("the recommendations", commentary.recommendations),
                                          ("the officer to contact", commentary.contact)) if not written]
    for row in county:
        why = []
        if rag_of(row) in ("red", "amber"):
            why.append(rag_of(row))
        if has_data(row) and row["trend"] in SIGNIFICANT_TRENDS:
            why.append(f"{TREND_WORDS[row['trend']]} significantly over six months")
        if direction(row) in ("improved", "worsened", "increased", "decreased"):
            why.append(f"{direction(row)} significantly on last year")
        if why and row["indicator_id"] not in commentary.indicators:
            missing.append(f"a note on {row['indicator_name']} ({', '.join(why)})")
    return missing


def context(quarter: Quarter | str, rows: list[dict], monthly: list[dict], summary: list[dict],
            availability: list[dict], as_of: date, ready: Readiness, threshold: int = 5, *,
            catalogue: Catalogue, sources: dict[str, Source], commentary: Commentary,
            links: dict[tuple[str, str], str] | None = None) -> dict[str, Any]:
    """Everything the template shows (pure). ``as_of`` is the date the data is taken as at; the paper is dated
    by the quarter's reporting date (``ready.reporting_date``); ``threshold`` is the catalogue's small-number
    threshold (the legend's "<5"); ``links`` maps (indicator id, area code) to the page explaining the figure."""
    quarter = _quarter(quarter)
    if not rows or not summary:
        raise LookupError(f"no dashboard for {quarter} in the mart; compute it first "
                          f"(safer-communities dashboard {str(quarter)!r})")
    overall = next(line for line in summary if line["priority_id"] == "all")
    county = [row for row in rows if row["area_type"] == COUNTY_TYPE]
    areas = list(dict.fromkeys(row["area_name"] for row in sorted(
        rows, key=lambda r: (r["area_type"] != COUNTY_TYPE, r["area_name"]))))
    priorities = []
    for line in summary:
        if line["priority_id"] == "all":
            continue
        mine = [row for row in county if row["priority_id"] == line["priority_id"]]
        charts = [chart for row in mine if has_data(row) for chart in [comparison_chart(
            [r for r in rows if r["indicator_id"] == row["indicator_id"]])] if chart]
        trends = [chart for row in mine if has_data(row) for chart in [trend_chart(
            [m for m in monthly if m["indicator_id"] == row["indicator_id"]], row)] if chart]
        priorities.append({
            "id": line["priority_id"], "name": line["priority_name"], "note": line["note"],
            "commentary": officer.paragraphs(commentary.priorities.get(line["priority_id"], "")),
            "charts": charts, "trend_charts": trends,
            "indicators": [{
                "id": row["indicator_id"], "name": row["indicator_name"], "sentence": indicator_sentence(row),
                "rag": rag_of(row), "symbol": RAG[rag_of(row)][0], "rag_text": RAG[rag_of(row)][1],
                "commentary": officer.paragraphs(commentary.indicators.get(row["indicator_id"], "")),
            } for row in mine if has_data(row)],
            "unavailable": _unavailable(mine, catalogue, sources),
        })
    notes: dict[str, int] = {}
    table = []
    for row in county:
        cells = {r["area_name"]: _cell(r, notes, links or {}) for r in rows if r["indicator_id"] == row["indicator_id"]}
        table.append({"id": row["indicator_id"], "name": row["indicator_name"], "priority": row["priority_name"],
                      "unit": UNIT_WORDS[row["unit"]], "target": row["target_text"], "trend": row["trend"],
                      "trend_symbol": TREND.get(row["trend"], ("", ""))[0],
                      "cells": [cells.get(area) for area in areas]})
    methods = sorted({row["trend_basis"] for row in county})
    by_source: dict[str, list[dict]] = {}
    for row in availability:  # a reason said once for the periods of a source that share it
        shown = [r for r in by_source.get(row["source"], []) if r["plain_reason"] == row["plain_reason"]]
        by_source.setdefault(row["source"], []).append({**row, "same_reason": bool(shown)})
    excused = [p for p in ready.periods if p.outcome != "delivered"]
    return {
        "quarter": str(quarter), "title": quarter_title(quarter), "as_of": as_of,
        "meeting_date": ready.reporting_date, "first_month": quarter.start, "last_month": quarter.months[-1].start,
        "run_id": overall["run_id"], "code_version": overall["code_version"], "computed_at": overall["computed_at"],
        "summary": summary_sentences(overall, county, quarter),
        "overall": officer.paragraphs(commentary.overall),
        "unavailable": _unavailable(county, catalogue, sources),
        "priorities": priorities,
        "recommendations": list(commentary.recommendations), "contact": commentary.contact,
        "still_to_write": _still_to_write(commentary, county),
        "areas": areas, "table": table, "footnotes": sorted(notes.items(), key=lambda item: item[1]),
        "suppression": suppression_legend(threshold), "rag_legend": RAG, "trend_legend": TREND,
        "trend_methods": methods, "availability": list(by_source.values()), "attribution": ATTRIBUTION,
        "readiness": {"state": ready.state, "reason": plain_reason(ready.state, ready.reason),
                      "reporting_date": ready.reporting_date, "delivered": len(ready.periods) - len(excused),
                      "periods": [{"source": p.source, "title": sources[p.source].title, "period": p.period,
                                   "outcome": p.outcome, "status": p.status, "reason": plain_reason(p.status, p.reason)}
                                  for p in excused]},
    }


def render(warehouse: Warehouse, quarter: Quarter | str, as_of: date | None = None) -> str:
    """The quarter's board report as one self-contained HTML page."""
    return _render(quarter, *_inputs(warehouse, quarter), as_of)


def _inputs(warehouse: Warehouse, quarter: Quarter | str) -> tuple[list[dict], ...]:
    """What the page shows: published rows, monthly series, summary rows, the quarter's availability rows and
    every source period's (``audit.source_glance``, for the readiness)."""
    rows, monthly, summary, glance = read(warehouse, quarter)
    return rows, monthly, summary, availability_rows(quarter, glance, default_registry()), glance


def _render(quarter: Quarter | str, rows: list[dict], monthly: list[dict], summary: list[dict],
            availability: list[dict], glance: list[dict], as_of: date | None, version: dict | None = None,
            links: dict[tuple[str, str], str] | None = None) -> str:
    """The page; ``version`` (number, published, previous, changes) is the publication's line in the header.
    Without ``as_of`` the data is taken as at today or the reporting date, whichever is earlier."""
    quarter = _quarter(quarter)
    catalogue, sources, reporting = load_catalogue(), default_registry(), readiness.load_reporting()
    as_of = as_of or min(date.today(), readiness.reporting_date(quarter, reporting))
    ready = readiness.assess(quarter, as_of, glance, sources, catalogue, reporting)
    page = context(quarter, rows, monthly, summary, availability, as_of, ready, catalogue.small_numbers.threshold,
                   catalogue=catalogue, sources=sources, commentary=officer.load(quarter, catalogue), links=links)
    return environment().get_template(TEMPLATE).render(**page, version=version)


def report_folder(quarter: Quarter | str) -> Path:
    """The quarter's report folder: its versions ``v1``, ``v2``, ..., ``latest`` and ``changelog.md``."""
    return home() / "reports" / _quarter(quarter).slug


def report_path(quarter: Quarter | str, out_dir: Path | None = None) -> Path:
    """Where to read the report: ``out_dir/report.html``, else the quarter's latest version."""
    return (Path(out_dir) if out_dir else latest(report_folder(quarter))) / "report.html"


def write(warehouse: Warehouse, quarter: Quarter | str, out_dir: Path | str | None = None,
          as_of: date | None = None, pdf: bool = False) -> Path:
    """Publish the report as a new version of ``$SAFER_COMMUNITIES_HOME/reports/<quarter>/``
    (``safer_communities.dashboard.publication``: ``v<N>/report.html``, ``latest``, the change log), unless the
    published cells it shows are the latest version's, which stays; or write it to ``out_dir/report.html`` alone. With
    ``pdf``, its PDF beside it (printed by headless Chromium). Returns the page's path."""
    rows, monthly, summary, availability, glance = _inputs(warehouse, quarter)
    links = {(row["indicator_id"], row["area_code"]): explain.page_href(row["indicator_id"], row["area_code"])
             for row in rows}  # each appendix figure's chain, written beside the page
    if out_dir:
        path = Path(out_dir) / "report.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        explain.write_pages(warehouse, quarter, path.parent)
        path.write_text(_render(quarter, rows, monthly, summary, availability, glance, as_of, links=links),
                        encoding="utf-8")
        if pdf:
            write_pdf(path)
        return path
    for row in availability:  # the default layout: the availability page links to these
        if row["quality_href"]:
            quality_docs.write(warehouse, row["source"], row["period"])
    label = _quarter(quarter)
    with warehouse.exclusive(f"report:{label}"):  # one publisher of the quarter's report at a time
        with warehouse.snapshot() as connection:
            sources = publication.source_periods(label, query(connection, publication.SOURCE_FILES_SQL))
        as_of = as_of or date.today()
        version = publication.plan(report_folder(label), "board report",
                                   {"dashboard": rows, "monthly": monthly, "summary": summary}, sources,
                                   {**publication.stamp(label, summary), "as_of": as_of.isoformat()})
        if not version.new:
            path = version.path / "report.html"
            if pdf and not path.with_suffix(".pdf").exists():  # kept, but written without its PDF: add it whole
                _add_pdf(path)
            return path
        shown = {"number": version.number, "published": as_of, "previous": version.previous,
                 "changes": publication.summary(version) if version.previous else None}

        def write_files(folder: Path) -> list[Path]:
            page = folder / "report.html"
            pages = explain.write_pages(warehouse, label, folder)
            page.write_text(_render(quarter, rows, monthly, summary, availability, glance, as_of, shown, links),
                            encoding="utf-8")
            return [page, write_pdf(page), *pages] if pdf else [page, *pages]

        return publication.publish(version, write_files)[0]


def _add_pdf(page: Path) -> Path:
    """Print a published page's PDF in a scratch folder and move it beside the page in one step."""
    import os
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix=".pdf-", dir=page.parent.parent) as scratch:
        copy = Path(scratch) / page.name
        shutil.copyfile(page, copy)
        os.replace(write_pdf(copy), page.with_suffix(".pdf"))
    return page.with_suffix(".pdf")


# ---------------------------------------------------------------------------- the browser: PDF and pictures

# Headless Chromium, as the machine's closed network needs it: no background connections, a fresh profile.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")


class BrowserMissing(RuntimeError):
    """No Chromium to print the PDF with."""


def chromium() -> str:
    """The Chromium binary: ``$CHROMIUM``, else ``chromium`` on the PATH (Debian's package ``chromium``)."""
    import os
    import shutil

    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise BrowserMissing("no Chromium to print the PDF with: install Debian's 'chromium' (make system-deps) "
                             "or set CHROMIUM to its path")
    return found


def run_chromium(html: Path, *arguments: str, timeout: float = 120) -> str:
    """Open the page in headless Chromium with ``arguments``; return what it logged (console messages included)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:  # a helper may outlive the browser
        done = subprocess.run(
            [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
             *arguments, html.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed on {html} ({done.returncode}): {done.stderr[-2000:]}")
    return done.stderr


def write_pdf(html: Path) -> Path:
    """Print the report to ``report.pdf`` beside it (A4, the page's own print styles)."""
    pdf = html.with_suffix(".pdf")
    run_chromium(html, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF for {html}")
    return pdf
