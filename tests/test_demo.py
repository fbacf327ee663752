"""The demo data generator: deterministic, where the registry looks, valid, and calibrated to the seed report.

The calibration figures (MARAC repeat rate, IOM reductions, rising referrals) are recomputed here from
the raw files, independently of the generator's own manifest, and the MARAC figures once more through
the real pipeline on both warehouse engines.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from safer_communities import demo
from safer_communities.periods import FinancialYear, Month, Quarter, month_range
from safer_communities.settings import REFERENCE_DIR
from safer_communities.sources import ingest
from safer_communities.sources.availability import check_district_collapse, check_no_location_share
from safer_communities.sources.contracts import load_contract
from safer_communities.sources.extract import parse_extract
from safer_communities.sources.registry import (
    DistrictCollapse,
    LocalTransport,
    NoLocationShare,
    get_source,
    load_registry,
)

REPORT_DATE = date(2015, 9, 17)
KEY = "test-only-key-not-a-secret"
POLICE_HEADER = (b"Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 b"Crime type,Last outcome category,Context")
DEMO_MONTHS = month_range(Month(2013, 4), Month(2016, 3))
NICHE = [Month(2015, 4), Month(2015, 5), Month(2015, 6)]
FOLDERS = ("police", "marac", "probation", "youth", "domestic-abuse", "survey")
DISTRICTS = {"Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton", "North West Leicestershire",
             "Oadby and Wigston"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    drop = tmp_path_factory.mktemp("demo") / "drop"
    return drop, demo.generate(drop)


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def rows_of(path: Path) -> list[dict[str, str]]:
    """A CSV or .xlsx extract as text rows, read here without the generator's helpers."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        values = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        header = [str(v) for v in values[0]]
        return [{h: "" if v is None else v.date().isoformat() if hasattr(v, "date") else str(v)
                 for h, v in zip(header, row, strict=True)} for row in values[1:]]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def quarter_files(drop: Path, folder: str, prefix: str) -> dict[Quarter, Path]:
    found = {}
    for path in (drop / folder).glob(f"{prefix}-*"):
        match = re.fullmatch(rf"{prefix}-(\d{{4}})-(\d{{2}})-Q([1-4])\.(csv|xlsx)", path.name)
        assert match, path.name
        found[Quarter.parse(f"{match[1]}/{match[2]} Q{match[3]}")] = path
    return dict(sorted(found.items()))


def quarters(first: Quarter, last: Quarter) -> list[Quarter]:
    return sorted({m.quarter for m in month_range(first.months[0], last.months[-1])})


# ------------------------------------------------------------------------------------------ determinism

def test_the_same_seed_gives_byte_identical_files_and_another_seed_other_files(generated, tmp_path):
    drop, manifest = generated
    again = demo.generate(tmp_path / "again")
    other = demo.generate(tmp_path / "other", seed=demo.DEFAULT_SEED + 1)

    first = digests(drop)
    assert len(first) == 91 and any(name.endswith(".xlsx") for name in first)
    assert digests(tmp_path / "again") == first
    assert {k: v for k, v in again.items() if k != "drop_dir"} == {k: v for k, v in manifest.items()
                                                                    if k != "drop_dir"}
    different = digests(tmp_path / "other")
    assert different.keys() == first.keys()  # the same deliveries, other content
    same = [name for name in first if different[name] == first[name]]
    assert same == []
    assert other["calibration"]["marac"]["quarters"]["2015/16 Q1"] == {"referrals": 123, "repeats": 35}
    assert 56.0 <= other["calibration"]["probation"]["iom_cohorts"]["2014/15"]["reduction_pct"] < 56.9


def test_the_manifest_lists_every_file_with_its_rows(generated):
    drop, manifest = generated
    listed = {path: rows for files in manifest["files"].values() for path, rows in files.items()}
    assert sorted(listed) == sorted(digests(drop))
    for path, rows in listed.items():
        assert len(rows_of(drop / path)) == rows, path
    assert manifest["rows"] == {source: sum(files.values()) for source, files in manifest["files"].items()}
    calibration = manifest["calibration"]
    assert calibration["marac"]["seed_quarter_repeat_rate_pct"] == 28.5
    assert calibration["police"]["months_missing"] == ["2015-04", "2015-05", "2015-06"]


# ------------------------------------------------------------------------------------------ registry and contracts

