from datetime import date

from safer_communities.periods import FinancialYear, Month
from safer_communities.sources.availability import (
    LOADED,
    STATUS_WORDS,
    STATUSES,
    check_district_collapse,
    check_follow_up_complete,
    check_no_location_share,
    check_volume,
    loaded_status,
    missed_deadline,
    missing_status,
    outage_status,
)
from safer_communities.sources.registry import DistrictCollapse, FollowUpComplete, NoLocationShare, load_registry

POLICE = load_registry()["police_street_crime"]
MARCH = Month(2020, 3)  # deadline: 31 March + 60 days = 30 May 2020


def test_declared_outage_is_unavailable_with_its_reason():
    status = outage_status(POLICE, Month(2015, 5))
    assert status.status == "unavailable"
    assert "NICHE" in status.reason and "2015-04 to 2015-06" in status.reason
    assert outage_status(POLICE, Month(2015, 7)) is None


def test_missing_file_is_awaited_until_the_deadline_then_late():
    before = missing_status(POLICE, MARCH, date(2020, 4, 20), "no file")
    assert before.status == "awaited" and before.reason.startswith("Not yet due")
    on_the_day = missing_status(POLICE, MARCH, date(2020, 5, 30), "no file")
    assert on_the_day.status == "awaited" and "expected by 2020-05-30" in on_the_day.reason
    after = missing_status(POLICE, MARCH, date(2020, 5, 31), "no file")
    assert after.status == "late" and "2020-05-30" in after.reason and "no file" in after.reason
    assert missed_deadline(after.status) and not missed_deadline(before.status)


def test_statuses_run_from_best_to_worst_and_a_board_reads_each():
    assert STATUSES.index("awaited") < STATUSES.index("late") < STATUSES.index("unavailable")
    assert set(STATUS_WORDS) >= set(STATUSES) - set(LOADED)
    assert STATUS_WORDS["awaited"] == "not yet due"


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
    from safer_communities.sources.availability import scheduled_periods

    # police: due 60 days after the month; on 1 September 2015 July is new, June (due 29 August) is
    # looked for once more, May (due 30 July, +31 days = 30 August) no longer
    assert [str(p) for p in scheduled_periods(POLICE, date(2015, 9, 1))] == ["2015-06", "2015-07", "2015-08"]
    youth = load_registry()["youth_reoffending"]
    periods = [str(p) for p in scheduled_periods(youth, date(2015, 9, 17))]
    # every cohort quarter whose 593-day deadline (+31) has not passed, up to the last quarter ended
    assert periods[-1] == "2015/16 Q1" and periods[0] == "2013/14 Q4"
    assert len(periods) == 6  # 2013/14 Q3 was due 2015-08-14: more than 31 days before


FOLLOW_UP = FollowUpComplete(check="follow_up_complete", column="start_date", months=12, members="offenders adopted")
COHORT = FinancialYear(2014)  # adopted April 2014 to March 2015


def test_a_follow_up_is_complete_only_when_the_last_one_ended_by_the_files_date():
    starts = {date(2014, 4, 2): 3, date(2014, 9, 17): 2, date(2015, 3, 31): 1}
    early = check_follow_up_complete(FOLLOW_UP, COHORT, starts, date(2015, 9, 17))
    assert not early.passed and early.detail == ("the 12-month follow-up of offenders adopted after 2014-09-17 "
                                                 "(1 of 6) runs past the file's date 2015-09-17")
    # the day the last follow-up ends, and a day before it
    assert check_follow_up_complete(FOLLOW_UP, COHORT, starts, date(2016, 3, 31)).passed
    assert not check_follow_up_complete(FOLLOW_UP, COHORT, starts, date(2016, 3, 30)).passed
    # the months are the rule's: 6 months after 31 March 2015 is 30 September 2015
    six = FOLLOW_UP.model_copy(update={"months": 6})
    assert check_follow_up_complete(six, COHORT, starts, date(2015, 9, 30)).passed
    assert not check_follow_up_complete(six, COHORT, starts, date(2015, 9, 29)).passed


def test_a_follow_up_without_a_start_date_or_a_delivery_date():
    # no start date: the latest it can be, the cohort year's last day
    undated = check_follow_up_complete(FOLLOW_UP, COHORT, {None: 4, date(2014, 5, 1): 1}, date(2016, 3, 30))
    assert not undated.passed and "(4 of 5; 4 with no start date, counted as starting on 2015-03-31" in undated.detail
    assert check_follow_up_complete(FOLLOW_UP, COHORT, {None: 4}, date(2016, 3, 31)).passed
    # the delivery date not known: it cannot be judged, so it is not passed
    unknown = check_follow_up_complete(FOLLOW_UP, COHORT, {date(2014, 5, 1): 1}, None)
    assert not unknown.passed and "delivery date is not known" in unknown.detail
    # a leap day: 12 months before 29 February 2016 is 28 February 2015
    leap = check_follow_up_complete(FOLLOW_UP, FinancialYear(2015), {date(2015, 3, 1): 1}, date(2016, 2, 29))
    assert not leap.passed and "after 2015-02-28" in leap.detail


def test_volume_against_the_sources_own_recent_history():
    from safer_communities.sources.registry import Volume

    rule = Volume(check="volume", min_ratio_to_median=0.7, history_periods=6, min_history_periods=3)
    months = {"2019-10": 9000, "2019-11": 8800, "2019-12": 8600}
    # two earlier months only: not judged
    assert check_volume(rule, Month(2019, 12), {k: months[k] for k in ("2019-10", "2019-11", "2019-12")}).passed
    assert "not judged" in check_volume(rule, Month(2019, 12), months).detail
    # median of 9,000, 8,800 and 8,600 is 8,800; 70% of it is 6,160
    half = check_volume(rule, Month(2020, 1), {**months, "2020-01": 4426})
    assert not half.passed
    assert half.detail == ("4,426 rows against a median of 8,800 over the 3 periods loaded before (50%): "
                           "below 70%, a partial delivery")
    assert check_volume(rule, Month(2020, 1), {**months, "2020-01": 6160}).passed  # exactly 70%
    assert not check_volume(rule, Month(2020, 1), {**months, "2020-01": 6159}).passed
    # only the six latest periods before count, and never a later one
    history = {f"2019-{m:02d}": 100 for m in range(1, 7)} | {f"2019-{m:02d}": 1000 for m in range(7, 13)}
    assert not check_volume(rule, Month(2020, 1), {**history, "2020-01": 600, "2020-02": 50}).passed
    assert check_volume(rule, Month(2019, 7), {**history, "2019-07": 100}).passed  # median of Jan-Jun: 100
