"""Small statistics for the dashboard: confidence intervals for survey proportions.

The Community Based Survey is weighted, so its percentages come with the Kish
effective sample size ``n_eff = (sum w)^2 / sum w^2`` (``core.survey_quarterly``).
The Wilson score interval is computed on that effective n with
``successes = p * n_eff``; nothing here needs the counts to be whole numbers.

The normal quantile comes from the standard library (``statistics.NormalDist``,
accurate to about 1e-15), so this module needs neither scipy nor numpy.
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
