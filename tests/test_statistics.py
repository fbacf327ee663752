"""Wilson score intervals: a published reference value, a hand-checked weighted case, and the defining property."""

from __future__ import annotations

import math

import pytest

from safer_communities.dashboard.statistics import weighted_wilson_interval, wilson_interval, z_value


def test_wilson_95_for_57_of_200_matches_the_reference():
    lower, upper = wilson_interval(57, 200)
    # reference: 28.5% (95% CI 22.7% to 35.1%)
    assert (round(100 * lower, 1), round(100 * upper, 1)) == (22.7, 35.1)
    assert lower == pytest.approx(0.226950, abs=1e-6) and upper == pytest.approx(0.351153, abs=1e-6)


def test_a_weighted_proportion_on_a_non_integer_effective_n():
    # Worked by hand: weighted p = 3.5 / 6.0 = 0.583333 on n_eff = 6.0^2 / 12.5 = 2.88, z = 1.959964.
    # z^2/n = 3.841459 / 2.88 = 1.333840; centre = (0.583333 + 0.666920) / 2.333840 = 0.535698;
    # half = 1.959964 / 2.333840 * sqrt(0.583333 * 0.416667 / 2.88 + 3.841459 / (4 * 2.88^2))
    #      = 0.839802 * sqrt(0.084394 + 0.115784) = 0.839802 * 0.447413 = 0.375738 -> 0.159960 to 0.911436
    lower, upper = wilson_interval(3.5 / 6.0 * 2.88, 2.88)
    assert lower == pytest.approx(0.15996, abs=2e-5) and upper == pytest.approx(0.91144, abs=2e-5)
    assert weighted_wilson_interval(100 * 3.5 / 6.0, 2.88) == pytest.approx((100 * lower, 100 * upper))


@pytest.mark.parametrize(("successes", "n"), [(57, 200), (2.3 / 6.8 * 3.519026, 3.519026), (0.4, 1.7), (9, 10)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_the_bounds_are_where_the_score_test_is_exactly_at_z(successes, n, confidence):
    """The defining property, independent of the closed form: (p - pi)^2 = z^2 pi (1 - pi) / n at each bound."""
    p, z = successes / n, z_value(confidence)
    lower, upper = wilson_interval(successes, n, confidence)
    assert 0 < lower < p < upper < 1
    for bound in (lower, upper):
        assert abs(p - bound) / math.sqrt(bound * (1 - bound) / n) == pytest.approx(z, rel=1e-9)


def test_z_matches_scipy_when_it_is_installed():
    norm = pytest.importorskip("scipy.stats").norm
    for confidence in (0.8, 0.9, 0.95, 0.99, 0.999):
        assert z_value(confidence) == pytest.approx(norm.ppf(0.5 + confidence / 2), rel=1e-12)
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)


def test_the_edges_are_exact_and_bad_input_is_refused():
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 10)[1] == pytest.approx(0.277533, abs=1e-6)
    for successes, n in ((1, 0), (5, 4), (-0.1, 4), (1, float("nan")), (1, float("inf"))):
        with pytest.raises(ValueError):
            wilson_interval(successes, n)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 4, confidence=95)


# --- counts and rates: published reference values -------------------------------------------

def test_byar_limits_for_130_events():
    from safer_communities.dashboard.statistics import byar_interval

    assert byar_interval(130) == pytest.approx((108.61, 154.37), abs=0.005)


def test_exact_poisson_limits_for_7_events():
    from safer_communities.dashboard.statistics import count_interval, exact_poisson_interval

    assert exact_poisson_interval(7) == pytest.approx((2.814, 14.423), abs=0.0005)
    assert count_interval(7) == exact_poisson_interval(7)  # under 10 events: exact
    lower, upper = exact_poisson_interval(0)
    assert lower == 0 and upper == pytest.approx(3.689, abs=0.001)  # -ln(0.025)


def test_count_interval_switches_to_byar_at_10_events():
    from safer_communities.dashboard.statistics import byar_interval, count_interval, exact_poisson_interval

    assert count_interval(10) == byar_interval(10)
    assert count_interval(9) == exact_poisson_interval(9)
    # Byar is a close approximation to the exact limits: within 1% at 10 events
    assert byar_interval(10) == pytest.approx(exact_poisson_interval(10), rel=0.01)


