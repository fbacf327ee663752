"""Disclosure control: which person-based figures are published, and an audit that proves none can be worked out.

Every person-level figure the dashboard publishes (a quarter, a month, a year to date, last
year's quarter, the previous year to date, an IOM cohort; for the county and each district) is
made of **cells**: counts of a named measure (``counts`` in the catalogue: MARAC referrals,
repeats, ...) over an area and a span of months. A cell is a sum of **atoms**, one per measure,
district and finest period (a month, a quarter or a cohort year), so every relation the published
outputs imply is in the model at once: the county is the sum of its districts, a quarter the sum
of its months, a year to date the sum of its quarters, last year's value is the same cell as a
year before, the repeat rate's denominator is the MARAC referrals cell, a repeat is a referral
(repeats <= referrals) and a cohort's offences reduced never exceed its baseline offences.

**Primary**: a cell of 1 to ``threshold - 1`` people (IOM: offences of a cohort of so few people).
**Protection**: given every published cell, non-negativity and those orderings, the linear
programme's feasible range of a primary count of people must still reach 0 and the threshold (the
reader cannot tell whether anybody is in it, nor that it is small); a primary offence count must
stay uncertain by ``offence_margin`` either way; every other hidden cell must not be pinned to one
value. **Secondary** cells are chosen quarter by quarter, in the order the quarters are published,
by a repair linear programme: the cheapest set of this quarter's still-published cells (district
months before quarters before years to date; the county only when no set of district cells will do)
whose release from their published value lets the violated bound be reached. Cells published for
an earlier quarter are never hidden later, so every quarter's publication agrees with the ones
before it, and the pattern of a quarter depends only on the data, never on the order quarters were
computed in (a process remembers a quarter's decisions by a digest of everything they depend on).
A bound counts as reached only at a whole-number point: counts are whole numbers, and a reader
can use that.

A figure (value, numerator, denominator, interval, change, ...) is published only when all of
its cells are; a cell is published only when a figure shows it. :func:`audit` recomputes each
hidden cell's feasible interval with SciPy's HiGHS (``scipy.optimize.linprog``) over everything
published and raises :class:`DisclosureError`, naming the cell and the published figures that pin
it, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safer_communities.periods import FinancialYear, Month, Quarter, financial_year_label, month_range

if TYPE_CHECKING:
    from safer_communities.dashboard.indicators import Catalogue, Indicator

EPS = 1e-6
# What hiding a cell costs when choosing secondary cells: the board reads the county and the quarters.
COST = {"month": 1.0, "quarter": 2.0, "ytd": 3.0, "cohort": 1.0}
COUNTY_COST = 40.0

CellKey = tuple[str, str, Month, Month]  # measure, area code, first month, last month
FigureKey = tuple[str, str, Month, Month]  # indicator, area code, first month, last month
AtomKey = tuple[str, str, Month]  # measure, district code, the atom's first month


class DisclosureError(RuntimeError):
    """A published figure would let a reader work out a protected count: nothing is written."""


@dataclass
class Cell:
    key: CellKey
    form: dict[int, float]  # atom index -> coefficient
    value: float
    persons: int  # the people behind it
    kind: str  # month, quarter, ytd, cohort
    step: tuple  # when it is first published: (financial year, quarter number) or the cohort
    component: tuple  # the cells linked to it by some relation: (measure family, financial year)
    people: bool  # a count of people (else offences of ``persons`` people)
    by_month: bool  # its atoms are months
    county: bool  # the sum of every district
    primary: bool = False


@dataclass
class Requirement:
    """What the reader must not be able to narrow a hidden quantity to."""

    name: str
    form: dict[int, float]
    value: float
    low: float | None  # the feasible range must reach down to this
    high: float | None  # ... and up to this; both None: it must merely not be pinned
    rule: str = "it must not be pinned to one value"  # in words, without the true value


@dataclass
class Model:
    """Cells and atoms of the person-level figures a quarter's publication and the ones before it show."""

    threshold: int
    margin: int
    atoms: list[AtomKey] = field(default_factory=list)
    atom_values: list[float] = field(default_factory=list)
    signed: list[bool] = field(default_factory=list)
    ordered: list[tuple[int, int]] = field(default_factory=list)  # atom i <= atom j
    cells: dict[CellKey, Cell] = field(default_factory=dict)
    figures: dict[FigureKey, tuple[CellKey, ...]] = field(default_factory=dict)  # figures with data
    hidden: dict[CellKey, str] = field(default_factory=dict)  # cell -> primary / secondary

    def atom(self, key: AtomKey, value: float, signed: bool) -> int:
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.atoms)
            self.atoms.append(key)
            self.atom_values.append(value)
            self.signed.append(signed)
        return index

    def __post_init__(self) -> None:
        self._index: dict[AtomKey, int] = {}

    # ------------------------------------------------------------------ what is shown

    def shown_figures(self) -> set[FigureKey]:
        return {key for key, cells in self.figures.items() if not any(cell in self.hidden for cell in cells)}

    def shown_cells(self) -> set[CellKey]:
        """A cell is published when some published figure shows it."""
        return {cell for key in self.shown_figures() for cell in self.figures[key]}

    def suppression(self, figure: FigureKey) -> str | None:
        """None (published), 'primary' (the figure's own count is 1-4 people: "<5") or 'secondary' ("[c]")."""
        cells = self.figures.get(figure)
        if not cells or not any(cell in self.hidden for cell in cells):
            return None
        return "primary" if self.cells[cells[0]].primary else "secondary"