def test_every_file_is_where_the_registry_looks_for_it(generated):
    """Each source's local location, for every period of its cadence, finds exactly the files written."""
    drop, _ = generated
    claimed: dict[str, str] = {}
    periods = {
        "monthly": DEMO_MONTHS,
        "quarterly": quarters(Quarter(2013, 1), Quarter(2015, 4)),
        "annual": [FinancialYear(2013), FinancialYear(2014), FinancialYear(2015)],
    }
    for name, source in load_registry().items():
        if not isinstance(source.transport, LocalTransport):
            continue
        for period in periods[source.cadence]:
            found = [Path(p) for p in source.locations_for(period, drop_dir=drop) if Path(p).is_file()]
            if found:
                relative = str(found[0].relative_to(drop))  # the first accepted format that is there
                assert relative not in claimed, f"{relative} claimed by {claimed.get(relative)} and {name}"
                claimed[relative] = name
    assert sorted(claimed) == sorted(digests(drop))
    per_source = Counter(claimed.values())
    assert per_source == {"police_street_crime": 33, "marac_referrals": 9, "iom_cohort": 2,
                          "youth_first_time_entrants": 9, "youth_reoffending": 3, "domestic_abuse_referrals": 27,
                          "community_survey": 8}


LATEST = {  # source -> (period, path) of the file checked against its contract
    "police_street_crime": ("2016-03", "police/2016-03-leicestershire-street.csv"),
    "marac_referrals": ("2015/16 Q1", "marac/marac-referrals-2015-16-Q1.xlsx"),
    "iom_cohort": ("2014/15", "probation/iom-cohort-2014-15.csv"),
    "youth_first_time_entrants": ("2015/16 Q1", "youth/first-time-entrants-2015-16-Q1.csv"),
    "youth_reoffending": ("2013/14 Q3", "youth/proven-reoffending-2013-14-Q3.csv"),
    "domestic_abuse_referrals": ("2015-06", "domestic-abuse/da-referrals-2015-06.csv"),
    "community_survey": ("2014/15 Q4", "survey/community-survey-2014-15-Q4.csv"),
}


def _validate(path: Path, source_name: str, period: str):
    from safer_communities.periods import parse_any
    from safer_communities.sources.validation import validate

    contract = load_contract(get_source(source_name).contract)
    pseudonymise = None
    if contract.has_person_refs:
        def pseudonymise(ref: str) -> str:
            return hmac.new(KEY.encode(), ref.strip().upper().encode(), hashlib.sha256).hexdigest()
    parsed = parse_extract(path, contract, pseudonymise=pseudonymise)
    return validate(parsed, contract, parse_any(period))


@pytest.mark.parametrize("source_name", sorted(LATEST))
def test_a_generated_file_passes_its_contract_without_a_quarantined_row_or_warning(generated, source_name):
    drop, _ = generated
    period, relative = LATEST[source_name]
    outcome = _validate(drop / relative, source_name, period)
    assert outcome.rejection is None
    assert outcome.quarantined == []
    assert [w.message for w in outcome.warnings] == []
    assert outcome.rows_accepted == len(rows_of(drop / relative))


@pytest.mark.parametrize("month", ["2013-04", "2015-07"])
def test_police_months_pass_the_police_contract_with_zero_quarantined_rows(generated, month):
    drop, _ = generated
    outcome = _validate(drop / f"police/{month}-leicestershire-street.csv", "police_street_crime", month)
    assert outcome.rejection is None and outcome.quarantined == [] and outcome.warnings == []
    assert 3000 <= outcome.rows_accepted <= 4500


# ------------------------------------------------------------------------------------------ police

