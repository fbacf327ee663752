"""Wilson score intervals: a published reference value, a hand-checked weighted case, and the defining property."""

from __future__ import annotations

import math

import pytest

from safer_communities.statistics import weighted_wilson_interval, wilson_interval, z_value


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