# ---------------------------------------------------------------------------- the model


def quarters_published_with(quarter: Quarter) -> list[Quarter]:
    """The quarters whose cells a quarter's publication shows or is linked to, in publication order: the
    previous financial year's (last year's figures, the trend's first months) and this one's up to it."""
    return [*FinancialYear(quarter.fy_start - 1).quarters, *FinancialYear(quarter.fy_start).quarters[:quarter.number]]


def build_model(quarter: Quarter, catalogue: Catalogue, by_key: dict[tuple[str, str], list[dict]],
                has_data, county: str, districts: list[str]) -> Model:
    """Every person-level cell the quarter's publication depends on, for the ``county`` (the sum of its
    ``districts``) and each district. ``has_data(indicator, months)`` says whether a figure over those months
    is published at all (its sources' status); ``by_key`` is the observations by (indicator, district)."""
    small = catalogue.small_numbers
    model = Model(small.threshold, small.offence_margin)
    families = _families(catalogue)
    for indicator in catalogue.indicators:
        if not indicator.counts:
            continue
        for span, kind, step in _spans(indicator, quarter):
            months = month_range(*span)
            if not has_data(indicator, months):
                continue
            for area in [county, *districts]:
                members = districts if area == county else [area]
                cells = tuple(_cell(model, indicator, measure, area, members, span, kind, step, by_key, families)
                              for measure in _measures(indicator))
                model.figures[(indicator.id, area, *span)] = cells
        if indicator.unit == "percent":
            _order_atoms(model, indicator)
    for cell in model.cells.values():
        cell.primary = 0 < cell.persons < model.threshold
    return model


def _measures(indicator: Indicator) -> list[str]:
    counts = indicator.counts
    return [counts.numerator] + ([counts.denominator] if counts.denominator else [])


def _families(catalogue: Catalogue) -> dict[str, str]:
    """Measures shown together in a figure are linked: one family, named after its first measure."""
    family: dict[str, str] = {}
    for indicator in catalogue.indicators:
        if not indicator.counts:
            continue
        names = [family.get(measure, measure) for measure in _measures(indicator)]
        root = min(names)
        for measure, old in zip(_measures(indicator), names, strict=True):
            for key, value in list(family.items()):
                if value == old:
                    family[key] = root
            family[measure] = root
    return family


def _spans(indicator: Indicator, quarter: Quarter) -> Iterable[tuple[tuple[Month, Month], str, tuple]]:
    """The spans of months a quarter's publication (and the ones before it) shows the indicator over."""
    if indicator.grain == "year":
        for fy in (quarter.fy_start - 2, quarter.fy_start - 1):
            months = FinancialYear(fy).months
            yield (months[0], months[-1]), "cohort", (fy, 0)
        return
    for step in quarters_published_with(quarter):
        if indicator.grain == "month":
            for month in step.months:
                yield (month, month), "month", (step.fy_start, step.number)
        yield (step.months[0], step.months[-1]), "quarter", (step.fy_start, step.number)
        if step.number > 1:
            yield (Month(step.fy_start, 4), step.months[-1]), "ytd", (step.fy_start, step.number)


def _atom_start(indicator: Indicator, month: Month) -> Month:
    if indicator.grain == "month":
        return month
    if indicator.grain == "quarter":
        return month.quarter.months[0]
    return Month(month.financial_year, 4)