def test_rate_interval_per_1000():
    from safer_communities.dashboard.statistics import byar_interval, rate_interval

    lower, upper = byar_interval(130)
    assert rate_interval(130, 65_000) == pytest.approx((lower / 65, upper / 65))


# --- the six-month trend ------------------------------------------------------------------------

def test_a_perfect_geometric_decline_is_fitted_exactly():
    """y = 64, 32, ..., 2 with a constant population: the slope is ln(1/2); Var(b) = 1 / sum mu (t - tbar)^2."""
    from safer_communities.dashboard.statistics import poisson_trend

    counts = [64, 32, 16, 8, 4, 2]
    slope, wald = poisson_trend(counts, [1000] * 6)
    assert slope == pytest.approx(math.log(0.5), abs=1e-9)
    tbar = sum(t * y for t, y in enumerate(counts)) / sum(counts)
    information = sum(y * (t - tbar) ** 2 for t, y in enumerate(counts))
    assert wald == pytest.approx(math.log(0.5) ** 2 * information, rel=1e-9)


@pytest.mark.parametrize(
    ("counts", "polarity", "expected"),
    [
        ([120, 110, 100, 90, 80, 70], "low", "improving"),      # a clear decline, low is good
        ([120, 110, 100, 90, 80, 70], "high", "worsening"),
        ([120, 110, 100, 90, 80, 70], "none", "decreasing"),
        ([70, 80, 90, 100, 110, 120], "low", "worsening"),
        ([70, 80, 90, 100, 110, 120], "none", "increasing"),
        ([100, 104, 97, 101, 99, 102], "low", "no significant change"),  # flat
        ([20, 19, 21, 18, 19, 17], "low", "no significant change"),     # drifting, too few events to tell
    ],
)
def test_trend_labels(counts, polarity, expected):
    from safer_communities.dashboard.statistics import trend

    assert trend(counts, [50_000] * 6, polarity) == expected


def test_trend_uses_the_population_offset():
    """Counts rising exactly with the population are a flat rate: no significant change."""
    from safer_communities.dashboard.statistics import trend

    populations = [50_000, 55_000, 60_500, 66_550, 73_205, 80_525.5]
    counts = [p / 500 for p in populations]  # 100, 110, 121, ...: +10% a month, like the population
    assert trend(counts, populations, "low") == "no significant change"
    assert trend(counts, [50_000] * 6, "low") == "worsening"


@pytest.mark.parametrize(
    ("counts", "complete"),
    [([100, 90, 80, 70, 60, None], True), ([100, 90, 80, 70, 60], True), ([100, 90, 80, 70, 60, 50], False),
     ([0, 0, 0, 0, 0, 2], True)],  # a district's only events in the last month: no finite slope, no error
)
def test_trend_cannot_be_calculated_without_six_complete_months(counts, complete):
    from safer_communities.dashboard.statistics import trend

    assert trend(counts, [50_000] * len(counts), "low", complete=complete) == "cannot be calculated"


# --- district comparison -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("interval", "county", "value", "polarity", "expected"),
    [
        ((5.0, 9.0), 7.5, 7.0, "low", "similar"),      # the county inside the district's interval
        ((5.0, 9.0), 9.0, 7.0, "low", "similar"),      # on the boundary still similar
        ((5.0, 9.0), 10.0, 7.0, "low", "better"),      # lower than the county, low is good
        ((5.0, 9.0), 10.0, 7.0, "high", "worse"),
        ((11.0, 15.0), 10.0, 13.0, "low", "worse"),
        ((11.0, 15.0), 10.0, 13.0, "high", "better"),
        ((11.0, 15.0), 10.0, 13.0, "none", "higher"),
        ((5.0, 9.0), 10.0, 7.0, "none", "lower"),
    ],
)
def test_district_comparison(interval, county, value, polarity, expected):
    from safer_communities.dashboard.statistics import compare

    assert compare(interval, county, value, polarity) == expected
