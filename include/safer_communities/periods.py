"""Reporting periods: calendar months and UK financial-year quarters.

The financial year runs 1 April to 31 March, so "2015/16 Q1" is April–June 2015.
Every period a task works on is parsed here, from a parameter or a data interval,
never from the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from safer_communities.errors import Lasting

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})/(\d{2}) Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})/(\d{2})$")


class PeriodError(Lasting, ValueError):
    """A period string that is neither a month nor a financial-year quarter."""

    @property
    def advice(self) -> str:
        return f"{self}: give the period as a month (2015-04), a quarter (2015/16 Q1) or a financial year (2015/16)"


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"month {self.month} is not 1-12")

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if not match:
            raise PeriodError(f"{text!r} is not a month like '2015-04'")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """Last day of the month."""
        following = self.shift(1).start
        return date.fromordinal(following.toordinal() - 1)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def financial_year(self) -> int:
        """The calendar year in which this month's financial year starts."""
        return self.year if self.month >= 4 else self.year - 1

    @property
    def months(self) -> tuple[Month]:
        return (self,)

    @property
    def slug(self) -> str:
        """The period as it appears in file names."""
        return str(self)

    def template_fields(self) -> dict[str, str]:
        return {"period": self.slug, "month": str(self), "yyyy": f"{self.year:04d}", "mm": f"{self.month:02d}",
                "fy": FinancialYear(self.financial_year).slug}

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.financial_year, (self.month - 4) % 12 // 3 + 1)


@dataclass(frozen=True, order=True)
class Quarter:
    """A financial-year quarter; ``fy_start`` is the year the financial year starts."""

    fy_start: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise PeriodError(f"quarter {self.number} is not 1-4")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip())
        if not match:
            raise PeriodError(f"{text!r} is not a financial-year quarter like '2015/16 Q1'")
        start, end = int(match[1]), int(match[2])
        if (start + 1) % 100 != end:
            raise PeriodError(f"{text!r}: {match[2]} does not follow {match[1]}")
        return cls(start, int(match[3]))

    def __str__(self) -> str:
        return f"{financial_year_label(self.fy_start)} Q{self.number}"

    @property
    def months(self) -> tuple[Month, Month, Month]:
        first = Month(self.fy_start, 4).shift(3 * (self.number - 1))
        return (first, first.shift(1), first.shift(2))

    @property
    def start(self) -> date:
        return self.months[0].start

    @property
    def end(self) -> date:
        return self.months[-1].end

    @property
    def slug(self) -> str:
        return f"{FinancialYear(self.fy_start).slug}-Q{self.number}"

    def template_fields(self) -> dict[str, str]:
        return {"period": self.slug, "quarter": str(self.number), "fy": FinancialYear(self.fy_start).slug}


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A UK financial year, 1 April to 31 March; ``fy_start`` is the year it starts."""

    fy_start: int

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        match = _YEAR.match(text.strip())
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise PeriodError(f"{text!r} is not a financial year like '2015/16'")
        return cls(int(match[1]))

    def __str__(self) -> str:
        return financial_year_label(self.fy_start)

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(Month(self.fy_start, 4).shift(i) for i in range(12))

    @property
    def quarters(self) -> tuple[Quarter, ...]:
        return tuple(Quarter(self.fy_start, n) for n in range(1, 5))

    @property
    def start(self) -> date:
        return date(self.fy_start, 4, 1)

    @property
    def end(self) -> date:
        return date(self.fy_start + 1, 3, 31)

    @property
    def slug(self) -> str:
        return f"{self.fy_start}-{(self.fy_start + 1) % 100:02d}"

    def template_fields(self) -> dict[str, str]:
        return {"period": self.slug, "fy": self.slug}


Period = Month | Quarter | FinancialYear
CADENCE_FIELDS = {
    "monthly": {"period", "month", "yyyy", "mm", "fy"},
    "quarterly": {"period", "quarter", "fy"},
    "annual": {"period", "fy"},
}


def financial_year_label(fy_start: int) -> str:
    return f"{fy_start}/{(fy_start + 1) % 100:02d}"


def parse_any(text: str) -> Period:
    """A month ('2015-04'), a financial-year quarter ('2015/16 Q1') or a financial year ('2015/16')."""
    text = text.strip()
    if _MONTH.match(text):
        return Month.parse(text)
    if _QUARTER.match(text):
        return Quarter.parse(text)
    if _YEAR.match(text):
        return FinancialYear.parse(text)
    raise PeriodError(
        f"{text!r} is not a month like '2015-04', a quarter like '2015/16 Q1' or a financial year like '2015/16'"
    )


def parse_period(text: str) -> tuple[Month, ...]:
    """The months of a period given as a month, a quarter or a financial year."""
    return parse_any(text).months


def latest_ended(cadence: str, day: date) -> Period:
    """The latest period of a cadence that ended before ``day``: what a scheduled run asks for."""
    previous_month = Month.of(day).shift(-1)
    if cadence == "monthly":
        return previous_month
    if cadence == "quarterly":
        quarter = previous_month.quarter
        return quarter if quarter.end < day else quarter.months[0].shift(-1).quarter
    if cadence == "annual":
        year = FinancialYear(previous_month.financial_year)
        return year if year.end < day else FinancialYear(year.fy_start - 1)
    raise PeriodError(f"unknown cadence {cadence!r}")


def previous(period: Period) -> Period:
    """The period of the same kind just before."""
    if isinstance(period, Month):
        return period.shift(-1)
    if isinstance(period, Quarter):
        return period.months[0].shift(-1).quarter
    return FinancialYear(period.fy_start - 1)


def following(period: Period) -> Period:
    """The period of the same kind just after."""
    if isinstance(period, Month):
        return period.shift(1)
    if isinstance(period, Quarter):
        return period.months[-1].shift(1).quarter
    return FinancialYear(period.fy_start + 1)


def periods_for(cadence: str, text: str) -> list[Period]:
    """The periods a source of this cadence delivers for a requested month, quarter or year.

    A monthly source: the months. A quarterly source: the quarters they fall in.
    An annual source: the financial years.
    """
    months = parse_period(text)
    if cadence == "monthly":
        return list(months)
    if cadence == "quarterly":
        return sorted({month.quarter for month in months})
    if cadence == "annual":
        return sorted({FinancialYear(month.financial_year) for month in months})
    raise PeriodError(f"unknown cadence {cadence!r}")


def month_range(first: Month, last: Month) -> list[Month]:
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = current.shift(1)
    return months


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative), clamped to the month's end (as both engines add an
    interval: 31 January + 1 month is 28 February)."""
    target = Month.of(day).shift(months)
    return date(target.year, target.month, min(day.day, target.end.day))


def quarters_in(text: str) -> list[Quarter]:
    """The financial-year quarters a period touches, or those of a range ``FIRST..LAST`` (any periods)."""
    first, _, last = text.partition("..")
    months = parse_period(first)
    if last:
        months = tuple(month_range(months[0], parse_period(last)[-1]))
        if not months:
            raise PeriodError(f"{text!r}: the range ends before it starts")
    return sorted({month.quarter for month in months})


def data_window(quarter: Quarter) -> tuple[Month, Month]:
    """The first and last month any figure of the quarter's dashboard reads: two financial years back, to the
    quarter's end (its year to date, last year's, the six-month trend and the look-backs all fall inside)."""
    return Month(quarter.fy_start - 2, 4), quarter.months[-1]