def _cell(model: Model, indicator: Indicator, measure: str, area: str, members: list[str],
          span: tuple[Month, Month], kind: str, step: tuple, by_key, families: dict[str, str]) -> CellKey:
    key = (measure, area, *span)
    if key in model.cells:
        return key
    numerator = measure == indicator.counts.numerator
    offences = indicator.counts.of == "offences"
    starts = sorted({_atom_start(indicator, month) for month in month_range(*span)})
    form: dict[int, float] = {}
    value, persons = 0.0, 0
    for district in members:
        rows = {row["period_start"]: row for row in by_key.get((indicator.id, district), ())}
        for start in starts:
            row = rows.get(start.start)
            amount = 0.0 if row is None else float(row["numerator" if numerator else "denominator"] or 0.0)
            index = model.atom((measure, district, start), amount, signed=offences and numerator)
            form[index] = 1.0
            value += amount
            persons += int(row["persons"] or 0) if offences and row is not None else 0
    if not offences:
        persons = round(value)
    first_fy = span[0].financial_year
    model.cells[key] = Cell(key, form, value, persons, kind, step, (families[measure], first_fy), not offences,
                            indicator.grain == "month", members != [area])
    return key


def _order_atoms(model: Model, indicator: Indicator) -> None:
    """A percentage's numerator never exceeds its denominator, atom by atom (a repeat is a referral)."""
    index = {key: i for i, key in enumerate(model.atoms)}
    counts = indicator.counts
    for i, (measure, district, start) in enumerate(model.atoms):
        if measure == counts.numerator:
            j = index.get((counts.denominator, district, start))
            if j is not None and (i, j) not in model.ordered:
                model.ordered.append((i, j))


# ---------------------------------------------------------------------------- requirements


def requirements(model: Model, cells: Iterable[CellKey], shown: set[CellKey]) -> list[Requirement]:
    """What each hidden cell (and, for offences, the follow-up offences under it) must keep."""
    found, cells = [], set(cells)
    for key in sorted(cells, key=describe):
        if key in shown:
            continue
        cell = model.cells[key]
        name = describe(key)
        if cell.primary and cell.people:
            found.append(Requirement(name, cell.form, cell.value, 0.0, float(model.threshold),
                                     f"it must stay compatible with 0 and with {model.threshold}"))
        elif cell.primary:
            found.append(_margin(model, name, cell.form, cell.value, signed=model.signed[next(iter(cell.form))]))
        else:
            found.append(Requirement(name, cell.form, cell.value, None, None))
    for pair in model.figures.values():  # a cohort's follow-up offences: baseline minus reduced
        reduced = model.cells[pair[0]]
        if len(pair) == 2 and pair[0] in cells and reduced.primary and not reduced.people \
                and not (pair[0] in shown and pair[1] in shown):
            baseline = model.cells[pair[1]]
            form = dict(baseline.form)
            for atom, coefficient in reduced.form.items():
                form[atom] = form.get(atom, 0.0) - coefficient
            found.append(_margin(model, f"follow-up offences ({describe(pair[1])})", form,
                                 baseline.value - reduced.value))
    return found


def _margin(model: Model, name: str, form: dict[int, float], value: float, signed: bool = False) -> Requirement:
    """Offences of a small group: uncertain by the margin either way (never below 0 for a count)."""
    low = value - model.margin
    return Requirement(name, form, value, low if signed else max(0.0, low), value + model.margin,
                       f"it must stay uncertain by {model.margin} offences either way")


def describe(key: CellKey) -> str:
    """E.g. 'marac referrals, E07000129, 2013/14 Q1'."""
    measure, area, first, last = key
    if first == last:
        span = f"{first.start:%b %Y}"
    elif first.quarter == last.quarter:
        span = str(first.quarter)
    elif first == Month(first.financial_year, 4) and last.month == 3 and last.financial_year == first.financial_year:
        span = f"cohort {financial_year_label(first.financial_year)}"
    else:
        span = f"{financial_year_label(first.financial_year)} year to date to {last.quarter}"
    return f"{measure.replace('_', ' ')}, {area}, {span}"


def relation(key: CellKey, cell: Cell) -> str:
    """The relation a published cell brings, in words."""
    what = {"month": "the month", "quarter": "the quarter", "ytd": "the year to date = the sum of its quarters",
            "cohort": "the cohort"}[cell.kind]
    if cell.kind == "quarter" and cell.by_month:
        what += " = the sum of its months"
    if cell.county:
        what += "; the county = the sum of its districts"
    return f"{describe(key)} ({what})"


# ---------------------------------------------------------------------------- the linear programmes


