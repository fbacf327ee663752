"""The quarterly board report: one self-contained HTML page per quarter, from the published mart.

It reads only ``mart.dashboard_published`` (the dashboard with small numbers hidden),
``mart.dashboard_monthly_published`` (the six-month series behind the trend charts),
``mart.dashboard_summary`` (the counts behind the Overall Performance Summary) and
``audit.source_glance`` (the data-availability page, and the dashboard's readiness by its
reporting date, ``safer_communities.readiness``); never the staging or core layers.
:func:`context` is pure: it turns those rows into the sentences, sections and tables the
template (``templates/report.html.j2``, Jinja2 with autoescape) lays out. The page has
inline CSS, no scripts and no external resources. The RAG status and the trend each have
a symbol as well as a colour, so the page reads in greyscale.

Unavailable data is never shown as a number or as on track: its value is ``n/a`` with a
footnote giving the reason, and its status is grey whatever the row says.
"""

from __future__ import annotations

from datetime import date
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safer_communities.availability import STATUS_WORDS
from safer_communities.indicators import display
from safer_communities.periods import Quarter
from safer_communities.settings import PACKAGE_DIR, home

if TYPE_CHECKING:
    from safer_communities.readiness import Readiness
    from safer_communities.warehouse import Warehouse

TEMPLATES_DIR = PACKAGE_DIR / "templates"
TEMPLATE = "report.html.j2"
WITH_DATA = ("available", "incomplete")
COUNTY_TYPE = "county"

# RAG: a colour class, a symbol distinct in shape (legible in greyscale) and words.
RAG = {
    "green": ("\u25cf", "on track"),  # ● black circle
    "amber": ("\u25b2", "missed by no more than 5% of the target"),  # ▲
    "red": ("\u25a0", "not on track: missed by more than 5%"),  # ■
    "grey": ("\u25cb", "not judged: no target, or no data"),  # ○
}
TREND = {
    "improving": ("\u2191", "improving (significant, in the good direction)"),  # ↑
    "worsening": ("\u2193", "worsening (significant, in the bad direction)"),  # ↓
    "increasing": ("\u2197", "increasing (significant; no judgement for this indicator)"),  # ↗
    "decreasing": ("\u2198", "decreasing (significant; no judgement for this indicator)"),  # ↘
    "no significant change": ("\u2192", "no significant change"),  # →
    "cannot be calculated": ("\u2013", "cannot be calculated (see the trend basis)"),  # –
}
SECONDARY = "withheld so that a small number elsewhere cannot be worked out"  # what "[c]" means


def hidden_because(row: dict) -> str:
    """Why a withheld figure is not shown: 'fewer than 5 people' ("<5", the threshold the mart used), or withheld
    to protect a small number elsewhere ("[c]")."""
    if row["suppression"] == "primary":
        return f"fewer than {row['value_display'].removeprefix('<')} people"
    return SECONDARY


def suppression_legend(threshold: int) -> dict[str, str]:
    """What "<5" (the catalogue's threshold) and "[c]" mean, for the page's legend."""
    return {f"<{threshold}": f"fewer than {threshold} people: hidden to protect individuals", "[c]": SECONDARY}
ATTRIBUTION = [
    "Police recorded crime and anti-social behaviour: data.police.uk (Leicestershire Police). Contains public "
    "sector information licensed under the Open Government Licence v3.0.",
    "Population estimates (ONS mid-2014 and mid-2015) and the LSOA to local authority district lookup: Office for "
    "National Statistics. Contains public sector information licensed under the Open Government Licence v3.0.",
    "Open Government Licence v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
]


def _quarter(quarter: Quarter | str) -> Quarter:
    return quarter if isinstance(quarter, Quarter) else Quarter.parse(str(quarter))


# ---------------------------------------------------------------------------- reading


