"""What a published dashboard row says in words: its figure with unit and base, the plain reason it has no
data, its RAG and trend symbols, the change against last year, and the sentence the board paper gives it.

Pure functions of rows of ``mart.dashboard_published``, shared by the board paper (``safer_communities.publish.report``)
and the page behind each figure (``safer_communities.publish.explain``): both say the same thing the same way.
"""

from __future__ import annotations

import re
from datetime import date

from safer_communities.dashboard.indicators import UNIT_AFTER, display
from safer_communities.periods import Month
from safer_communities.sources.availability import STATUS_WORDS

WITH_DATA = ("available", "incomplete")
COUNTY_TYPE = "county"
RATES_AND_SHARES = ("percent", "rate_per_1000", "rate_per_10000_females")  # comparable between areas

# RAG: a colour class, a symbol distinct in shape (legible in greyscale) and words. These four symbols mean
# only this, everywhere on the page; the comparison charts say "higher", "similar" ... in words.
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
    "cannot be calculated": ("\u2013", "cannot be calculated (too few months with data)"),  # –
}
SIGNIFICANT_TRENDS = ("improving", "worsening", "increasing", "decreasing")
TREND_WORDS = {"improving": "improving", "worsening": "worsening", "increasing": "rising", "decreasing": "falling"}
SECONDARY = "withheld so that a small number elsewhere cannot be worked out"  # what "[c]" means
UNIT_WORDS = {"count": "number", "percent": "%", "rate_per_1000": "rate per 1,000 residents",
              "rate_per_10000_females": "rate per 10,000 females"}


def hidden_because(row: dict) -> str:
    """Why a withheld figure is not shown: it concerns fewer than 5 people ("<5", the threshold the mart used),
    or it is withheld to protect a small number elsewhere ("[c]")."""
    if row["suppression"] == "primary":
        return f"it concerns fewer than {row['value_display'].removeprefix('<')} people"
    return SECONDARY


def suppression_legend(threshold: int) -> dict[str, str]:
    """What "<5" (the catalogue's threshold) and "[c]" mean, for the page's legend."""
    return {f"<{threshold}": f"the figure concerns fewer than {threshold} people: hidden to protect them",
            "[c]": SECONDARY}


AREA_ORDER = "CASE WHEN area_type = 'county' THEN 0 ELSE 1 END, area_name"


# ---------------------------------------------------------------------------- plain words

_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_ISO_MONTH = re.compile(r"\b(\d{4})-(\d{2})\b")
# a bracket holding a file path, an address or a hash ("(no file at youth/x-2015-16-Q1.csv in the drop folder)"),
# not one holding a financial year ("(2014/15)")
_TECHNICAL = re.compile(r" ?\([^()]*(?:[\w.-]+/[\w./-]*\.\w+|\\|drop folder|https?:|sha256)[^()]*\)")


def _day_words(match: re.Match) -> str:
    day = date(int(match[1]), int(match[2]), int(match[3]))
    return f"{day.day} {day:%B %Y}"


def plain_reason(status: str, reason: str | None) -> str:
    """A recorded reason in a board paper's words: dates written out, no file paths or addresses, a rejected
    file's validation detail left to the data-quality page."""
    if status == "rejected":
        return "The file received did not pass its checks; the data-quality page says which."
    if status == "not ingested":
        return "Not loaded yet."
    text = _TECHNICAL.sub("", reason or "")
    text = _ISO_DAY.sub(_day_words, text)
    text = _ISO_MONTH.sub(lambda m: f"{Month(int(m[1]), int(m[2])).start:%B %Y}", text)
    return re.sub(r"\s+", " ", text).strip()


def why_no_data(row: dict) -> str:
    """'Not yet due: expected by 12 February 2017.', from a row without data (its status and reason)."""
    words, reason = STATUS_WORDS.get(row["status"], row["status"]), plain_reason(row["status"], row["status_reason"])
    if reason.lower().startswith(words.lower()):
        return reason
    return f"{words[0].upper()}{words[1:]}: {reason}"


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