class _Programme:
    """The feasible set of a component's atoms given its published cells (scipy's HiGHS). An atom whose own
    cell is published (a district's month, quarter or cohort) is a constant, not a variable."""

    def __init__(self, model: Model, cells: list[CellKey], shown: set[CellKey], reduce: bool = True):
        import numpy as np

        fixed: dict[int, float] = {}
        for key in cells:
            form = model.cells[key].form
            if reduce and key in shown and len(form) == 1:
                fixed[next(iter(form))] = model.cells[key].value
        self.fixed = fixed
        atoms = sorted({atom for key in cells for atom in model.cells[key].form} - set(fixed))
        self.column = {atom: n for n, atom in enumerate(atoms)}
        n = len(atoms)
        values = np.array([model.atom_values[a] for a in atoms])
        # Generous finite bounds keep every programme bounded; far beyond any feasible value that matters.
        big = 10.0 * (float(np.abs(values).sum()) + sum(abs(v) for v in fixed.values()) + model.threshold
                      + model.margin)
        bounds = [[-big if model.signed[a] else 0.0, big] for a in atoms]
        for i, j in model.ordered:  # numerator <= denominator: a bound where one side is known
            if i in self.column and j in fixed:
                bounds[self.column[i]][1] = min(bounds[self.column[i]][1], fixed[j])
            elif j in self.column and i in fixed:
                bounds[self.column[j]][0] = max(bounds[self.column[j]][0], fixed[i])
        self.bounds = [tuple(bound) for bound in bounds]
        self.shown = [key for key in cells if key in shown and any(a in self.column for a in model.cells[key].form)]
        self.a_eq = np.zeros((len(self.shown), n))
        self.b_eq = np.zeros(len(self.shown))
        for row, key in enumerate(self.shown):
            vector, constant = self.vector(model.cells[key].form)
            self.a_eq[row], self.b_eq[row] = vector, model.cells[key].value - constant
        pairs = [(i, j) for i, j in model.ordered if i in self.column and j in self.column]
        self.a_ub = np.zeros((len(pairs), n))
        for row, (i, j) in enumerate(pairs):
            self.a_ub[row, self.column[i]], self.a_ub[row, self.column[j]] = 1.0, -1.0
        self.b_ub = np.zeros(len(pairs))

    def vector(self, form: dict[int, float]):
        """A linear form over the atoms as (coefficients of the variables, the constant from known atoms)."""
        import numpy as np

        vector, constant = np.zeros(len(self.column)), 0.0
        for atom, coefficient in form.items():
            if atom in self.fixed:
                constant += coefficient * self.fixed[atom]
            else:
                vector[self.column[atom]] = coefficient
        return vector, constant

    def solve(self, objective):
        from scipy.optimize import linprog

        result = linprog(objective, A_ub=self.a_ub if len(self.b_ub) else None,
                         b_ub=self.b_ub if len(self.b_ub) else None,
                         A_eq=self.a_eq if len(self.b_eq) else None, b_eq=self.b_eq if len(self.b_eq) else None,
                         bounds=self.bounds, method="highs")
        if result.status != 0:
            raise DisclosureError(f"the published figures are inconsistent ({result.message})")
        return result

    def unmet(self, needs: list[Requirement]) -> list[tuple[Requirement, str, float]]:
        """The requirements no feasible point meets: (requirement, 'up' or 'down', the bound reached).
        A merely hidden cell fails only when it can move neither up nor down."""
        up = self._push(needs, "up")
        down = self._push([n for n in needs if n.low is not None] + [n for n, _ in up if n.low is None], "down")
        return [(n, "up", reached) for n, reached in up if n.low is not None] + [
            (n, "down", reached) for n, reached in down]

    def at(self, form: dict[int, float], point) -> float:
        vector, constant = self.vector(form)
        return float(vector @ point) + constant

    def meets(self, need: Requirement, direction: str) -> bool:
        """Whether some feasible point meets the requirement (a merely hidden cell: moves either way)."""
        directions = ("up", "down") if need.low is None else (direction,)
        return any(not self._push([need], way) for way in directions)

    def _push(self, needs: list[Requirement], direction: str) -> list[tuple[Requirement, float]]:
        """A few programmes pushing every pending quantity at once find points that meet most of them; only
        the rest get a programme each. Counts are whole numbers: only a whole-number point counts as proof."""
        sign = -1.0 if direction == "up" else 1.0
        todo = list(needs)
        while len(todo) > 1:
            objective = sign * sum(self.vector(need.form)[0] / max(1.0, abs(need.value)) for need in todo)
            point = self.optimum(objective)
            left = [need for need in todo if not _meets(need, direction, self.at(need.form, point))]
            if len(left) == len(todo):
                break
            todo = left
        failed = []
        for need in todo:
            vector, constant = self.vector(need.form)
            reached = constant if not vector.any() else self.at(need.form, self.optimum(sign * vector))
            if not _meets(need, direction, reached):
                failed.append((need, reached))
        return failed

    def optimum(self, objective):
        """An optimal whole-number point: the linear programme's vertex when it is whole (it usually is: the
        relations are sums), else the mixed-integer programme's (scipy's HiGHS branch and bound)."""
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp

        point = self.solve(objective).x
        if np.all(np.abs(point - np.round(point)) < 1e-7):
            return np.round(point)
        constraints = []
        if len(self.b_eq):
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if len(self.b_ub):
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        lower, upper = zip(*self.bounds, strict=True) if self.bounds else ((), ())
        result = milp(objective, integrality=np.ones(len(objective)), bounds=Bounds(lower, upper),
                      constraints=constraints, options={"time_limit": 30})
        if result.x is None:
            raise DisclosureError(f"no whole-number counts fit the published figures ({result.message})")
        return np.round(result.x)


