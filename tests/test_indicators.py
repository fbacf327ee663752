"""The indicator catalogue as configuration, and the on-track (RAG) rule for every target kind."""

from __future__ import annotations

import pytest
import yaml

from safer_communities.dashboard.indicators import (
    CATALOGUE_PATH,
    BeatPreviousCohort,
    CatalogueError,
    NoTarget,
    ReduceByPercent,
    WithinRange,
    load_catalogue,
    on_track,
)


def test_the_default_catalogue_covers_the_five_priorities():
    catalogue = load_catalogue()
    assert [p.name for p in catalogue.priorities] == [
        "Ongoing reductions in crime", "Reducing re-offending", "Repeat victimisation and vulnerable victims",
        "Anti-social behaviour and satisfaction", "Preventing terrorism and radicalisation"]
    terrorism = catalogue.priorities[-1]
    assert terrorism.indicators == [] and "being determined" in terrorism.no_measures
    ids = {i.id for i in catalogue.indicators}
    assert {"total_recorded_crime", "vehicle_crime", "burglary", "violence_sexual_offences",
            "criminal_damage_arson", "iom_offending_reduction", "youth_proven_reoffending",
            "youth_first_time_entrants", "marac_referrals", "marac_repeat_rate",
            "domestic_abuse_support_referrals", "police_recorded_asb", "survey_asb_problem",
            "survey_agree_dealing"} == ids
    iom = next(i for i in catalogue.indicators if i.id == "iom_offending_reduction")
    assert iom.targets["2015/16"] == BeatPreviousCohort(kind="beat_previous_cohort") and iom.polarity == "high"


def _broken(tmp_path, mutate):
    document = yaml.safe_load(CATALOGUE_PATH.read_text())
    mutate(document)
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["priorities"][0]["indicators"][0].update(sources=["police_crime"]),
         "indicator 'total_recorded_crime' names unknown sources ['police_crime']"),
        (lambda d: d["priorities"][0]["indicators"][0].pop("denominator"), "a rate_per_1000 needs a denominator"),
        (lambda d: d["priorities"][0]["indicators"][0].update(unit="per cent"), "unit"),
        (lambda d: d["priorities"][1]["indicators"][0].update(polarity="none"),
         "beat_previous_cohort needs a polarity"),
        (lambda d: d["priorities"][0]["indicators"][0].update(targets={"2015": {"kind": "none"}}),
         "is not a financial year"),
        (lambda d: d["priorities"][0]["indicators"][0].update(targets={"2015/16": {"kind": "reduce_by_percent"}}),
         "percent"),
        (lambda d: d["priorities"][4].pop("no_measures"), "must say why"),
        (lambda d: d["priorities"][0]["indicators"].append(d["priorities"][0]["indicators"][0]),
         "declared twice: ['total_recorded_crime']"),
        # the MARAC repeat rate's look-back
        (lambda d: d["priorities"][2]["indicators"][1]["look_back"].update(months=0),
         "priorities.2.indicators.1.look_back.months: Input should be greater than or equal to 1"),
        (lambda d: d["priorities"][2]["indicators"][1]["look_back"].update(sources=["marac"]),
         "indicator 'marac_repeat_rate': look_back.sources names unknown sources ['marac']"),
        (lambda d: d["priorities"][2]["indicators"][1]["look_back"].pop("what"),
         "priorities.2.indicators.1.look_back.what: Field required"),
        (lambda d: d["priorities"][2]["indicators"][1]["look_back"].update(month=12),
         "priorities.2.indicators.1.look_back.month: Extra inputs are not permitted"),
    ],
)
def test_catalogue_errors_name_the_indicator_and_field(tmp_path, mutate, message):
    with pytest.raises(CatalogueError) as error:
        load_catalogue(_broken(tmp_path, mutate))
    assert message in str(error.value)


REDUCE_3 = ReduceByPercent(kind="reduce_by_percent", percent=3)
RANGE = WithinRange(kind="within_range", low=28, high=40)
COHORT = BeatPreviousCohort(kind="beat_previous_cohort")


@pytest.mark.parametrize(
    ("target", "polarity", "value", "previous", "rag"),
    [
        # reduce by 3% on last year's 100: the target is 97
        (REDUCE_3, "low", 96, 100, "green"),
        (REDUCE_3, "low", 97, 100, "green"),
        (REDUCE_3, "low", 99, 100, "amber"),   # 2 over 97 = 2.1%
        (REDUCE_3, "low", 101.85, 100, "amber"),  # 4.85 over 97 = 5.0%
        (REDUCE_3, "low", 102, 100, "red"),    # 5 over 97 = 5.2%
        # stay within 28-40
        (RANGE, "none", 28.5, None, "green"),
        (RANGE, "none", 27, None, "amber"),    # 1 below 28 = 3.6%
        (RANGE, "none", 25, None, "red"),      # 10.7%
        (RANGE, "none", 41, None, "amber"),    # 2.5% above 40
        (RANGE, "none", 44, None, "red"),
        # beat the previous cohort (IOM: high is good; 56% against 39%)
        (COHORT, "high", 56, 39, "green"),
        (COHORT, "high", 38, 39, "amber"),     # 2.6% short
        (COHORT, "high", 30, 39, "red"),
        (COHORT, "high", 39, 39, "amber"),     # equal is not better
        (COHORT, "low", 30, 39, "green"),
        (COHORT, "low", 41, 39, "red"),        # 5.1% worse
    ],
)
def test_on_track_for_every_target_kind_and_polarity(target, polarity, value, previous, rag):
    assert on_track(target, polarity, value, previous, available=True).rag == rag


def test_the_reason_gives_a_worked_out_target_to_two_decimals():
    # IOM 2014/15: 56.4% against the previous cohort's 38.957142...%
    assert on_track(COHORT, "high", 56.4, 38.957142, available=True).reason == "better than the previous cohort (38.96)"
    assert on_track(REDUCE_3, "low", 1200, 1300, available=True).reason == (
        "at or below the target 1,261 (3% below last year)")  # 1,300 less 3%
    assert on_track(REDUCE_3, "low", 97, 100, available=True).reason == "at or below the target 97 (3% below last year)"


def test_the_target_value_is_reported():
    assert on_track(REDUCE_3, "low", 96, 100, available=True).target == pytest.approx(97)
    assert on_track(COHORT, "high", 56, 39, available=True).target == 39


@pytest.mark.parametrize("target", [REDUCE_3, RANGE, COHORT, NoTarget(kind="none"), None])
def test_data_not_available_is_grey_never_green_never_zero(target):
    for value in (0, 28.5, 56, None):
        judged = on_track(target, "high" if target is COHORT else "low", value, 39, available=False)
        assert (judged.rag, judged.reason) == ("grey", "data not available")
    assert on_track(target, "low", None, 39, available=True).rag == "grey"


def test_no_target_and_no_previous_value_are_grey():
    assert on_track(NoTarget(kind="none"), "none", 123, 100, available=True).rag == "grey"
    assert on_track(None, "none", 123, 100, available=True).reason == "no target: monitored only"
    assert on_track(REDUCE_3, "low", 90, None, available=True).rag == "grey"
