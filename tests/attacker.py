"""An intruder's view of the published dashboard: how much of each hidden figure can be worked out.

The attacker model. The intruder has only what is published: the quarterly rows (the published view or
the CSV export) and the monthly rows, for any number of quarters, plus the areas' female populations (public
ONS estimates). Its unknowns are the true counts behind the person-level indicators, per district and atom
period (a month, a quarter, or an IOM cohort year), all >= 0. What it knows about them:

* every published number that is linear in those counts: a count, a rate times its population, a numerator
  or denominator, a percentage as ``100 * numerator = value * denominator``, for the quarter, the year to
  date, the same quarter last year and last year's year to date, and each month; last year's value is also
  worked out from ``change`` or ``change_percent`` when it is not published itself;
* a county figure is the sum of its districts';
* a repeat referral is a referral (repeats <= referrals) and a re-offender is in the cohort (re-offenders <=
  cohort).

For each hidden figure (a ``<5`` or ``[c]`` cell) it solves linear programs (scipy's HiGHS) for the least and
the greatest its numerator, and for a percentage its denominator, can be. That is the LP relaxation of the
real (whole-number) problem, so its range contains every possible true count: a range narrower than 1 holds
at most one whole number, and the figure is disclosed (:func:`is_recovered`). A wider range is an outer
bound only: whole-number reasoning, or the channels left out here (intervals, district ranks, comparisons,
trends, targets), might still narrow it.

Relations never cross a financial year for monthly and quarterly indicators, and IOM cohorts are
independent, so there is one small LP per indicator family and financial year (or cohort), and its
constraint matrix is built once and re-used for every objective.

Written without reference to the dashboard's suppression code, on purpose: it checks that code from the
outside, as an intruder would.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from safer_communities.periods import FinancialYear, Month, Quarter

HIDDEN = ("<5", "[c]")
COUNTY, DISTRICT = "county", "district"
# Published figures are rounded to 6 decimals (error <= 5e-7); the relative part covers floating-point sums.
ABSOLUTE_TOLERANCE = 1e-6
RELATIVE_TOLERANCE = 1e-9
# A numerator range narrower than 1 - this holds at most one whole number.
RECOVERY_TOLERANCE = 1e-3
PER_FEMALES = 10000

Atom = Month | Quarter | FinancialYear  # the period of one unknown count
Variable = tuple[str, str, Atom]  # (count name, district code, atom)
Form = dict[Variable, float]  # a linear combination of unknown counts
Interval = tuple[float, float]  # what a published number says a true one is, allowing for rounding


@dataclass(frozen=True)
class Measure:
    """How one person-level indicator's published figures are made of unknown counts."""

    family: str  # indicators sharing counts: solved together
    unit: str
    grain: str  # the atom: month, quarter or year (an IOM cohort)
    numerator: Mapping[str, float]  # count name -> coefficient
    denominator: Mapping[str, float] | None = None  # percentages only


MEASURES = {
    "marac_referrals": Measure("marac", "rate_per_10000_females", "month", {"referrals": 1}),
    "marac_repeat_rate": Measure("marac", "percent", "month", {"repeats": 1}, {"referrals": 1}),
    "domestic_abuse_support_referrals": Measure("domestic_abuse", "count", "month", {"da_referrals": 1}),
    "youth_first_time_entrants": Measure("youth_entrants", "count", "quarter", {"entrants": 1}),
    "youth_proven_reoffending": Measure("youth_reoffending", "percent", "quarter", {"reoffenders": 1},
                                        {"cohort": 1}),
    "iom_offending_reduction": Measure("iom", "percent", "year", {"baseline": 1, "followup": -1},
                                       {"baseline": 1}),
}
# (part, whole): the part's count never exceeds the whole's, per district and atom.
AT_MOST = {"marac": [("repeats", "referrals")], "youth_reoffending": [("reoffenders", "cohort")]}


@dataclass(frozen=True)
class Finding:
    """One hidden figure and the range an intruder can pin its counts to.

    ``figure`` is "value" (the row's own figure) or "ytd" (a withheld year to date of a row with data, only when
    asked for). The ranges are (least, greatest); infinite when nothing bounds them.
    """

    quarter_label: str
    indicator_id: str
    area_code: str
    month_start: date | None  # None: a quarterly row
    display: str  # "<5" or "[c]"
    numerator_range: Interval
    denominator_range: Interval | None  # percentages only
    figure: str = "value"

    @property
    def recovered(self) -> bool:
        return is_recovered(self)

    def __str__(self) -> str:
        where = f"{self.quarter_label} {self.indicator_id} {self.area_code}"
        if self.month_start is not None:
            where += f" {self.month_start:%Y-%m}"
        if self.figure != "value":
            where += f" ({self.figure})"
        text = f"{where} {self.display}: numerator in [{_show(self.numerator_range)}]"
        if self.denominator_range is not None:
            text += f", denominator in [{_show(self.denominator_range)}]"
        return text + (" RECOVERED" if self.recovered else "")