AREA_ORDER = "CASE WHEN area_type = 'county' THEN 0 ELSE 1 END, area_name"


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
    them (``availability.glance_for``), each with the link to its data-quality page once a run decided it."""
    from safer_communities.availability import glance_for
    from safer_communities.periods import parse_any

    rows = glance_for([str(_quarter(quarter))], glance, sources)
    for row in rows:
        # the data-quality page, relative to reports/<quarter>/<version>/ (write() puts it at quality/<source>/)
        row["quality_href"] = (None if row["status"] == "not ingested"
                               else f"../../../quality/{row['source']}/{parse_any(row['period']).slug}.html")
    return rows


# ---------------------------------------------------------------------------- sentences


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def has_data(row: dict) -> bool:
    return row["status"] in WITH_DATA


def rag_of(row: dict) -> str:
    """The row's RAG, never green/amber/red without data (belt and braces over the mart's rule)."""
    rag = row["on_track"] if row["on_track"] in RAG else "grey"
    return rag if has_data(row) and row["value_display"] not in ("n/a",) else "grey"


def _is_cohort(row: dict) -> bool:
    return row["trend_basis"].startswith("annual cohort")


def comparison_phrase(row: dict) -> str | None:
    """'against 39.0% for the previous cohort' / 'against 67 in the same quarter last year' (published only)."""
    if not has_data(row) or row["value"] is None or row["last_year_value"] is None:
        return None
    before = display(row["last_year_value"], row["unit"])
    return f"against {before} for the previous cohort" if _is_cohort(row) else \
        f"against {before} in the same quarter last year"


def direction(row: dict) -> str | None:
    """'improved' / 'worsened' by polarity, 'increased' / 'decreased' without a judgement, on the change on
    last year; None without a comparison or without a change."""
    if row["status"] != "available" or row["value"] is None or row["change"] is None or row["change"] == 0:
        return None
    up = row["change"] > 0
    if row["polarity"] == "high":
        return "improved" if up else "worsened"
    if row["polarity"] == "low":
        return "worsened" if up else "improved"
    return "increased" if up else "decreased"


def indicator_sentence(row: dict) -> str:
    """E.g. 'Reduction in offending by the IOM cohort: 56.4%, against 39.0% for the previous cohort: on track.'"""
    name = row["indicator_name"]
    if not has_data(row):
        return f"{name}: n/a, {STATUS_WORDS.get(row['status'], row['status'])} (the reason is given above)."
    if row["suppressed"]:
        figure = f"{row['value_display']} (hidden: {hidden_because(row)})"
    else:
        figure = row["value_display"]
        compared = comparison_phrase(row)
        if compared:
            figure += f", {compared}"
    rag = rag_of(row)
    if row["status"] == "incomplete":  # the reason says which check failed, or which look-back is not loaded
        judgement = f"not judged, {row['on_track_reason'].rstrip('.')}"
    elif rag == "green":
        judgement = "on track"
    elif rag == "amber":
        judgement = "amber, just missing the target"
    elif rag == "red":
        judgement = "red, not on track"
    elif row["target_kind"] == "none":
        judgement = "monitored, no target"
    else:
        judgement = f"not judged ({row['on_track_reason']})"
    return f"{name}: {figure}: {judgement}."


def summary_sentences(overall: dict, county: list[dict], quarter: Quarter) -> dict[str, Any]:
    """The Overall Performance Summary, from the summary row 'all' and the county's published rows."""
    total, with_data = overall["indicators"], overall["with_data"]
    judged = overall["on_track"] + overall["amber"] + overall["red"]
    sentences = []
    if with_data == total:
        sentences.append(f"Performance information is available for all {total} indicators for {quarter}.")
    elif 2 * with_data < total:
        sentences.append(f"Little performance information is currently available for {quarter}: "
                         f"{with_data} of {total} indicators have data.")
    else:
        sentences.append(f"Performance information is available for {with_data} of {total} indicators "
                         f"for {quarter}.")
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
                         f"({overall['on_track']} of {judged} with a target).")
    sentences.append(f"Of the {_plural(with_data, 'indicator')} with data, {overall['on_track']} "
                     f"{'is' if overall['on_track'] == 1 else 'are'} on track, {overall['amber']} amber, "
                     f"{overall['red']} red and {overall['no_target']} monitored without a target.")
    improved = [row for row in county if direction(row) == "improved"]
    worsened = [row for row in county if direction(row) == "worsened"]
    improving = [row for row in county if row["trend"] == "improving"]
    worsening = [row for row in county if row["trend"] == "worsening"]
    for word, found in (("improved", improved), ("worsened", worsened)):
        if found:
            sentences.append(
                f"Compared with last year, {_plural(len(found), 'indicator')} {word}: "
                + "; ".join(f"{row['indicator_name']} ({row['value_display']}, {comparison_phrase(row)})"
                            for row in found) + ".")
    if improving or worsening:
        parts = []
        if improving:
            parts.append(f"improving: {', '.join(row['indicator_name'] for row in improving)}")
        if worsening:
            parts.append(f"worsening: {', '.join(row['indicator_name'] for row in worsening)}")
        sentences.append(f"Over the last six months, {overall['improving']} improving and {overall['worsening']} "
                         f"worsening significantly ({'; '.join(parts)}).")
    else:
        sentences.append("No indicator shows a significant improvement or worsening over the last six months.")
    reasons = [reason for reason in (overall["unavailable_reasons"] or "").split(" | ") if reason]
    missing = (f"{_plural(overall['not_available'], 'indicator')} "
               f"{'is' if overall['not_available'] == 1 else 'are'} not available, for these reasons:"
               if overall["not_available"] else None)
    return {"sentences": sentences, "missing": missing, "reasons": reasons}


