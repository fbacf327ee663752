from datetime import date

from safer_communities.availability import (
    check_district_collapse,
    check_no_location_share,
    loaded_status,
    missing_status,
    outage_status,
)
from safer_communities.periods import Month
from safer_communities.registry import DistrictCollapse, NoLocationShare, load_registry

POLICE = load_registry()["police_street_crime"]
MARCH = Month(2020, 3)  # deadline: 31 March + 60 days = 30 May 2020


def test_declared_outage_is_unavailable_with_its_reason():
    status = outage_status(POLICE, Month(2015, 5))
    assert status.status == "unavailable"
    assert "NICHE" in status.reason and "2015-04 to 2015-06" in status.reason
    assert outage_status(POLICE, Month(2015, 7)) is None


def test_missing_file_is_late_until_the_deadline_then_unavailable():
    assert missing_status(POLICE, MARCH, date(2020, 4, 20), "no file").status == "late"
    on_the_day = missing_status(POLICE, MARCH, date(2020, 5, 30), "no file")
    assert on_the_day.status == "late" and "due by 2020-05-30" in on_the_day.reason
    after = missing_status(POLICE, MARCH, date(2020, 5, 31), "no file")
    assert after.status == "unavailable" and "2020-05-30" in after.reason and "no file" in after.reason


def test_no_location_share_limit():
    rule = NoLocationShare(check="no_location_share", max_share=0.10)
    march = check_no_location_share(rule, 1157, 8146)  # the real March 2020 file
    assert not march.passed and "14.2%" in march.detail
    assert check_no_location_share(rule, 729, 8852).passed  # January 2020: 8.2%
    assert check_no_location_share(rule, 10, 100).passed  # exactly at the limit
    assert not check_no_location_share(rule, 11, 100).passed


RULE = DistrictCollapse(check="district_collapse", min_ratio_to_median=0.25, history_months=6, min_history_months=2)
NAMES = {"E07000131": "Harborough", "E07000130": "Charnwood"}


def test_collapse_against_own_median_names_the_district():
    counts = {
        "E07000131": {Month(2020, 1): 403, Month(2020, 2): 341, MARCH: 4},
        "E07000130": {Month(2020, 1): 997, Month(2020, 2): 939, MARCH: 921},
    }
    result = check_district_collapse(RULE, MARCH, counts, NAMES)
    assert not result.passed
    assert "Harborough 4 against a median of 372" in result.detail
    assert "Charnwood" not in result.detail


def test_collapse_threshold_is_relative_to_the_median():
    history = {Month(2019, 12): 100, Month(2020, 1): 100, Month(2020, 2): 120}  # median 100
    assert check_district_collapse(RULE, MARCH, {"E07000131": {**history, MARCH: 25}}, NAMES).passed
    assert not check_district_collapse(RULE, MARCH, {"E07000131": {**history, MARCH: 24}}, NAMES).passed
    # a district with no rows at all this month counts as zero
    assert not check_district_collapse(RULE, MARCH, {"E07000131": history}, NAMES).passed


def test_collapse_needs_enough_history_and_ignores_later_months():
    too_short = {"E07000131": {Month(2020, 2): 400, MARCH: 4}}
    result = check_district_collapse(RULE, MARCH, too_short, NAMES)
    assert result.passed and "not judged" in result.detail
    later_only = {"E07000131": {Month(2020, 4): 400, Month(2020, 5): 400, MARCH: 4}}
    assert check_district_collapse(RULE, MARCH, later_only, NAMES).passed


def test_loaded_status_is_available_or_incomplete():
    ok = check_no_location_share(NoLocationShare(check="no_location_share", max_share=0.1), 1, 100)
    bad = check_no_location_share(NoLocationShare(check="no_location_share", max_share=0.1), 50, 100)
    assert loaded_status([ok], 100, 0, 0).status == "available"
    available = loaded_status([ok], 98, 2, 1)
    assert available.status == "available" and "2 rows quarantined" in available.reason
    incomplete = loaded_status([ok, bad], 100, 0, 0)
    assert incomplete.status == "incomplete" and "50.0%" in incomplete.reason


def test_a_scheduled_run_looks_again_for_periods_still_awaited():
    from safer_communities.availability import scheduled_periods

    # police: due 60 days after the month; on 1 September 2015 July is new, June (due 29 August) is
    # looked for once more, May (due 30 July, +31 days = 30 August) no longer
    assert [str(p) for p in scheduled_periods(POLICE, date(2015, 9, 1))] == ["2015-06", "2015-07", "2015-08"]
    youth = load_registry()["youth_reoffending"]
    periods = [str(p) for p in scheduled_periods(youth, date(2015, 9, 17))]
    # every cohort quarter whose 593-day deadline (+31) has not passed, up to the last quarter ended
    assert periods[-1] == "2015/16 Q1" and periods[0] == "2013/14 Q4"
    assert len(periods) == 6  # 2013/14 Q3 was due 2015-08-14: more than 31 days before