class InconsistentPublication(ValueError):
    """The published numbers contradict each other (or the attacker's model of them): no counts fit."""


def is_recovered(finding: Finding) -> bool:
    """True when the hidden count is known: its numerator's range holds at most one whole number.

    That covers a percentage whose numerator is pinned at 0 (the rate is then known to be 0% whenever
    there is a denominator): the range is then [0, 0].
    """
    low, high = finding.numerator_range
    if finding.denominator_range is not None and finding.denominator_range[1] < RECOVERY_TOLERANCE:
        return False  # a percentage of nobody (0 of 0): there is no one to disclose
    return high - low < 1 - RECOVERY_TOLERANCE


def recovered(findings: Iterable[Finding]) -> list[Finding]:
    """The findings an intruder can work out."""
    return [finding for finding in findings if is_recovered(finding)]


def read_export(folder: Path) -> tuple[list[dict], list[dict]]:
    """The quarterly and monthly rows of one quarter's export folder (``dashboard.csv``, ``monthly.csv``)."""
    found = []
    for name in ("dashboard.csv", "monthly.csv"):
        with (Path(folder) / name).open(encoding="utf-8", newline="") as handle:
            found.append(list(csv.DictReader(handle)))
    return found[0], found[1]


def attack(quarterly_rows: Iterable[Mapping], monthly_rows: Iterable[Mapping] = (),
           females: Mapping[str, float] | None = None, figures: Collection[str] = ("value",)) -> list[Finding]:
    """Every hidden figure among the rows, with the range of counts consistent with everything published.

    ``females``: area code -> female residents (the marac_referrals rate's population); an area not in it
    takes the population its published rows give, and the county the sum of its districts'.
    ``figures``: "value" (the rows' own figures) and optionally "ytd" (also every withheld year to date: a
    row with data that publishes no year-to-date number).
    Raises :class:`InconsistentPublication` when no counts fit what is published (checked only in the
    financial years that have a hidden figure).
    """
    quarterly = [_normalised(row) for row in quarterly_rows if row.get("indicator_id") in MEASURES]
    monthly = [_normalised(row) for row in monthly_rows if row.get("indicator_id") in MEASURES]
    areas = _Areas([*quarterly, *monthly], females or {})
    problems: dict[tuple[str, int], _Problem] = {}

    def problem(family: str, atoms: tuple[Atom, ...]) -> _Problem:
        key = (family, _financial_year(atoms))
        return problems.setdefault(key, _Problem(*key))

    for row in quarterly:
        measure = _measure(row)
        quarter = Quarter.parse(row["quarter_label"])
        value, last_year = _value_and_last_year(row)
        published = {"value": (value, row["numerator"], row["denominator"]),
                     "ytd": (_interval(row["ytd_value"]), row["ytd_numerator"], row["ytd_denominator"]),
                     "last_year": (last_year, None, None),
                     "previous": (_interval(row["previous_value"]), None, None)}
        for span, (in_unit, numerator, denominator) in published.items():
            atoms = _span(measure, quarter, span)
            problem(measure.family, atoms).publish(measure, areas, row["area_code"], atoms, in_unit, numerator,
                                                   denominator)
        if row["value_display"] in HIDDEN and "value" in figures:
            atoms = _span(measure, quarter, "value")
            problem(measure.family, atoms).hide(measure, areas, row, atoms, None, "value")
        if "ytd" in figures and _ytd_withheld(row):
            atoms = _span(measure, quarter, "ytd")
            if atoms != _span(measure, quarter, "value"):  # Q1 and IOM: the year to date is the value
                problem(measure.family, atoms).hide(measure, areas, row, atoms, None, "ytd")
    for row in monthly:
        measure = _measure(row)
        month = Month.of(row["month_start"])
        problem(measure.family, (month,)).publish(measure, areas, row["area_code"], (month,),
                                                  _interval(row["value"]), row["numerator"], row["denominator"])
        if row["value_display"] in HIDDEN and "value" in figures:
            problem(measure.family, (month,)).hide(measure, areas, row, (month,), row["month_start"], "value")

    findings = {}
    for key in sorted(problems):
        for finding in problems[key].solve():
            findings.setdefault(_identity(finding), finding)  # the same row may come in twice (view and export)
    return sorted(findings.values(), key=_identity)