def test_police_files_look_like_data_police_uk_and_skip_the_niche_outage(generated):
    drop, _ = generated
    with (REFERENCE_DIR / "lsoa11_to_lad15_llr.csv").open(encoding="utf-8", newline="") as handle:
        lookup = {r["LSOA11CD"]: r for r in csv.DictReader(handle)}
    files = {m: drop / "police" / f"{m}-leicestershire-street.csv" for m in DEMO_MONTHS}
    assert [m for m, path in files.items() if not path.exists()] == NICHE
    ids: set[str] = set()
    types: Counter = Counter()
    areas: Counter = Counter()
    for month in (m for m in DEMO_MONTHS if m not in NICHE):
        raw = files[month].read_bytes()
        assert raw.split(b"\r\n", 1)[0] == POLICE_HEADER
        rows = rows_of(files[month])
        assert 3000 <= len(rows) <= 4500, month
        assert {r["Month"] for r in rows} == {str(month)}
        assert {(r["Reported by"], r["Falls within"], r["Context"]) for r in rows} == \
            {("Leicestershire Police", "Leicestershire Police", "")}
        unlocated = [r for r in rows if r["Location"] == "No Location"]
        assert all(r["Longitude"] == r["Latitude"] == r["LSOA code"] == r["LSOA name"] == "" for r in unlocated)
        assert 0 < len(unlocated) <= 0.05 * len(rows)
        located = [r for r in rows if r["Location"] != "No Location"]
        outside = [r for r in located if r["LSOA code"] not in lookup]
        assert 1 <= len(outside) <= 10 and all(re.fullmatch(r"E01\d{6}", r["LSOA code"]) for r in outside)
        for r in located:
            assert r["Location"].startswith("On or near ")
            assert -1.7 < float(r["Longitude"]) < -0.35 and 52.35 < float(r["Latitude"]) < 52.98, r
            if r["LSOA code"] in lookup:
                assert r["LSOA name"] == lookup[r["LSOA code"]]["LSOA11NM"]
                areas[lookup[r["LSOA code"]]["LAD15NM"]] += 1
        for r in rows:
            types[r["Crime type"]] += 1
            if r["Crime type"] == "Anti-social behaviour":
                assert r["Crime ID"] == r["Last outcome category"] == ""
            else:
                assert re.fullmatch(r"[0-9a-f]{64}", r["Crime ID"]) and r["Last outcome category"]
                assert r["Crime ID"] not in ids
                ids.add(r["Crime ID"])
    total = sum(types.values())
    assert len(types) == 14
    assert 0.27 <= types["Anti-social behaviour"] / total <= 0.33
    assert types["Vehicle crime"] / total >= 0.08  # "vehicle crime remains a notable problem"
    county = sum(n for area, n in areas.items() if area in DISTRICTS)
    assert set(areas) == DISTRICTS | {"Leicester", "Rutland"}
    assert county > 0.75 * sum(areas.values())


def test_no_police_month_trips_the_declared_completeness_checks(generated):
    """The registry's own checks, on counts taken from the files: no-location share, district collapse."""
    drop, _ = generated
    with (REFERENCE_DIR / "lsoa11_to_lad15_llr.csv").open(encoding="utf-8", newline="") as handle:
        district_of = {r["LSOA11CD"]: r["LAD15NM"] for r in csv.DictReader(handle)}
    rules = get_source("police_street_crime").completeness
    share_rule = next(r for r in rules if isinstance(r, NoLocationShare))
    collapse_rule = next(r for r in rules if isinstance(r, DistrictCollapse))
    counts: dict[str, dict[Month, int]] = defaultdict(dict)
    judged = 0
    for month in (m for m in DEMO_MONTHS if m not in NICHE):
        rows = rows_of(drop / "police" / f"{month}-leicestershire-street.csv")
        no_location = sum(r["Location"] == "No Location" for r in rows)
        assert check_no_location_share(share_rule, no_location, len(rows)).passed, month
        crimes = Counter(district_of.get(r["LSOA code"]) for r in rows if r["Crime type"] != "Anti-social behaviour")
        for district in DISTRICTS:
            counts[district][month] = crimes[district]
        result = check_district_collapse(collapse_rule, month, counts, {d: d for d in DISTRICTS})
        assert result.passed, (month, result.detail)
        judged += "not judged" not in result.detail
    assert judged == 31  # every month but the first two (too little history)


def test_police_around_the_seed_quarter_through_the_pipeline(generated, home, warehouse, monkeypatch):
    """2014/15 Q4 and 2015/16 Q2 load complete and clean; 2015/16 Q1 is the declared NICHE outage."""
    drop, _ = generated
    monkeypatch.setenv("SAFER_COMMUNITIES_DROP", str(drop))
    states = [s for period in ("2014/15 Q4", "2015/16 Q1", "2015/16 Q2")
              for s in ingest.ingest("police_street_crime", period, as_of=REPORT_DATE, run_id="demo",
                                     warehouse=warehouse)]
    assert [(s["period"], s["status"]) for s in states] == [
        ("2015-01", "available"), ("2015-02", "available"), ("2015-03", "available"),
        ("2015-04", "unavailable"), ("2015-05", "unavailable"), ("2015-06", "unavailable"),
        ("2015-07", "available"), ("2015-08", "available"), ("2015-09", "available")]
    assert all("NICHE" in s["reason"] for s in states[3:6])
    assert warehouse.query("SELECT COUNT(*) AS n FROM audit.quarantine")[0]["n"] == 0
    judged = warehouse.query("SELECT detail FROM audit.completeness_result WHERE period = '2015-07' "
                             "AND check_name = 'district_collapse'")
    assert judged[0]["detail"] == "no district fell below 25% of its recent median"  # judged across the gap

    with (REFERENCE_DIR / "lsoa11_to_lad15_llr.csv").open(encoding="utf-8", newline="") as handle:
        county_lsoas = {r["LSOA11CD"] for r in csv.DictReader(handle) if r["LAD15NM"] in DISTRICTS}
    raw = rows_of(drop / "police" / "2015-07-leicestershire-street.csv")
    expected = sum(r["LSOA code"] in county_lsoas and r["Crime type"] != "Anti-social behaviour" for r in raw)
    loaded = warehouse.query("SELECT SUM(incidents) AS n FROM core.police_crime_district "
                             "WHERE NOT is_asb AND month_start = '2015-07-01'")[0]["n"]
    assert int(loaded) == expected


