"""The indicator catalogue and targets (``include/config/indicators.yaml``), and the on-track rule.

On track (RAG), judged on the year-to-date value against the financial year's
target: green when the target is met; amber when missed by no more than 5% of the
target; red when missed by more; grey when there is no target or no data. Data
not available is always grey: never green, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from safer_communities.config_files import Strict, load_model
from safer_communities.errors import CorrectTheFile
from safer_communities.settings import CONFIG_DIR

CATALOGUE_PATH = CONFIG_DIR / "indicators.yaml"
AMBER_MARGIN = 0.05  # missed by no more than 5% of the target: amber
Polarity = Literal["low", "high", "none"]


class CatalogueError(CorrectTheFile, ValueError):
    """The indicator catalogue is unreadable or breaks its schema."""


class ReduceByPercent(Strict):
    kind: Literal["reduce_by_percent"]
    percent: float = Field(gt=0, lt=100)


class WithinRange(Strict):
    kind: Literal["within_range"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> WithinRange:
        if self.high < self.low:
            raise ValueError(f"range {self.low}-{self.high}: high is below low")
        return self


class BeatPreviousCohort(Strict):
    kind: Literal["beat_previous_cohort"]


class NoTarget(Strict):
    kind: Literal["none"]


Target = Annotated[ReduceByPercent | WithinRange | BeatPreviousCohort | NoTarget, Field(discriminator="kind")]


class Counts(Strict):
    """The counts behind a person-level figure, for disclosure control: the same name is the same count wherever
    it is published (MARAC referrals are the repeat rate's denominator)."""

    numerator: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    denominator: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*$")
    of: Literal["people", "offences"] = "people"  # offences: of the people counted in ``persons``


class SmallNumbers(Strict):
    """Disclosure control (``safer_communities.dashboard.disclosure``)."""

    threshold: int = Field(5, ge=2)  # a count of 1 to threshold-1 people is hidden, shown "<threshold"
    offence_margin: int = Field(5, ge=1)  # a small group's offences stay uncertain by at least this many


class LookBack(Strict):
    """A figure whose records look back in time (a MARAC repeat: the same victim referred in the 12 months
    before): over months the named sources have no data for in the ``months`` before, it is understated, so
    ``incomplete`` with a reason that says so (``dashboard.availability``)."""

    months: int = Field(ge=1, le=120)
    sources: list[str] = Field(min_length=1)
    what: str = Field(min_length=1)  # what looks back, in the reason: "repeat referrals"


class Indicator(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    sources: list[str] = Field(min_length=1)
    grain: Literal["month", "quarter", "year"]
    unit: Literal["count", "rate_per_1000", "rate_per_10000_females", "percent"]
    numerator: str
    denominator: str | None = None
    polarity: Polarity
    person_level: bool = False  # counts of people: small numbers are suppressed when published
    counts: Counts | None = None  # person-level: the counts behind the figure
    interval: Literal["poisson", "wilson", "reduction"] | None = None  # default: wilson for percent, else poisson
    targets: dict[str, Target] = {}
    look_back: LookBack | None = None  # its figures need the sources' data over months before their own

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.unit != "count" and not self.denominator:
            raise ValueError(f"a {self.unit} needs a denominator")
        if self.person_level != (self.counts is not None):
            raise ValueError("a person-level indicator names its counts (counts), and only it")
        if self.counts and (self.counts.denominator is None) != (self.unit != "percent"):
            raise ValueError("counts.denominator is the count under a percentage, and only there")
        if self.interval is None:
            object.__setattr__(self, "interval", "wilson" if self.unit == "percent" else "poisson")
        if (self.interval == "poisson") == (self.unit == "percent"):
            raise ValueError(f"a {self.interval} interval does not fit the unit {self.unit}")
        for year, target in self.targets.items():
            from safer_communities.periods import FinancialYear

            FinancialYear.parse(year)
            if target.kind == "beat_previous_cohort" and self.polarity == "none":
                raise ValueError(f"{year}: beat_previous_cohort needs a polarity (low or high)")
            if target.kind == "reduce_by_percent" and self.polarity != "low":
                raise ValueError(f"{year}: reduce_by_percent is for indicators where low is good")
        return self


class Priority(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    indicators: list[Indicator]
    no_measures: str | None = None

    @model_validator(mode="after")
    def _measured_or_said(self) -> Priority:
        if not self.indicators and not self.no_measures:
            raise ValueError("a priority without indicators must say why (no_measures)")
        return self


class Catalogue(Strict):
    priorities: list[Priority] = Field(min_length=1)
    trend_confidence: float = Field(0.95, gt=0.5, lt=1)  # the six-month trend's significance level
    small_numbers: SmallNumbers = SmallNumbers()

    @property
    def indicators(self) -> list[Indicator]:
        return [indicator for priority in self.priorities for indicator in priority.indicators]


def load_catalogue(path: Path = CATALOGUE_PATH, sources: set[str] | None = None) -> Catalogue:
    """Read and check the catalogue; every source named must be in the registry."""
    catalogue = load_model(path, Catalogue, CatalogueError, "the indicator catalogue")
    if sources is None:
        from safer_communities.sources.registry import default_registry

        sources = set(default_registry())
    ids = [indicator.id for indicator in catalogue.indicators]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise CatalogueError(f"{path}: indicator ids declared twice: {duplicated}")
    for indicator in catalogue.indicators:
        unknown = [source for source in indicator.sources if source not in sources]
        if unknown:
            raise CatalogueError(f"{path}: indicator {indicator.id!r} names unknown sources {unknown}")
        unknown = [source for source in (indicator.look_back.sources if indicator.look_back else [])
                   if source not in sources]
        if unknown:
            raise CatalogueError(f"{path}: indicator {indicator.id!r}: look_back.sources names unknown sources "
                                 f"{unknown}")
    return catalogue


@dataclass(frozen=True)
class OnTrack:
    rag: Literal["green", "amber", "red", "grey"]
    target: float | None
    reason: str


def on_track(target: Target | None, polarity: Polarity, value: float | None, previous: float | None,
             available: bool, unit: str = "count") -> OnTrack:
    """Judge a year-to-date ``value`` against its target (``previous``: last year's, or the last cohort's);
    ``unit`` is the figure's, for the reason's range."""
    if not available or value is None:
        return OnTrack("grey", None, "data not available")
    if target is None or target.kind == "none":
        return OnTrack("grey", None, "no target: monitored only")
    if target.kind == "within_range":
        if target.low <= value <= target.high:
            return OnTrack("green", None, f"within {value_range(target.low, target.high, unit)}")
        bound = target.low if value < target.low else target.high
        return _missed(abs(value - bound), bound, f"outside {value_range(target.low, target.high, unit)}", None)
    if previous is None:
        return OnTrack("grey", None, "no previous value to set the target from")
    if target.kind == "reduce_by_percent":
        goal = previous * (1 - target.percent / 100)
        if value <= goal:
            return OnTrack("green", goal,
                           f"at or below the target {_figure(goal)} ({target.percent:g}% below last year)")
        return _missed(value - goal, goal, f"above the target {_figure(goal)}", goal)
    # beat the previous cohort
    better = value > previous if polarity == "high" else value < previous
    if better:
        return OnTrack("green", previous, f"better than the previous cohort ({_figure(previous)})")
    return _missed(abs(value - previous), previous, f"not better than the previous cohort ({_figure(previous)})",
                   previous)


def display(value: float | None, unit: str, missing: str = "n/a") -> str:
    """A figure as the dashboard prints it in its unit: 621 (count), 28.5% (percent), 3.65 (a rate)."""
    if value is None:
        return missing
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "percent":
        return f"{value:.1f}%"
    return f"{value:.2f}"


UNIT_AFTER = {"count": "", "percent": "%", "rate_per_1000": " per 1,000 residents",
              "rate_per_10000_females": " per 10,000 females"}  # what follows a figure in a sentence


def value_range(low: float, high: float, unit: str) -> str:
    """A range in its unit: 28%–40%, 2–3 per 1,000 residents."""
    if unit == "percent":
        return f"{low:g}%–{high:g}%"
    return f"{low:g}–{high:g}{UNIT_AFTER[unit]}"


def _figure(value: float) -> str:
    """A worked-out target in a sentence: at most two decimals (38.96, 602.37, 1,234.5)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _missed(shortfall: float, reference: float, reason: str, goal: float | None) -> OnTrack:
    share = shortfall / abs(reference) if reference else float("inf")
    rag = "amber" if share <= AMBER_MARGIN else "red"
    return OnTrack(rag, goal, f"{reason}: missed by {share:.1%}")