# ---------------------------------------------------------------------------- reading the rows


def _ytd_withheld(row: dict) -> bool:
    """A row with data whose year to date publishes no number: a withheld year to date."""
    return row.get("status") in ("available", "incomplete") and row["ytd_value"] is None \
        and row["ytd_numerator"] is None


def _normalised(row: Mapping) -> dict:
    """A row with numbers as floats and None for blanks: the view's values and the CSV's strings alike."""
    numbers = ("value", "numerator", "denominator", "last_year_value", "change", "change_percent", "ytd_value",
               "ytd_numerator", "ytd_denominator", "previous_value")
    found = {key: _number(row.get(key)) for key in numbers}
    found.update({key: row.get(key) or None for key in ("quarter_label", "indicator_id", "area_code", "area_type",
                                                         "unit", "value_display", "status")})
    found["month_start"] = _date(row.get("month_start"))
    return found


def _number(text) -> float | None:
    if text is None or text == "":
        return None
    number = float(text)
    return None if math.isnan(number) else number


def _date(text) -> date | None:
    if text is None or text == "":
        return None
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    return date.fromisoformat(str(text)[:10])


def _measure(row: dict) -> Measure:
    measure = MEASURES[row["indicator_id"]]
    if row["unit"] is not None and row["unit"] != measure.unit:
        raise ValueError(f"{row['indicator_id']} is published in {row['unit']!r}; the attacker assumes "
                         f"{measure.unit!r}: update MEASURES")
    return measure


class _Areas:
    """The districts (every area_type "district" seen) and the female populations: as given, else as published
    (a per-10,000-females rate's denominator)."""

    def __init__(self, rows: list[dict], females: Mapping[str, float]) -> None:
        self.districts = sorted({row["area_code"] for row in rows if row["area_type"] == DISTRICT})
        self.counties = {row["area_code"] for row in rows if row["area_type"] == COUNTY}
        published = {row["area_code"]: row["denominator"] for row in rows
                     if row["unit"] == "rate_per_10000_females" and row["denominator"] is not None}
        self.females = {**published, **females}

    def members(self, area_code: str) -> list[str]:
        return self.districts if area_code in self.counties else [area_code]

    def females_of(self, area_code: str) -> float:
        if area_code in self.females:
            return self.females[area_code]
        if area_code in self.counties and all(d in self.females for d in self.districts):
            return sum(self.females[d] for d in self.districts)
        raise KeyError(f"no female population for {area_code}: pass it in ``females``")


# ---------------------------------------------------------------------------- what a number spans


def _span(measure: Measure, quarter: Quarter, span: str) -> tuple[Atom, ...]:
    """The atoms a quarterly row's figure sums: "value", "ytd", "last_year" or "previous" (last year's ytd).

    An IOM row shows the cohort of the year before the quarter's (value and year to date alike), and
    compares it with the cohort before that.
    """
    earlier = span in ("last_year", "previous")
    if measure.grain == "year":
        return (FinancialYear(quarter.fy_start - (2 if earlier else 1)),)
    year = FinancialYear(quarter.fy_start - 1 if earlier else quarter.fy_start)
    if span in ("ytd", "previous"):
        quarters = year.quarters[:quarter.number]
    else:
        quarters = (year.quarters[quarter.number - 1],)
    if measure.grain == "quarter":
        return quarters
    return tuple(month for q in quarters for month in q.months)


def _financial_year(atoms: tuple[Atom, ...]) -> int:
    years = {atom.financial_year if isinstance(atom, Month) else atom.fy_start for atom in atoms}
    if len(years) != 1:
        raise AssertionError(f"a figure's atoms span financial years {sorted(years)}")
    return years.pop()


def _form(terms: Mapping[str, float], districts: list[str], atoms: tuple[Atom, ...]) -> Form:
    return {(name, district, atom): coefficient
            for name, coefficient in terms.items() for district in districts for atom in atoms}


# ---------------------------------------------------------------------------- published numbers as intervals


def _interval(number: float | None) -> Interval | None:
    """The true numbers a published one may stand for, given its rounding."""
    if number is None:
        return None
    slack = ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(number)
    return number - slack, number + slack


def _plus(a: Interval, b: Interval) -> Interval:
    return a[0] + b[0], a[1] + b[1]


def _minus(a: Interval, b: Interval) -> Interval:
    return a[0] - b[1], a[1] - b[0]