def _meets(need: Requirement, direction: str, reached: float) -> bool:
    if direction == "up":
        goal = need.high if need.high is not None else need.value + 1
        return reached >= goal - EPS
    goal = need.low if need.low is not None else need.value - 1
    return reached <= goal + EPS


# ---------------------------------------------------------------------------- choosing and checking


def protect(model: Model) -> Model:
    """Hide the primary cells, then choose secondary cells quarter by quarter until every requirement is met."""
    components: dict[tuple, list[CellKey]] = {}
    for key, cell in model.cells.items():
        components.setdefault(cell.component, []).append(key)
    for keys in components.values():
        for step in sorted({model.cells[key].step for key in keys}):
            so_far = [key for key in keys if model.cells[key].step <= step]
            signature = _signature(model, so_far)
            if signature in _DECIDED:
                model.hidden.update(_DECIDED[signature])
                continue
            for key in so_far:
                if model.cells[key].step == step and model.cells[key].primary:
                    model.hidden[key] = "primary"
            _repair(model, so_far, [key for key in so_far if model.cells[key].step == step])
            _DECIDED[signature] = {key: model.hidden[key] for key in so_far if key in model.hidden}
            while len(_DECIDED) > 512:
                _DECIDED.pop(next(iter(_DECIDED)))
    return model


# A component's decisions up to a quarter depend on its cells up to that quarter alone: each later quarter's
# publication (and the dashboard of every quarter computed in one process) works them out again from the same
# data. Remembered here by a digest of everything they depend on.
_DECIDED: dict[str, dict[CellKey, str]] = {}


def _signature(model: Model, cells: list[CellKey]) -> str:
    """A digest of everything a component's decisions over ``cells`` depend on."""
    import hashlib

    chosen = set(cells)
    atoms = sorted({atom for key in cells for atom in model.cells[key].form})
    parts = [model.threshold, model.margin, sorted(COST.items()), COUNTY_COST,
             [(model.atoms[a], model.atom_values[a], model.signed[a]) for a in atoms],
             [(model.atoms[i], model.atoms[j]) for i, j in model.ordered if i in atoms and j in atoms],
             sorted((repr(key), cells_of) for key, cells_of in model.figures.items() if cells_of[0] in chosen)]
    for key in sorted(cells, key=repr):
        cell = model.cells[key]
        parts.append((key, sorted((model.atoms[a], c) for a, c in cell.form.items()), cell.value, cell.persons,
                      cell.kind, cell.step, cell.people, cell.by_month, cell.county, cell.primary))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _repair(model: Model, cells: list[CellKey], decidable: list[CellKey]) -> None:
    """Release this quarter's cells until every requirement of the component so far is met, one unmet
    requirement at a time. Hiding a cell only widens what the reader can infer, so a met requirement stays met:
    after a release only the requirement at hand and those of the newly hidden cells are checked again."""
    shown = model.shown_cells()
    programme = _Programme(model, cells, shown)
    queue = [(need, direction) for need, direction, _ in programme.unmet(requirements(model, cells, shown))]
    while queue:
        need, direction = queue.pop(0)
        if programme.meets(need, direction):
            continue
        direction = "up" if need.low is None else direction  # a pinned cell: first try to let it grow
        whole = _Programme(model, cells, shown, reduce=False)
        open_cells = [key for key in decidable if key in shown]
        # Districts first: the county is what the board reads (and a source's row count is its county total).
        released = _cheapest_release(model, whole, need, direction,
                                     [key for key in open_cells if not model.cells[key].county]) or \
            _cheapest_release(model, whole, need, direction, open_cells)
        if not released:
            raise DisclosureError(f"{need.name} cannot be protected by hiding cells of this quarter")
        for key in released:
            model.hidden.setdefault(key, "secondary")
        before, shown = shown, model.shown_cells()
        programme = _Programme(model, cells, shown)
        fresh = requirements(model, [key for key in cells if key in before and key not in shown], shown)
        queue = [(need, direction)] + [(n, d) for n, d, _ in programme.unmet(fresh)] + queue