# ---------------------------------------------------------------------------- the page


def _cell(row: dict, notes: dict[str, int]) -> dict:
    rag = rag_of(row)
    note = None
    if not has_data(row):
        note = notes.setdefault(f"{row['status']}: {row['status_reason']}", len(notes) + 1)
    return {"display": row["value_display"] if has_data(row) else "n/a", "rag": rag, "symbol": RAG[rag][0],
            "rag_text": RAG[rag][1], "status": row["status"], "note": note, "area": row["area_name"],
            "suppression": row["suppression"]}


# ---------------------------------------------------------------------------- charts (inline SVG)

COMPARISON_SHAPE = {"better": "●", "worse": "■", "similar": "○", "higher": "▲", "lower": "▼"}


def comparison_chart(indicator_rows: list[dict]) -> dict[str, Any] | None:
    """The district comparison chart of one indicator: each district's value with its 95% interval, and the
    county's value as a line (the Fingertips picture). Inline SVG, drawn here; None when nothing to draw.

    Only published figures: a hidden district is listed as hidden, not drawn.
    """
    county = next((r for r in indicator_rows if r["area_type"] == COUNTY_TYPE), None)
    districts = [r for r in indicator_rows if r["area_type"] != COUNTY_TYPE]
    drawn = [r for r in districts if r["value"] is not None and r["interval_lower"] is not None and has_data(r)]
    if county is None or county["value"] is None or not drawn:
        return None
    low = min([county["value"], *(r["interval_lower"] for r in drawn)])
    high = max([county["value"], *(r["interval_upper"] for r in drawn)])
    span = (high - low) or 1.0
    low, high = low - 0.05 * span, high + 0.05 * span
    label_width, plot_width, row_height, top = 190, 420, 22, 24
    width, height = label_width + plot_width + 90, top + row_height * len(districts) + 26

    def x(value: float) -> float:
        return round(label_width + (value - low) / (high - low) * plot_width, 1)

    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="Arial, Helvetica, sans-serif" font-size="12">',
             f'<line x1="{x(county["value"])}" y1="{top - 8}" x2="{x(county["value"])}" y2="{height - 20}" '
             f'stroke="#111" stroke-dasharray="4 3"/>',
             f'<text x="{x(county["value"])}" y="{top - 12}" text-anchor="middle">'
             f'{html_escape(county["area_name"])} {html_escape(county["value_display"])}</text>']
    for number, row in enumerate(districts):
        y = top + number * row_height + row_height / 2
        name = html_escape(row["area_name"])
        parts.append(f'<text x="{label_width - 8}" y="{y + 4}" text-anchor="end">{name}</text>')
        if row in drawn:
            shape = COMPARISON_SHAPE.get(row["comparison"] or "", "○")
            parts.append(f'<line x1="{x(row["interval_lower"])}" y1="{y}" x2="{x(row["interval_upper"])}" y2="{y}" '
                         f'stroke="#444" stroke-width="2"/>')
            parts.append(f'<text x="{x(row["value"])}" y="{y + 4}" text-anchor="middle" font-size="13">{shape}</text>')
            parts.append(f'<text x="{label_width + plot_width + 8}" y="{y + 4}">'
                         f'{html_escape(row["value_display"])} {html_escape(row["comparison"] or "")}</text>')
        else:
            why = f" (hidden: {hidden_because(row)})" if row["suppressed"] else ""
            parts.append(f'<text x="{label_width + 4}" y="{y + 4}" fill="#555">{html_escape(row["value_display"])}'
                         f'{html_escape(why)}</text>')
    axis_y = height - 8
    parts.append(f'<text x="{label_width}" y="{axis_y}" fill="#555">{_axis(low, county["unit"])}</text>')
    parts.append(f'<text x="{label_width + plot_width}" y="{axis_y}" text-anchor="end" fill="#555">'
                 f'{_axis(high, county["unit"])}</text>')
    parts.append("</svg>")
    return {"name": county["indicator_name"], "svg": "".join(parts),
            "basis": drawn[0]["comparison_basis"] or "95% interval",
            "caption": (f"{county['indicator_name']}: each district's value with its 95% interval; the dashed line "
                        f"is {county['area_name']} ({county['value_display']}). "
                        "● better, ■ worse, ○ similar, ▲ higher, ▼ lower than the county.")}