def _times(a: Interval, b: Interval) -> Interval:
    products = [x * y for x in a for y in b]
    return min(products), max(products)


def _over(a: Interval, b: Interval) -> Interval | None:
    """a / b, or None when b may be 0."""
    if b[0] <= 0 <= b[1]:
        return None
    return _times(a, (1 / b[1], 1 / b[0]))


def _value_and_last_year(row: dict) -> tuple[Interval | None, Interval | None]:
    """The quarter's value and last year's, in the unit, from whichever of value, last_year_value, change
    (value - last year) and change_percent (100 * change / last year) are published."""
    value, last_year = _interval(row["value"]), _interval(row["last_year_value"])
    change, percent = _interval(row["change"]), _interval(row["change_percent"])
    for _ in range(3):  # each pass can supply what the next needs
        if change is None and percent is not None and last_year is not None:
            change = _times((percent[0] / 100, percent[1] / 100), last_year)
        if last_year is None and value is not None and change is not None:
            last_year = _minus(value, change)
        if last_year is None and change is not None and percent is not None:
            last_year = _over((100 * change[0], 100 * change[1]), percent)
        if last_year is None and value is not None and percent is not None:
            last_year = _over(value, (1 + percent[0] / 100, 1 + percent[1] / 100))
        if value is None and last_year is not None and change is not None:
            value = _plus(last_year, change)
    return value, last_year


# ---------------------------------------------------------------------------- one linear program


@dataclass
class _Constraint:
    """low <= numerator <= high (a count), or, with a denominator, low * den <= 100 * num <= high * den."""

    numerator: Form
    low: float
    high: float
    denominator: Form | None = None


@dataclass
class _Hidden:
    finding: Finding  # ranges to fill in
    numerator: Form
    denominator: Form | None