def _cheapest_release(model: Model, programme: _Programme, need: Requirement, direction: str,
                      decidable: list[CellKey]) -> list[CellKey]:
    """The published cells whose release lets ``need`` reach its bound at least cost (a linear programme
    with a slack pair on each releasable cell)."""
    import numpy as np
    from scipy.optimize import linprog

    n, k = len(programme.column), len(decidable)
    rows = {key: r for r, key in enumerate(programme.shown)}
    a_eq = np.hstack([programme.a_eq, np.zeros((len(programme.shown), 2 * k))])
    for s, key in enumerate(decidable):
        a_eq[rows[key], n + s], a_eq[rows[key], n + k + s] = 1.0, -1.0
    goal = (need.high if need.high is not None else need.value + 1) if direction == "up" else (
        need.low if need.low is not None else need.value - 1)
    target, constant = programme.vector(need.form)
    extra = (-target, constant - goal) if direction == "up" else (target, goal - constant)
    a_ub = np.vstack([np.hstack([programme.a_ub, np.zeros((len(programme.b_ub), 2 * k))]),
                      np.concatenate([extra[0], np.zeros(2 * k)])])
    b_ub = np.concatenate([programme.b_ub, [extra[1]]])
    cost = np.zeros(n + 2 * k)
    for s, key in enumerate(decidable):
        cell = model.cells[key]
        weight = (COUNTY_COST if cell.county else COST[cell.kind]) + cell.value / 1e4
        cost[n + s] = cost[n + k + s] = weight
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq if len(a_eq) else None,
                     b_eq=programme.b_eq if len(a_eq) else None,
                     bounds=programme.bounds + [(0, None)] * (2 * k), method="highs")
    if result.status != 0:
        if direction == "up" and need.low is None:
            return _cheapest_release(model, programme, need, "down", decidable)
        return []
    slack = result.x[n:n + k] + result.x[n + k:]
    return [key for s, key in enumerate(decidable) if slack[s] > EPS]


def audit(model: Model, shown: set[CellKey]) -> int:
    """Prove that nothing hidden can be worked out from the ``shown`` cells; return how many hidden quantities
    were checked. Raise :class:`DisclosureError` naming the first cell that can, and the published figures
    that pin it."""
    exposed = sorted(describe(key) for key in shown if model.cells[key].primary)
    if exposed:
        raise DisclosureError(f"publication refused: {exposed[0]} counts fewer than {model.threshold} people "
                              "and would be published")
    components: dict[tuple, list[CellKey]] = {}
    for key, cell in model.cells.items():
        components.setdefault(cell.component, []).append(key)
    checked = 0
    for keys in components.values():
        needs = requirements(model, keys, shown)
        if not needs:
            continue
        checked += len(needs)
        programme = _Programme(model, keys, shown)
        unmet = programme.unmet(needs)
        if unmet:
            need, direction, *_ = unmet[0]
            whole = _Programme(model, keys, shown, reduce=False)  # every published cell a row: its dual names it
            sign = -1.0 if direction == "up" else 1.0
            again = whole.solve(sign * whole.vector(need.form)[0])
            marginals = again.eqlin.marginals if len(whole.b_eq) else []
            binding = [whole.shown[r] for r in range(len(marginals)) if abs(marginals[r]) > EPS]
            pinned_by = "; ".join(relation(key, model.cells[key]) for key in binding[:6]) or "non-negativity"
            # No figure in the message: it reaches task logs and alerts.
            raise DisclosureError(f"publication refused: {need.name} (withheld) could be worked out from the "
                                  f"published figures, but {need.rule}. Pinned by the published {pinned_by}.")
    return checked
