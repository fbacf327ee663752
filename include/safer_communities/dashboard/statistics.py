"""Small statistics for the dashboard: intervals, the six-month trend test and district comparison.

Counts get Byar's approximation to the exact Poisson interval (exact limits
below 10 events), proportions the Wilson score interval; the six-month trend is
the Wald test of the slope of a Poisson regression of count on month with a log
population offset; a district is compared with the county by whether the
county's value lies inside the district's interval (the Fingertips method).

The Community Based Survey is weighted, so its percentages come with the Kish
effective sample size ``n_eff = (sum w)^2 / sum w^2`` (``core.survey_quarterly``).
The Wilson score interval is computed on that effective n with
``successes = p * n_eff``; nothing here needs the counts to be whole numbers.

The normal quantile comes from the standard library (``statistics.NormalDist``,
accurate to about 1e-15); only the trend fit imports numpy, inside the function.
"""

from __future__ import annotations

import math
from statistics import NormalDist


def z_value(confidence: float = 0.95) -> float:
    """The two-sided standard normal quantile for a confidence level (1.959964 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval (lower, upper) for a proportion, as fractions in [0, 1].

    ``successes`` out of ``n`` trials; both may be non-integer (a weighted
    proportion: ``successes = p * n_eff`` with ``n`` the effective sample size).
    The bounds are the two proportions whose score test against the observed
    ``p = successes / n`` is exactly at the ``confidence`` level:
    ``(p - pi)^2 = z^2 pi (1 - pi) / n``.
    """
    if not (math.isfinite(n) and n > 0):
        raise ValueError(f"n must be a positive number, got {n!r}")
    if not (math.isfinite(successes) and 0 <= successes <= n):
        raise ValueError(f"successes must be between 0 and n ({n!r}), got {successes!r}")
    z = z_value(confidence)
    p = successes / n
    z2_n = z * z / n
    centre = (p + z2_n / 2) / (1 + z2_n)
    half_width = z / (1 + z2_n) * math.sqrt(p * (1 - p) / n + z2_n / (4 * n))
    lower = 0.0 if successes == 0 else max(0.0, centre - half_width)
    upper = 1.0 if successes == n else min(1.0, centre + half_width)
    return lower, upper


def weighted_wilson_interval(
    weighted_pct: float, effective_n: float, confidence: float = 0.95
) -> tuple[float, float]:
    """The Wilson interval, in percent, for a weighted percentage and its effective sample size."""
    lower, upper = wilson_interval(weighted_pct / 100 * effective_n, effective_n, confidence)
    return 100 * lower, 100 * upper


EXACT_BELOW = 10  # events: below this, exact Poisson limits; from this on, Byar's approximation


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean), summed term by term (k is small where this is used)."""
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return total


def _solve(function, target: float, low: float, high: float) -> float:
    """The root of a monotone ``function(x) = target`` on [low, high], by bisection to 1e-12."""
    f_low = function(low) - target
    for _ in range(200):
        middle = (low + high) / 2
        f_middle = function(middle) - target
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def exact_poisson_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood) interval for a Poisson count: 7 events give 2.814 to 14.423."""
    if events < 0 or int(events) != events:
        raise ValueError(f"events must be a whole number >= 0, got {events!r}")
    alpha = 1 - confidence
    top = events + 10 * math.sqrt(events + 1) + 20
    upper = _solve(lambda mean: _poisson_cdf(events, mean), alpha / 2, 0.0, top)
    if events == 0:
        return 0.0, upper
    lower = _solve(lambda mean: 1 - _poisson_cdf(events - 1, mean), alpha / 2, 0.0, top)
    return lower, upper


def byar_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson interval: 130 events give 108.61 to 154.37."""
    if events <= 0:
        raise ValueError(f"Byar's method needs at least one event, got {events!r}")
    z = z_value(confidence)
    lower = events * (1 - 1 / (9 * events) - z / (3 * math.sqrt(events))) ** 3
    upper = (events + 1) * (1 - 1 / (9 * (events + 1)) + z / (3 * math.sqrt(events + 1))) ** 3
    return lower, upper


def count_interval(events: int, confidence: float = 0.95) -> tuple[float, float]:
    """The interval for a count: exact below ``EXACT_BELOW`` events, Byar's from there on."""
    return exact_poisson_interval(events, confidence) if events < EXACT_BELOW else byar_interval(events, confidence)


def rate_interval(events: int, population: float, per: float = 1000, confidence: float = 0.95) -> tuple[float, float]:
    """The interval for a rate per ``per`` people (e.g. crimes per 1,000 residents)."""
    lower, upper = count_interval(events, confidence)
    return lower / population * per, upper / population * per


def poisson_trend(counts: list[float], populations: list[float]) -> tuple[float, float]:
    """Fit log E[count_t] = log(population_t) + a + b*t (t = 0, 1, ...); return (b, Wald chi-square of b).

    Iteratively reweighted least squares; the Wald statistic is b^2 / Var(b) from
    the inverse Fisher information.
    """
    import numpy as np

    y = np.asarray(counts, dtype=float)
    offset = np.log(np.asarray(populations, dtype=float))
    x = np.column_stack([np.ones(len(y)), np.arange(len(y), dtype=float)])
    beta = np.array([math.log(y.sum() / np.exp(offset).sum()), 0.0])
    for _ in range(100):
        mu = np.exp(x @ beta + offset)
        step = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(x @ beta + offset)
    covariance = np.linalg.inv(x.T @ (mu[:, None] * x))
    return float(beta[1]), float(beta[1] ** 2 / covariance[1, 1])


def trend(
    counts: list[float | None], populations: list[float], polarity: str, complete: bool = True,
    confidence: float = 0.95,
) -> str:
    """The six-month trend label from :func:`poisson_trend`.

    The slope's Wald chi-square (1 df) is compared with the critical value at
    ``confidence``. Returns ``improving`` / ``worsening`` (polarity ``low`` or
    ``high`` is good), ``increasing`` / ``decreasing`` (polarity ``none``),
    ``no significant change``, or ``cannot be calculated`` (not six complete
    months, a month flagged incomplete, or no finite slope to test: every event
    in the last month, say).
    """
    if polarity not in ("low", "high", "none"):
        raise ValueError(f"polarity must be low, high or none, got {polarity!r}")
    if not complete or len(counts) != 6 or len(populations) != 6 or any(c is None for c in counts):
        return "cannot be calculated"
    if sum(counts) == 0:
        return "no significant change"
    import numpy as np

    try:
        slope, wald = poisson_trend(counts, populations)
    except np.linalg.LinAlgError:  # the fit diverges (0, 0, 0, 0, 0, 2): the Wald test has nothing to test
        return "cannot be calculated"
    if wald < z_value(confidence) ** 2:  # the 1-df chi-square critical value is z squared
        return "no significant change"
    if polarity == "none":
        return "increasing" if slope > 0 else "decreasing"
    return "worsening" if (slope > 0) == (polarity == "low") else "improving"


def compare(interval: tuple[float, float], county: float, value: float, polarity: str) -> str:
    """A district against the county: similar when the county lies inside the district's interval.

    Otherwise ``better`` or ``worse`` by polarity (``low`` or ``high`` is good), or
    ``higher`` / ``lower`` for indicators without a judgement (``none``).
    """
    lower, upper = interval
    if lower <= county <= upper:
        return "similar"
    higher = value > county
    if polarity == "none":
        return "higher" if higher else "lower"
    if polarity not in ("low", "high"):
        raise ValueError(f"polarity must be low, high or none, got {polarity!r}")
    return "worse" if higher == (polarity == "low") else "better"