# ------------------------------------------------------------------------------------------ MARAC

def _twelve_months_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 2, 28)


def test_marac_repeat_rate_for_2015_16_q1_is_the_reports_28_5_percent(generated):
    drop, _ = generated
    files = quarter_files(drop, "marac", "marac-referrals")
    assert list(files) == quarters(Quarter(2013, 1), Quarter(2015, 1))
    by_quarter = {q: rows_of(path) for q, path in files.items()}
    everything = [dict(r, quarter=q) for q, rows in by_quarter.items() for r in rows]
    assert len({r["Case ref"] for r in everything}) == len(everything)  # unique across quarters
    assert all(re.fullmatch(r"V\d{6}", r["Victim ref"]) for r in everything)
    assert {r["District"] for r in everything} == DISTRICTS
    scores = [int(r["DASH risk score"]) for r in everything]
    assert all(0 <= s <= 27 for s in scores) and sum(s >= 14 for s in scores) > 0.8 * len(scores)

    last: dict[str, date] = {}
    repeats: Counter = Counter()
    for r in sorted(everything, key=lambda r: (r["Referral date"], r["Case ref"])):
        victim, day = r["Victim ref"].strip().upper(), date.fromisoformat(r["Referral date"])
        if victim in last and day <= _twelve_months_after(last[victim]):
            repeats[r["quarter"]] += 1
        last[victim] = day
    q1 = Quarter(2015, 1)
    n, k = len(by_quarter[q1]), repeats[q1]
    assert (n, k) == (123, 35)
    assert round(100 * k / n, 1) == 28.5 and 0.2845 <= k / n < 0.2855

    counts = {q: len(rows) for q, rows in by_quarter.items()}
    rising = [counts[q] for q in quarters(Quarter(2014, 1), Quarter(2015, 1))]
    assert rising == sorted(rising) and len(set(rising)) == len(rising)  # rising through 2014/15 into Q1
    assert 55 <= counts[Quarter(2013, 1)] <= 65 and 100 <= counts[Quarter(2014, 4)] <= 115
    for q, rows in by_quarter.items():  # every month of every quarter has referrals
        assert {Month.parse(r["Referral date"][:7]) for r in rows} == set(q.months), q
    assert 0.25 <= repeats[Quarter(2014, 4)] / counts[Quarter(2014, 4)] <= 0.31  # "the higher proportion"


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                       json.dumps({"conn_type": "generic", "password": KEY}))
    return KEY


def test_marac_through_the_pipeline_gives_123_referrals_and_35_repeats(generated, home, warehouse, key,
                                                                        monkeypatch):
    drop, manifest = generated
    monkeypatch.setenv("SAFER_COMMUNITIES_DROP", str(drop))
    states = (ingest.ingest("marac_referrals", "2014/15", as_of=REPORT_DATE, run_id="demo", warehouse=warehouse)
              + ingest.ingest("marac_referrals", "2015/16 Q1", as_of=REPORT_DATE, run_id="demo",
                              warehouse=warehouse))
    assert [(s["period"], s["status"]) for s in states] == [
        (str(q), "available") for q in quarters(Quarter(2014, 1), Quarter(2015, 1))]
    q1 = warehouse.query("SELECT SUM(referrals) AS n, SUM(repeat_referrals) AS k FROM core.marac_quarterly "
                         "WHERE quarter_label = '2015/16 Q1'")[0]
    assert (int(q1["n"]), int(q1["k"])) == (123, 35)
    loaded = {r["quarter_label"]: int(r["n"]) for r in warehouse.query(
        "SELECT quarter_label, SUM(referrals) AS n FROM core.marac_quarterly GROUP BY quarter_label")}
    expected = manifest["calibration"]["marac"]["quarters"]
    assert loaded == {q: expected[q]["referrals"] for q in loaded} and len(loaded) == 5