def figure(row: dict) -> str:
    """A published figure with its unit and base: '28.5% (35 of 123)', '3.65 per 10,000 females (123 in the
    quarter)', '621'; 'n/a'; a hidden figure says it is hidden and why, never '<5' as if a value."""
    if not has_data(row):
        return "n/a"
    if row["suppressed"]:
        return f"hidden ({hidden_because(row)})"
    shown = row["value_display"] + (UNIT_AFTER[row["unit"]] if row["unit"] != "percent" else "")
    if row["numerator"] is None:
        return shown
    if row["unit"] == "percent" and row["denominator"]:
        return f"{shown} ({row['numerator']:,.0f} of {row['denominator']:,.0f})"
    if row["unit"] != "count":
        return f"{shown} ({row['numerator']:,.0f} in the {'year' if _is_cohort(row) else 'quarter'})"
    return shown


def _in_unit(value: float, unit: str) -> str:
    return display(value, unit) + (UNIT_AFTER[unit] if unit != "percent" else "")


def comparison_phrase(row: dict) -> str | None:
    """'against 39.0% for the previous cohort' / 'against 67 in the same quarter last year' (published only)."""
    if not has_data(row) or row["value"] is None or row["last_year_value"] is None:
        return None
    before = _in_unit(row["last_year_value"], row["unit"])
    return f"against {before} for the previous cohort" if _is_cohort(row) else \
        f"against {before} in the same quarter last year"


def significant_change(row: dict) -> bool | None:
    """Whether the change on last year is beyond chance: last year's figure lies outside this year's 95%
    interval (the test the district comparisons use against the county). None when it cannot be said."""
    if not has_data(row) or None in (row["value"], row["last_year_value"], row["interval_lower"],
                                     row["interval_upper"]):
        return None
    return not row["interval_lower"] <= row["last_year_value"] <= row["interval_upper"]


def direction(row: dict) -> str | None:
    """'improved' / 'worsened' by polarity, 'increased' / 'decreased' without a judgement, for a significant
    change on last year; 'little change' for one that is not; None without a comparison."""
    if row["status"] != "available" or row["value"] is None or row["change"] is None:
        return None
    if not significant_change(row) or row["change"] == 0:
        return "little change"
    up = row["change"] > 0
    if row["polarity"] == "high":
        return "improved" if up else "worsened"
    if row["polarity"] == "low":
        return "worsened" if up else "improved"
    return "increased" if up else "decreased"


def indicator_sentence(row: dict) -> str:
    """E.g. 'Reduction in offending by the IOM cohort: 56.4% (476 of 844), against 39.0% for the previous
    cohort: on track.'"""
    name = row["indicator_name"]
    if not has_data(row):
        return f"{name}: n/a. {why_no_data(row)}"
    shown = figure(row)
    compared = None if row["suppressed"] else comparison_phrase(row)
    if compared:
        change = direction(row)
        shown += f", {compared}" + (f" ({change})" if change else "")
    rag = rag_of(row)
    if row["status"] == "incomplete":  # the reason says which check failed, or which look-back is not loaded
        why = re.sub(r"^(data incomplete: )?(Incomplete: )?", "", plain_reason("incomplete", row["on_track_reason"]))
        judgement = f"not judged, the data is incomplete: {why.rstrip('.')}"
    elif rag == "green":
        judgement = f"on track (target: {row['target_text']})"
    elif rag == "amber":
        judgement = f"amber, just missing the target ({row['target_text']})"
    elif rag == "red":
        judgement = f"red, not on track (target: {row['target_text']})"
    elif row["target_kind"] == "none":
        judgement = "monitored, no target"
    else:
        judgement = f"not judged ({row['on_track_reason']})"
    return f"{name}: {shown}: {judgement}."