UNIT_WORDS = {"count": "number", "percent": "%", "rate_per_1000": "rate per 1,000 residents",
              "rate_per_10000_females": "rate per 10,000 females"}


def trend_chart(series: list[dict], county_row: dict) -> dict[str, Any] | None:
    """The six-month trend chart of one indicator: the county's monthly values as a thick line and each
    district's as a thin one named at its last month; a month without data is a grey band, never a 0.
    Inline SVG, drawn here; None when no month of the series has a published value.

    Only published figures: a hidden month is not drawn (the line breaks) and is named in the caption.
    """
    months = sorted({row["month_start"] for row in series})
    drawn = [row for row in series if row["value"] is not None and has_data(row)]
    if not drawn:
        return None
    areas = list(dict.fromkeys(row["area_name"] for row in series))
    cells = {(row["area_name"], row["month_start"]): row for row in series}
    county = next(row["area_name"] for row in series if row["area_type"] == COUNTY_TYPE)
    high = max(row["value"] for row in drawn) * 1.1 or 1.0
    left, plot_width, label_width, top, plot_height = 64, 480, 150, 10, 120
    width, height = left + plot_width + label_width, top + plot_height + 34
    step = plot_width / len(months)

    def x(index: int) -> float:
        return round(left + step * (index + 0.5), 1)

    def y(value: float) -> float:
        return round(top + plot_height - value / high * plot_height, 1)

    parts = [f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="Arial, Helvetica, sans-serif" font-size="11">']
    for index, month in enumerate(months):
        if not has_data(cells[(county, month)]):
            parts.append(f'<rect class="not-available" data-month="{month:%Y-%m}" x="{round(x(index) - step / 2, 1)}" '
                         f'y="{top}" width="{round(step, 1)}" height="{plot_height}" fill="#e4e4e4"/>'
                         f'<text x="{x(index)}" y="{top + 12}" text-anchor="middle" fill="#444">n/a</text>')
        parts.append(f'<text x="{x(index)}" y="{top + plot_height + 16}" text-anchor="middle">{month:%b %Y}</text>')
    for tick in (0.0, high / 2, high):
        parts.append(f'<line x1="{left}" y1="{y(tick)}" x2="{left + plot_width}" y2="{y(tick)}" stroke="#ccc"/>'
                     f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end" fill="#444">'
                     f'{_axis(tick, county_row["unit"])}</text>')
    labels = []
    for area in reversed(areas):  # the county last: drawn on top
        is_county = area == county
        stroke, line, radius = ("#000", 3, 4) if is_county else ("#888", 1.2, 2.5)
        points = [(index, cells[(area, month)]) for index, month in enumerate(months)
                  if (area, month) in cells and cells[(area, month)]["value"] is not None
                  and has_data(cells[(area, month)])]
        segment: list[str] = []
        for number, (index, row) in enumerate(points):
            segment.append(f"{x(index)},{y(row['value'])}")
            if number + 1 == len(points) or points[number + 1][0] != index + 1:  # a gap ends the line
                if len(segment) > 1:
                    parts.append(f'<polyline class="series" data-area="{html_escape(area)}" fill="none" '
                                 f'stroke="{stroke}" stroke-width="{line}" points="{" ".join(segment)}"/>')
                segment = []
        for index, row in points:
            parts.append(f'<circle class="point" data-area="{html_escape(area)}" '
                         f'data-month="{row["month_start"]:%Y-%m}" data-value="{row["value"]}" cx="{x(index)}" '
                         f'cy="{y(row["value"])}" r="{radius}" fill="{stroke}"/>')
        if points:
            labels.append([y(points[-1][1]["value"]), area, is_county])
    labels.sort()
    for number in range(1, len(labels)):  # keep the names apart, and within the chart
        labels[number][0] = max(labels[number][0], labels[number - 1][0] + 11)
    for number in range(len(labels) - 1, -1, -1):
        labels[number][0] = min(labels[number][0], top + plot_height + 4 - 11 * (len(labels) - 1 - number))
    for label_y, area, is_county in labels:
        weight = ' font-weight="bold"' if is_county else ""
        parts.append(f'<text x="{left + plot_width + 6}" y="{label_y + 4}"{weight}>{html_escape(area)}</text>')
    parts.append("</svg>")
    hidden: dict[str, dict[str, list[str]]] = {}
    for row in series:
        if row["suppressed"] and has_data(row):
            hidden.setdefault(hidden_because(row), {}).setdefault(row["area_name"], []).append(
                f"{row['month_start']:%b %Y}")
    first, last = months[0], months[-1]
    caption = (f"{county_row['indicator_name']}, monthly ({UNIT_WORDS.get(county_row['unit'], county_row['unit'])}), "
               f"{first:%B %Y} to {last:%B %Y}: the thick line is {county}, the thin lines its districts; "
               "a grey band is a month without data (n/a).")
    for why, areas in sorted(hidden.items()):
        caption += f" Not drawn, {why}: " + "; ".join(
            f"{area} ({', '.join(found)})" for area, found in areas.items()) + "."
    symbol = TREND.get(county_row["trend"] or "", ("", ""))[0]
    return {"name": county_row["indicator_name"], "id": county_row["indicator_id"], "svg": "".join(parts),
            "caption": caption, "trend": f"{symbol} {county_row['trend']}" if county_row["trend"] else None,
            "basis": county_row["trend_basis"]}


def _axis(value: float, unit: str) -> str:
    return f"{value:.1f}%" if unit == "percent" else f"{value:,.1f}" if unit == "count" else f"{value:.2f}"


def context(quarter: Quarter | str, rows: list[dict], monthly: list[dict], summary: list[dict],
            availability: list[dict], as_of: date, ready: Readiness, threshold: int = 5) -> dict[str, Any]:
    """Everything the template shows (pure). ``ready`` is the dashboard's readiness as at the report date;
    ``threshold`` the catalogue's small-number threshold (the legend's "<5")."""
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
        intro = None
        if line["indicators"] and not line["with_data"]:
            intro = f"None of the {_plural(line['indicators'], 'indicator')} has data for {quarter}."
        elif line["indicators"]:
            intro = (f"{line['with_data']} of {_plural(line['indicators'], 'indicator')} have data; "
                     f"{line['on_track']} on track, {line['amber']} amber, {line['red']} red, "
                     f"{line['no_target']} monitored without a target.")
        charts = [chart for row in mine if has_data(row) for chart in [comparison_chart(
            [r for r in rows if r["indicator_id"] == row["indicator_id"]])] if chart]
        trends = [chart for row in mine for chart in [trend_chart(
            [m for m in monthly if m["indicator_id"] == row["indicator_id"]], row)] if chart]
        priorities.append({
            "id": line["priority_id"], "name": line["priority_name"], "note": line["note"], "intro": intro,
            "charts": charts, "trend_charts": trends,
            "reasons": [r for r in (line["unavailable_reasons"] or "").split(" | ") if r],
            "indicators": [{
                "name": row["indicator_name"], "display": row["value_display"] if has_data(row) else "n/a",
                "target": row["target_text"], "rag": rag_of(row), "symbol": RAG[rag_of(row)][0],
                "rag_text": RAG[rag_of(row)][1],
                "rag_reason": row["on_track_reason"] if has_data(row) else f"data not available ({row['status']})",
                "trend": row["trend"], "trend_symbol": TREND.get(row["trend"], ("", ""))[0],
                "trend_basis": row["trend_basis"], "status": row["status"],
                "sentence": indicator_sentence(row),
            } for row in mine],
        })
    notes: dict[str, int] = {}
    table = []
    for row in county:
        cells = {r["area_name"]: _cell(r, notes) for r in rows if r["indicator_id"] == row["indicator_id"]}
        table.append({"id": row["indicator_id"], "name": row["indicator_name"], "priority": row["priority_name"],
                      "target": row["target_text"], "trend": row["trend"],
                      "trend_symbol": TREND.get(row["trend"], ("", ""))[0],
                      "cells": [cells.get(area) for area in areas]})
    return {
        "quarter": str(quarter), "as_of": as_of, "first_month": quarter.start, "last_month": quarter.months[-1].start,
        "months": [month.start for month in quarter.months], "run_id": overall["run_id"],
        "code_version": overall["code_version"], "computed_at": overall["computed_at"],
        "summary": summary_sentences(overall, county, quarter), "priorities": priorities,
        "areas": areas, "table": table, "footnotes": sorted(notes.items(), key=lambda item: item[1]),
        "suppression": suppression_legend(threshold), "rag_legend": RAG, "trend_legend": TREND,
        "availability": availability, "attribution": ATTRIBUTION,
        "readiness": {"state": ready.state, "reason": ready.reason, "reporting_date": ready.reporting_date,
                      "periods": ready.periods},
    }


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["month"] = lambda day: f"{day:%B %Y}"
    environment.filters["day"] = lambda day: f"{day.day} {day:%B %Y}"
    return environment


def render(warehouse: Warehouse, quarter: Quarter | str, as_of: date | None = None) -> str:
    """The quarter's board report as one self-contained HTML page."""
    return _render(quarter, *_inputs(warehouse, quarter), as_of)


def _inputs(warehouse: Warehouse, quarter: Quarter | str) -> tuple[list[dict], ...]:
    """What the page shows: published rows, monthly series, summary rows, the quarter's availability rows and
    every source period's (``audit.source_glance``, for the readiness)."""
    from safer_communities.registry import default_registry

    rows, monthly, summary, glance = read(warehouse, quarter)
    return rows, monthly, summary, availability_rows(quarter, glance, default_registry()), glance


def _render(quarter: Quarter | str, rows: list[dict], monthly: list[dict], summary: list[dict],
            availability: list[dict], glance: list[dict], as_of: date | None, version: dict | None = None) -> str:
    """The page; ``version`` (number, published, previous, changes) is the publication's line in the header."""
    from safer_communities import readiness
    from safer_communities.indicators import load_catalogue
    from safer_communities.registry import default_registry

    as_of = as_of or date.today()
    catalogue = load_catalogue()
    ready = readiness.assess(_quarter(quarter), as_of, glance, default_registry(), catalogue,
                             readiness.load_reporting())
    page = context(quarter, rows, monthly, summary, availability, as_of, ready, catalogue.small_numbers.threshold)
    return _environment().get_template(TEMPLATE).render(**page, version=version)


def report_folder(quarter: Quarter | str) -> Path:
    """The quarter's report folder: its versions ``v1``, ``v2``, ..., ``latest`` and ``changelog.md``."""
    return home() / "reports" / _quarter(quarter).slug


def report_path(quarter: Quarter | str, out_dir: Path | None = None) -> Path:
    """Where to read the report: ``out_dir/report.html``, else the quarter's latest version."""
    from safer_communities.publication import latest

    return (Path(out_dir) if out_dir else latest(report_folder(quarter))) / "report.html"


def write(warehouse: Warehouse, quarter: Quarter | str, out_dir: Path | str | None = None,
          as_of: date | None = None, pdf: bool = False) -> Path:
    """Publish the report as a new version of ``$SAFER_COMMUNITIES_HOME/reports/<quarter>/``
    (``safer_communities.publication``: ``v<N>/report.html``, ``latest``, the change log), unless the published
    cells it shows are the latest version's, which stays; or write it to ``out_dir/report.html`` alone. With
    ``pdf``, its PDF beside it (printed by headless Chromium). Returns the page's path."""
    from safer_communities import publication, quality_docs
    from safer_communities.warehouse import query

    rows, monthly, summary, availability, glance = _inputs(warehouse, quarter)
    if out_dir:
        path = Path(out_dir) / "report.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(quarter, rows, monthly, summary, availability, glance, as_of), encoding="utf-8")
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
            page.write_text(_render(quarter, rows, monthly, summary, availability, glance, as_of, shown),
                            encoding="utf-8")
            return [page, write_pdf(page)] if pdf else [page]

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