# ------------------------------------------------------------------------------------------ the other sources

def test_iom_cohorts_reduce_offending_by_39_and_over_56_percent(generated):
    drop, _ = generated
    assert sorted(p.name for p in (drop / "probation").iterdir()) == ["iom-cohort-2013-14.csv",
                                                                      "iom-cohort-2014-15.csv"]
    reduction = {}
    for cohort, slug in (("2013/14", "2013-14"), ("2014/15", "2014-15")):
        rows = rows_of(drop / "probation" / f"iom-cohort-{slug}.csv")
        assert 60 <= len(rows) <= 90
        assert {r["Cohort"] for r in rows} == {cohort}
        assert len({r["Offender ref"] for r in rows}) == len(rows)
        assert all(re.fullmatch(r"OR\d{6}", r["Offender ref"]) for r in rows)
        baseline = sum(int(r["Baseline offences"]) for r in rows)
        follow_up = sum(int(r["Follow-up offences"]) for r in rows)
        reduction[cohort] = 100 * (baseline - follow_up) / baseline
        for r in rows:
            start = date.fromisoformat(r["Start date"])
            assert FinancialYear.parse(cohort).start <= start <= FinancialYear.parse(cohort).end
            assert r["Exit date"] == "" or start < date.fromisoformat(r["Exit date"]) <= date(2015, 6, 30)
    assert 38.5 <= reduction["2013/14"] <= 39.5
    assert 56.0 <= reduction["2014/15"] < 56.9  # "reduced by over 56%"


def test_domestic_abuse_referrals_rise_in_2015_16_q1(generated):
    drop, _ = generated
    per_quarter: Counter = Counter()
    months = sorted(p.name for p in (drop / "domestic-abuse").iterdir())
    assert months == [f"da-referrals-{m}.csv" for m in month_range(Month(2013, 4), Month(2015, 6))]
    for name in months:
        month = Month.parse(name[len("da-referrals-"):-len(".csv")])
        rows = rows_of(drop / "domestic-abuse" / name)
        assert {Month.parse(r["Referral date"][:7]) for r in rows} == {month}
        assert {r["District"] for r in rows} <= DISTRICTS and all(r["Service"] and r["Referral source"] for r in rows)
        per_quarter[month.quarter] += len(rows)
    q1 = per_quarter[Quarter(2015, 1)]
    assert q1 > per_quarter[Quarter(2014, 4)] and q1 > per_quarter[Quarter(2014, 1)]


def test_youth_reoffending_and_the_survey_are_not_yet_available_for_2015_16_q1(generated):
    drop, _ = generated
    fte = quarter_files(drop, "youth", "first-time-entrants")
    assert list(fte) == quarters(Quarter(2013, 1), Quarter(2015, 1))
    for q, path in fte.items():
        rows = rows_of(path)
        assert sorted(r["District"] for r in rows) == sorted(DISTRICTS) and {r["Quarter"] for r in rows} == {str(q)}

    # a cohort quarter is measurable 18 months after it ends: by 17 September 2015, up to 2013/14 Q3
    reoffending = quarter_files(drop, "youth", "proven-reoffending")
    assert list(reoffending) == [Quarter(2013, 1), Quarter(2013, 2), Quarter(2013, 3)]
    assert all(q <= Quarter(2013, 4) for q in reoffending)
    for q, path in reoffending.items():
        rows = rows_of(path)
        assert sorted(r["District"] for r in rows) == sorted(DISTRICTS)
        assert {r["Cohort quarter"] for r in rows} == {str(q)}
        assert all(0 <= int(r["Re-offenders"]) <= int(r["Cohort size"]) for r in rows)

    survey = quarter_files(drop, "survey", "community-survey")
    assert list(survey) == quarters(Quarter(2013, 1), Quarter(2014, 4))  # no 2015/16 Q1
    refs: set[str] = set()
    for q, path in survey.items():
        rows = rows_of(path)
        assert 250 <= len(rows) <= 400
        assert {Month.parse(r["Interview date"][:7]) for r in rows} == set(q.months)
        assert all(0.3 <= float(r["Weight"]) <= 3.0 for r in rows)
        assert all(re.fullmatch(r"R\d{7}", r["Respondent ref"]) for r in rows)
        refs |= {r["Respondent ref"] for r in rows}
        assert {r["ASB problem"] for r in rows} <= {"Very big problem", "Fairly big problem",
                                                    "Not a very big problem", "Not a problem at all", "Don't know"}
    assert len(refs) == sum(len(rows_of(p)) for p in survey.values())