class _Problem:
    """The counts of one indicator family in one financial year (or IOM cohort), and what constrains them."""

    def __init__(self, family: str, year: int) -> None:
        self.family, self.year = family, year
        self.constraints: dict[tuple, _Constraint] = {}  # by form(s): the same figure published twice is one
        self.hidden: list[_Hidden] = []

    def publish(self, measure: Measure, areas: _Areas, area_code: str, atoms: tuple[Atom, ...],
                in_unit: Interval | None, numerator: float | None, denominator: float | None) -> None:
        """Record one figure's published numbers: its value in the unit, its numerator and denominator."""
        members = areas.members(area_code)
        top = _form(measure.numerator, members, atoms)
        bottom = _form(measure.denominator, members, atoms) if measure.denominator else None
        if in_unit is not None:
            if measure.unit == "percent":
                self._add(_Constraint(top, *in_unit, denominator=bottom))
            elif measure.unit == "count":
                self._add(_Constraint(top, *in_unit))
            else:  # a rate per 10,000 females: the count is the rate times the females over 10,000
                scale = areas.females_of(area_code) / PER_FEMALES
                self._add(_Constraint(top, in_unit[0] * scale, in_unit[1] * scale))
        if numerator is not None:
            self._add(_Constraint(top, *_interval(numerator)))
        if denominator is not None and bottom is not None:  # a rate's denominator is the population: no news
            self._add(_Constraint(bottom, *_interval(denominator)))

    def _add(self, constraint: _Constraint) -> None:
        """Keep the tightest bounds on each form: a figure recurs (value and numerator, months in two quarters)."""
        key = (frozenset(constraint.numerator.items()),
               frozenset(constraint.denominator.items()) if constraint.denominator else None)
        known = self.constraints.setdefault(key, constraint)
        known.low, known.high = max(known.low, constraint.low), min(known.high, constraint.high)

    def hide(self, measure: Measure, areas: _Areas, row: dict, atoms: tuple[Atom, ...], month_start: date | None,
             figure: str) -> None:
        """Ask for the range of a hidden figure."""
        members = areas.members(row["area_code"])
        finding = Finding(row["quarter_label"], row["indicator_id"], row["area_code"], month_start,
                          row["value_display"], (-math.inf, math.inf), None, figure)
        bottom = _form(measure.denominator, members, atoms) if measure.denominator else None
        self.hidden.append(_Hidden(finding, _form(measure.numerator, members, atoms), bottom))

    def solve(self) -> list[Finding]:
        """The hidden figures with their ranges: a least and a greatest for each form, on one matrix."""
        if not self.hidden:
            return []
        columns = self._columns()
        matrix, limits = self._matrix(columns)
        ranges: dict[frozenset, Interval] = {}  # a month hidden in two quarters' series is solved once

        def range_of(form: Form | None) -> Interval | None:
            if form is None:
                return None
            key = frozenset(form.items())
            if key not in ranges:
                ranges[key] = self._range(self._objective(form, columns), matrix, limits)
            return ranges[key]

        return [replace(hidden.finding, numerator_range=range_of(hidden.numerator),
                        denominator_range=range_of(hidden.denominator)) for hidden in self.hidden]

    def _columns(self) -> dict[Variable, int]:
        forms = [form for c in self.constraints.values() for form in (c.numerator, c.denominator) if form]
        forms += [form for h in self.hidden for form in (h.numerator, h.denominator) if form]
        columns: dict[Variable, int] = {}
        for form in forms:
            for variable in form:
                columns.setdefault(variable, len(columns))
        for part, whole in AT_MOST.get(self.family, ()):  # a part needs its whole to be bounded by it
            for name, district, atom in list(columns):
                if name == part:
                    columns.setdefault((whole, district, atom), len(columns))
        return columns

    def _matrix(self, columns: dict[Variable, int]) -> tuple[csr_matrix | None, np.ndarray | None]:
        """Every constraint as rows of ``A x <= b``."""
        rows: list[dict[int, float]] = []
        limits: list[float] = []
        for constraint in self.constraints.values():
            if constraint.denominator is None:  # low <= num <= high
                rows += [_sparse(constraint.numerator, columns), _sparse(constraint.numerator, columns, -1)]
                limits += [constraint.high, -constraint.low]
            else:  # 100 num - high den <= 0 and low den - 100 num <= 0
                rows.append(_combined(_sparse(constraint.numerator, columns, 100),
                                      _sparse(constraint.denominator, columns, -constraint.high)))
                rows.append(_combined(_sparse(constraint.numerator, columns, -100),
                                      _sparse(constraint.denominator, columns, constraint.low)))
                limits += [0.0, 0.0]
        for part, whole in AT_MOST.get(self.family, ()):
            for (name, district, atom), column in columns.items():
                if name == part:
                    rows.append({column: 1.0, columns[(whole, district, atom)]: -1.0})
                    limits.append(0.0)
        if not rows:
            return None, None
        entries = [(i, j, v) for i, row in enumerate(rows) for j, v in row.items() if v]
        row_index, column_index, data = zip(*entries, strict=True) if entries else ((), (), ())
        matrix = csr_matrix((data, (row_index, column_index)), shape=(len(rows), len(columns)))
        return matrix, np.array(limits)

    @staticmethod
    def _objective(form: Form, columns: dict[Variable, int]) -> np.ndarray:
        objective = np.zeros(len(columns))
        for variable, coefficient in form.items():
            objective[columns[variable]] += coefficient
        return objective

    def _range(self, objective: np.ndarray, matrix, limits) -> Interval:
        """min and max of ``objective @ x`` over the feasible counts (x >= 0)."""
        ends = []
        for sign in (1, -1):
            result = _solve(sign * objective, matrix, limits)
            status = result.status
            if status == 4 and "unbounded or infeasible" in result.message:  # HiGHS could not tell which
                status = 3 if _solve(np.zeros_like(objective), matrix, limits).status == 0 else 2
            if status == 0:
                ends.append(sign * result.fun)
            elif status == 3:
                ends.append(-sign * math.inf)
            elif status == 2:
                raise InconsistentPublication(
                    f"{self.family} {FinancialYear(self.year)}: no counts fit the published figures (revised or "
                    f"incomplete data published differently in two quarters, or a wrong model)")
            else:
                raise RuntimeError(f"{self.family} {FinancialYear(self.year)}: {result.message}")
        return ends[0], ends[1]


def _solve(objective: np.ndarray, matrix, limits):
    return linprog(objective, A_ub=matrix, b_ub=limits, bounds=(0, None), method="highs")


def _sparse(form: Form, columns: dict[Variable, int], scale: float = 1.0) -> dict[int, float]:
    return {columns[variable]: scale * coefficient for variable, coefficient in form.items()}


def _combined(a: dict[int, float], b: dict[int, float]) -> dict[int, float]:
    return {column: a.get(column, 0.0) + b.get(column, 0.0) for column in a.keys() | b.keys()}


def _identity(finding: Finding) -> tuple:
    return (Quarter.parse(finding.quarter_label), finding.indicator_id, finding.area_code,
            finding.month_start or date.min, finding.figure)


def _show(bounds: Interval) -> str:
    return ", ".join(f"{end:.3f}" for end in bounds)
