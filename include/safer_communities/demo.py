"""Deterministic synthetic demo data: every partner extract for FY 2013/14 to 2015/16.

The real extracts are person-level or unpublished, so the demo runs on made-up ones,
written where and as the source registry declares them (paths relative to the drop
folder) and calibrated to the seed board report (17 September 2015, 2015/16 Q1):

* police: data.police.uk street-level files for every month April 2013 - March 2016
  except April-June 2015 (the declared NICHE outage); real LSOA codes and names (ONS,
  OGL), made-up coordinates, streets and Crime IDs; ASB about 30%, vehicle crime notable.
* MARAC: referrals rising through 2014/15; 123 referrals and 35 repeats in 2015/16 Q1
  (a repeat: the same victim referred within 12 months of their previous referral), 28.5%.
* probation: IOM cohorts 2013/14 (offending down 39%) and 2014/15 (down 56.x%);
  the 2015/16 cohort is not delivered yet.
* youth: first-time entrants every quarter; proven re-offending only for cohort quarters
  whose 18-month lag had passed by the report date (2013/14 Q1-Q3).
* domestic abuse services: monthly referrals, up in 2015/16 Q1.
* survey: Community Based Survey respondents, 2013/14 Q1 - 2014/15 Q4 only.

No real person appears anywhere: every case, victim, offender and respondent reference is
synthetic. The same seed always gives byte-identical files (``.xlsx`` included).
numpy is imported inside :func:`generate`, so importing this module stays cheap.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from calendar import monthrange
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from safer_communities.periods import FinancialYear, Month, Quarter, add_months, month_range
from safer_communities.settings import REFERENCE_DIR

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SEED = 20150917
REPORT_DATE = date(2015, 9, 17)  # the seed board report
FIRST_MONTH, LAST_MONTH = Month(2013, 4), Month(2016, 3)  # FY 2013/14 to 2015/16
NICHE_OUTAGE = (Month(2015, 4), Month(2015, 6))  # declared in include/config/sources/police.yaml
DELIVERED_UP_TO = Quarter(2015, 1)  # partner extracts exist up to 2015/16 Q1
DISTRICTS = (
    "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton", "North West Leicestershire",
    "Oadby and Wigston",
)

POLICE_HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                 "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
FORCE = "Leicestershire Police"
ASB = "Anti-social behaviour"
# Share of a month's rows per police.uk category (ASB about 30%; vehicle crime as large as criminal damage).
CRIME_TYPES = (
    (ASB, 0.300), ("Bicycle theft", 0.018), ("Burglary", 0.078), ("Criminal damage and arson", 0.092),
    ("Drugs", 0.024), ("Other crime", 0.016), ("Other theft", 0.082), ("Possession of weapons", 0.005),
    ("Public order", 0.032), ("Robbery", 0.008), ("Shoplifting", 0.068), ("Theft from the person", 0.010),
    ("Vehicle crime", 0.092), ("Violence and sexual offences", 0.175),
)
OUTCOMES = (
    ("Investigation complete; no suspect identified", 0.42), ("Unable to prosecute suspect", 0.14),
    ("Under investigation", 0.05), ("Offender given a caution", 0.04), ("Local resolution", 0.05),
    ("Awaiting court outcome", 0.03), ("Court result unavailable", 0.06), ("Offender sent to prison", 0.02),
    ("Offender fined", 0.02), ("Offender given community sentence", 0.02), ("Status update unavailable", 0.07),
    ("Formal action is not in the public interest", 0.02), ("Action to be taken by another organisation", 0.02),
    ("Offender given penalty notice", 0.02), ("Suspect charged as part of another case", 0.02),
)
NO_LOCATION_SHARE = 0.022  # the completeness check allows 10%
# Share of located rows by area: mostly the county, some Leicester and Rutland (left out of county figures).
AREA_SHARES = {"county": 0.80, "Leicester": 0.155, "Rutland": 0.045}
# Centre (lon, lat) and spread of LSOA centroids per area, as seen in the real 2020 street-level files.
AREA_GEOGRAPHY = {
    "Blaby": (-1.201, 52.594, 0.038, 0.033),
    "Charnwood": (-1.171, 52.744, 0.069, 0.038),
    "Harborough": (-1.034, 52.513, 0.122, 0.055),
    "Hinckley and Bosworth": (-1.346, 52.577, 0.059, 0.051),
    "Melton": (-0.881, 52.780, 0.051, 0.059),
    "North West Leicestershire": (-1.402, 52.739, 0.071, 0.043),
    "Oadby and Wigston": (-1.096, 52.588, 0.023, 0.009),
    "Leicester": (-1.124, 52.635, 0.034, 0.020),
    "Rutland": (-0.672, 52.663, 0.087, 0.046),
}
# Real LSOAs just over the force border, where police.uk snaps a handful of rows (outside the LLR lookup).
BORDER_LSOAS = (
    ("E01019700", "Erewash 015C", -1.3002, 52.8780),
    ("E01019832", "South Derbyshire 004A", -1.3412, 52.8675),
    ("E01019843", "South Derbyshire 006A", -1.4847, 52.7645),
    ("E01028408", "Rushcliffe 014C", -1.2604, 52.8340),
    ("E01028410", "Rushcliffe 015E", -1.1967, 52.7916),
    ("E01031113", "Nuneaton and Bedworth 001D", -1.4588, 52.5515),
    ("E01026356", "South Kesteven 016D", -0.5139, 52.6624),
    ("E01027030", "Daventry 001C", -1.1362, 52.4062),
    ("E01031182", "Rugby 001E", -1.3671, 52.5152),
)
STREETS = (
    "High Street", "Main Street", "Church Street", "Church Lane", "Station Road", "London Road", "Leicester Road",
    "Mill Lane", "School Lane", "Park Road", "Victoria Road", "Manor Road", "Chapel Street", "The Green",
    "Orchard Close", "Meadow Way", "Queens Road", "Kings Road", "Brook Street", "Forest Road", "Windsor Close",
    "Ashby Road", "Market Place", "New Street", "Springfield Road", "Willow Close", "Oak Avenue", "Parking Area",
    "Supermarket", "Petrol Station", "Sports/Recreation Area", "Shopping Area", "Park/Open Space", "Nightclub",
)

MARAC_HEADER = ["Case ref", "Referral date", "Victim ref", "District", "Referring agency", "DASH risk score"]
# Referrals per quarter (before a jitter of -2..+2) and the share of them that are repeats: rising through
# 2014/15 to about 28% at the year end; 2015/16 Q1 is pinned to the report: 35 of 123 = 28.5%.
MARAC_QUARTERS = {
    Quarter(2013, 1): (60, 0.10), Quarter(2013, 2): (66, 0.17), Quarter(2013, 3): (72, 0.20),
    Quarter(2013, 4): (78, 0.22), Quarter(2014, 1): (85, 0.23), Quarter(2014, 2): (93, 0.24),
    Quarter(2014, 3): (101, 0.26), Quarter(2014, 4): (110, 0.28),
}
MARAC_SEED_QUARTER, MARAC_SEED_REFERRALS, MARAC_SEED_REPEATS = Quarter(2015, 1), 123, 35
MARAC_XLSX = {Quarter(2014, 3), Quarter(2015, 1)}  # delivered as Excel; the rest as CSV
AGENCIES = (("Police", 0.60), ("IDVA service", 0.10), ("Health", 0.09), ("Children's social care", 0.08),
            ("Adult social care", 0.03), ("Probation", 0.04), ("Housing", 0.03), ("Other", 0.03))

IOM_HEADER = ["Offender ref", "Cohort", "District", "Baseline offences", "Follow-up offences", "Start date",
              "Exit date"]
IOM_COHORTS = {FinancialYear(2013): (72, 0.390), FinancialYear(2014): (81, 0.564)}  # offenders, reduction
IOM_EXTRACT_DATE = date(2015, 6, 30)  # exits after the extract are not known yet

FTE_HEADER = ["District", "Quarter", "First time entrants"]
REOFFENDING_HEADER = ["District", "Cohort quarter", "Cohort size", "Re-offenders"]
REOFFENDING_LAG_MONTHS = 18  # 12 months' follow-up + 6 months for offences to be proven

DA_HEADER = ["Referral date", "Service", "District", "Referral source"]
DA_SERVICES = (("Outreach", 0.42), ("Helpline", 0.20), ("IDVA", 0.20), ("Refuge", 0.08),
               ("Children and young people's service", 0.10))
DA_SOURCES = (("Police", 0.38), ("Self-referral", 0.22), ("Health", 0.10), ("Children's social care", 0.10),
              ("MARAC", 0.06), ("Housing", 0.06), ("Adult social care", 0.03), ("Other agency", 0.05))

SURVEY_HEADER = ["Respondent ref", "Interview date", "District", "Weight", "ASB problem",
                 "Police and council dealing with ASB and crime", "Feel safe after dark"]
SURVEY_QUARTERS = (Quarter(2013, 1), Quarter(2014, 4))  # first and last delivered; 2015/16 Q1 is not yet
ASB_PROBLEM = (("Very big problem", 0.03), ("Fairly big problem", 0.09), ("Not a very big problem", 0.45),
               ("Not a problem at all", 0.40), ("Don't know", 0.03))
DEALING = (("Strongly agree", 0.14), ("Tend to agree", 0.45), ("Neither agree nor disagree", 0.20),
           ("Tend to disagree", 0.08), ("Strongly disagree", 0.04), ("Don't know", 0.09))
FEEL_SAFE = (("Very safe", 0.45), ("Fairly safe", 0.40), ("A bit unsafe", 0.10), ("Very unsafe", 0.03),
             ("Don't know", 0.02))

FIXED_TIMESTAMP = (2015, 9, 17, 0, 0, 0)  # stamped into .xlsx files so they are byte-identical


# ---------------------------------------------------------------------------------------------- helpers

def quarters(first: Quarter, last: Quarter) -> list[Quarter]:
    found, months = [], month_range(first.months[0], last.months[-1])
    for month in months:
        if month.quarter not in found:
            found.append(month.quarter)
    return found


def _draw(rng: np.random.Generator, options: tuple, size: int) -> list[str]:
    """``size`` labels drawn from ``((label, share), ...)``."""
    import numpy as np

    shares = np.array([share for _, share in options], dtype=float)
    picks = rng.choice(len(options), size=size, p=shares / shares.sum())
    return [options[i][0] for i in picks]


def _day_in(rng: np.random.Generator, month: Month) -> date:
    return month.start + timedelta(days=int(rng.integers(0, monthrange(month.year, month.month)[1])))


def _days_in_quarter(rng: np.random.Generator, quarter: Quarter, count: int, floor: int = 10) -> list[date]:
    """``count`` dates in the quarter, sorted, with at least ``floor`` in each of its months."""
    floor = min(floor, count // 3)
    per_month = rng.multinomial(count - 3 * floor, [1 / 3] * 3) + floor
    return sorted(_day_in(rng, month) for month, n in zip(quarter.months, per_month, strict=True)
                  for _ in range(int(n)))


def _populations() -> dict[str, int]:
    with (REFERENCE_DIR / "district_population.csv").open(encoding="utf-8", newline="") as handle:
        return {row["lad_name"]: int(row["pop_mid2014_all"]) for row in csv.DictReader(handle)
                if row["lad_name"] in DISTRICTS}


def _district_draw(rng: np.random.Generator, populations: dict[str, int], size: int) -> list[str]:
    return _draw(rng, tuple(populations.items()), size)


def _write_csv(path: Path, header: list[str], rows: list[list], lineterminator: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator=lineterminator)
        writer.writerow(header)
        writer.writerows(rows)


def _write_xlsx(path: Path, header: list[str], rows: list[list], sheet: str) -> None:
    """An Excel workbook (one sheet) with every timestamp pinned, so equal content gives equal bytes."""
    from openpyxl import Workbook

    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps docProps/core.xml and every zip entry with the clock: rewrite both.
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_TIMESTAMP).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + stamp + rb"\2",
                              data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, data)


def read_table(path: Path) -> list[dict[str, str]]:
    """A written extract back as rows of text (CSV, or the first sheet of an .xlsx), keyed by header."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            values = list(workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
        header = [str(v) for v in values[0]]
        text = [["" if v is None else v.date().isoformat() if hasattr(v, "date") else str(v) for v in row]
                for row in values[1:]]
        return [dict(zip(header, row, strict=True)) for row in text]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class _Writer:
    """Writes one source's files and records them (path relative to the drop folder, rows) for the manifest."""

    def __init__(self, drop_dir: Path, files: dict[str, int]) -> None:
        self.drop_dir, self.files = drop_dir, files

    def write(self, relative: str, header: list[str], rows: list[list], *, sheet: str | None = None,
              lineterminator: str = "\n") -> Path:
        path = self.drop_dir / relative
        if relative.endswith(".xlsx"):
            _write_xlsx(path, header, rows, sheet or "Sheet1")
        else:
            _write_csv(path, header, rows, lineterminator)
        self.files[relative] = len(rows)
        return path


# ---------------------------------------------------------------------------------------------- police

def police_months() -> list[Month]:
    """The months with a police file: all of FY 2013/14 to 2015/16 but the NICHE outage."""
    first, last = NICHE_OUTAGE
    return [m for m in month_range(FIRST_MONTH, LAST_MONTH) if not first <= m <= last]


def police_path(month: Month) -> str:
    return f"police/{month}-leicestershire-street.csv"


def _lsoas() -> list[tuple[str, str, str]]:
    with (REFERENCE_DIR / "lsoa11_to_lad15_llr.csv").open(encoding="utf-8", newline="") as handle:
        return [(r["LSOA11CD"], r["LSOA11NM"], r["LAD15NM"]) for r in csv.DictReader(handle)]


def _police(writer: _Writer, rng: np.random.Generator) -> None:
    import numpy as np

    lsoas = _lsoas()
    # Geography, fixed for the run: each LSOA gets a centroid near its area's centre and 3-6 snap points
    # ("On or near ..."), as police.uk anonymises every location to a nearby snap point.
    snaps: list[list[tuple[str, str, str]]] = []
    for _, _, area in lsoas:
        lon0, lat0, dlon, dlat = AREA_GEOGRAPHY[area]
        centre = (lon0 + dlon * float(np.clip(rng.normal(), -2, 2)), lat0 + dlat * float(np.clip(rng.normal(), -2, 2)))
        points = []
        for street in rng.choice(len(STREETS), size=int(rng.integers(3, 7)), replace=False):
            lon, lat = centre[0] + rng.normal(0, 0.004), centre[1] + rng.normal(0, 0.003)
            points.append((f"{lon:.6f}", f"{lat:.6f}", f"On or near {STREETS[street]}"))
        snaps.append(points)
    border = [(code, name, f"{lon + rng.normal(0, 0.002):.6f}", f"{lat + rng.normal(0, 0.0015):.6f}",
               f"On or near {STREETS[int(rng.integers(len(STREETS)))]}") for code, name, lon, lat in BORDER_LSOAS]
    area_of = np.array(["county" if area in DISTRICTS else area for _, _, area in lsoas])
    weights = rng.lognormal(0.0, 0.5, size=len(lsoas))
    for area, share in AREA_SHARES.items():
        weights[area_of == area] *= share / weights[area_of == area].sum()
    weights /= weights.sum()
    n_snaps = np.array([len(points) for points in snaps])
    names = [name for name, _ in CRIME_TYPES]
    type_p = np.array([share for _, share in CRIME_TYPES])
    type_p /= type_p.sum()
    unlocated_p = np.where(np.array(names) == ASB, 0.02, type_p)  # rows police.uk could not geocode: rarely ASB
    unlocated_p /= unlocated_p.sum()

    seen_ids: set[str] = set()
    for index, month in enumerate(month_range(FIRST_MONTH, LAST_MONTH)):
        if month not in police_months():
            continue
        season = 1 + 0.07 * np.cos(2 * np.pi * (month.month - 7) / 12)  # more in summer
        total = int(np.clip(round(3800 * season * (1 - 0.0015 * index) * (1 + rng.normal(0, 0.025))), 3150, 4350))
        unlocated = int(rng.binomial(total, NO_LOCATION_SHARE))
        over_border = int(rng.integers(2, 8))
        located = total - unlocated - over_border
        where = rng.choice(len(lsoas), size=located, p=weights)
        snap = (rng.random(located) * n_snaps[where]).astype(int)
        types = rng.choice(len(names), size=located + over_border, p=type_p)
        unlocated_types = rng.choice(len(names), size=unlocated, p=unlocated_p)
        outcomes = _draw(rng, OUTCOMES, total)
        ids = rng.bytes(32 * total)

        placed = []  # (LSOA name, row without Crime ID / outcome), sorted by LSOA name as police.uk does
        for i in range(located):
            code, name, _ = lsoas[where[i]]
            lon, lat, location = snaps[where[i]][snap[i]]
            placed.append((name, [lon, lat, location, code, name, names[types[i]]]))
        for j, pick in enumerate(rng.integers(0, len(border), size=over_border)):
            code, name, lon, lat, location = border[pick]
            placed.append((name, [lon, lat, location, code, name, names[types[located + j]]]))
        placed.sort(key=lambda item: item[0])
        body = [fields for _, fields in placed]
        body += [["", "", "No Location", "", "", names[t]] for t in unlocated_types]

        rows = []
        for i, (lon, lat, location, code, name, crime_type) in enumerate(body):
            if crime_type == ASB:
                crime_id, outcome = "", ""
            else:
                crime_id, outcome = ids[32 * i: 32 * (i + 1)].hex(), outcomes[i]
                if crime_id in seen_ids:  # 256 random bits: never in practice, but the contract demands it
                    raise RuntimeError(f"duplicate Crime ID generated in {month}")
                seen_ids.add(crime_id)
            rows.append([crime_id, str(month), FORCE, FORCE, lon, lat, location, code, name, crime_type, outcome, ""])
        writer.write(police_path(month), POLICE_HEADER, rows, lineterminator="\r\n")  # police.uk files use CRLF


# ---------------------------------------------------------------------------------------------- MARAC

def marac_path(quarter: Quarter) -> str:
    return f"marac/marac-referrals-{quarter.slug}.{'xlsx' if quarter in MARAC_XLSX else 'csv'}"


def _marac(writer: _Writer, rng: np.random.Generator, populations: dict[str, int]) -> None:
    """Referrals for every quarter, victims assigned in date order so each quarter has exactly its repeats.

    A repeat takes a victim whose last referral was 7-330 days before; a first referral (or a return after
    more than 13 months) is not a repeat. Keeping well clear of the 12-month boundary makes the answer the
    same under any reasonable reading of "within 12 months".
    """
    plan = {q: (n + int(rng.integers(-2, 3)), rate) for q, (n, rate) in MARAC_QUARTERS.items()}
    plan[MARAC_SEED_QUARTER] = (MARAC_SEED_REFERRALS, MARAC_SEED_REPEATS / MARAC_SEED_REFERRALS)
    victim_numbers = iter(int(v) for v in rng.choice(900000, size=2000, replace=False) + 100000)
    last_seen: dict[str, date] = {}
    sequence = 0
    for quarter, (count, rate) in plan.items():
        repeats = MARAC_SEED_REPEATS if quarter == MARAC_SEED_QUARTER else round(count * rate)
        days = _days_in_quarter(rng, quarter, count)
        chosen = set(int(i) for i in rng.choice(count, size=repeats, replace=False))
        districts = _district_draw(rng, populations, count)
        agencies = _draw(rng, AGENCIES, count)
        owed = 0
        rows = []
        for i, day in enumerate(days):
            owed += i in chosen
            recent = sorted(v for v, seen in last_seen.items() if 7 <= (day - seen).days <= 330)
            lapsed = sorted(v for v, seen in last_seen.items() if (day - seen).days >= 400)
            if owed and recent:
                victim = recent[int(rng.integers(len(recent)))]
                owed -= 1
            elif lapsed and rng.random() < 0.05:
                victim = lapsed[int(rng.integers(len(lapsed)))]
            else:
                victim = f"V{next(victim_numbers)}"
            last_seen[victim] = day
            sequence += 1
            score = int(rng.integers(14, 25)) if rng.random() < 0.88 else int(rng.integers(8, 14))
            written_day = day if quarter in MARAC_XLSX else day.isoformat()  # Excel: a real date cell
            rows.append([f"MC{day:%y}-{sequence:05d}", written_day, victim, districts[i], agencies[i], score])
        if owed:
            raise RuntimeError(f"MARAC {quarter}: could not place {owed} repeat referrals")
        writer.write(marac_path(quarter), MARAC_HEADER, rows, sheet="Referrals")


def marac_repeats(rows: list[dict[str, str]]) -> dict[str, bool]:
    """Case ref -> is a repeat: the victim's previous referral (by date, then case ref) was within 12 months."""
    previous: dict[str, date] = {}
    flags = {}
    for row in sorted(rows, key=lambda r: (r["Referral date"], r["Case ref"])):
        victim, day = row["Victim ref"].strip().upper(), date.fromisoformat(row["Referral date"])
        before = previous.get(victim)
        flags[row["Case ref"]] = before is not None and day <= add_months(before, 12)
        previous[victim] = day
    return flags


# ---------------------------------------------------------------------------------------------- probation

def iom_path(year: FinancialYear) -> str:
    return f"probation/iom-cohort-{year.slug}.csv"


def _iom(writer: _Writer, rng: np.random.Generator, populations: dict[str, int]) -> None:
    import numpy as np

    numbers = iter(int(v) for v in rng.choice(900000, size=400, replace=False) + 100000)
    for year, (size, reduction) in IOM_COHORTS.items():
        count = size + int(rng.integers(-4, 5))
        baseline = 2 + rng.negative_binomial(3, 3 / 11, size=count)  # about 10 proven offences a year each
        follow_up_total = round(int(baseline.sum()) * (1 - reduction))
        propensity = baseline * rng.gamma(1.2, 1.0, size=count) * (rng.random(count) > 0.25)  # a quarter desist
        follow_up = rng.multinomial(follow_up_total, propensity / propensity.sum())
        districts = _district_draw(rng, populations, count)
        rows = []
        for i in range(count):
            start = year.start + timedelta(days=int(rng.integers(0, 365)))
            exit_day = start + timedelta(days=int(rng.integers(120, 600)))
            leaves = rng.random() < 0.45 and exit_day <= IOM_EXTRACT_DATE
            rows.append([f"OR{next(numbers)}", str(year), districts[i], int(baseline[i]), int(follow_up[i]),
                         start.isoformat(), exit_day.isoformat() if leaves else ""])
        rows.sort(key=lambda row: row[0])
        achieved = (int(baseline.sum()) - int(np.sum(follow_up))) / int(baseline.sum())
        if abs(achieved - reduction) > 0.004:
            raise RuntimeError(f"IOM {year}: reduction {achieved:.2%} misses {reduction:.1%}")
        writer.write(iom_path(year), IOM_HEADER, rows)


# ---------------------------------------------------------------------------------------------- youth

def reoffending_measurable(quarter: Quarter, as_of: date = REPORT_DATE) -> bool:
    """A cohort quarter can be measured 18 months after it ends (12 months' follow-up + 6 to prove)."""
    return add_months(quarter.end, REOFFENDING_LAG_MONTHS) <= as_of


def fte_path(quarter: Quarter) -> str:
    return f"youth/first-time-entrants-{quarter.slug}.csv"


def reoffending_path(quarter: Quarter) -> str:
    return f"youth/proven-reoffending-{quarter.slug}.csv"


def _youth(writer: _Writer, rng: np.random.Generator, populations: dict[str, int]) -> None:
    county = sum(populations.values())
    for index, quarter in enumerate(quarters(FIRST_MONTH.quarter, DELIVERED_UP_TO)):
        expected = 68 * 0.97**index  # first-time entrants falling, as nationally
        rows = [[d, str(quarter), int(rng.poisson(expected * populations[d] / county))] for d in DISTRICTS]
        writer.write(fte_path(quarter), FTE_HEADER, rows)
    for quarter in quarters(FIRST_MONTH.quarter, DELIVERED_UP_TO):
        if not reoffending_measurable(quarter):
            continue
        rows = []
        for district in DISTRICTS:
            size = max(1, int(rng.poisson(115 * populations[district] / county)))
            rows.append([district, str(quarter), size, int(rng.binomial(size, 0.36))])
        writer.write(reoffending_path(quarter), REOFFENDING_HEADER, rows)


# ---------------------------------------------------------------------------------------------- domestic abuse

def da_path(month: Month) -> str:
    return f"domestic-abuse/da-referrals-{month}.csv"


def _domestic_abuse(writer: _Writer, rng: np.random.Generator, populations: dict[str, int]) -> None:
    months = month_range(FIRST_MONTH, DELIVERED_UP_TO.months[-1])
    counts = {m: int(rng.poisson(148 * (1 + 0.0075 * i))) for i, m in enumerate(months)
              if m.quarter != DELIVERED_UP_TO}
    # 2015/16 Q1 is up on both the previous quarter and the same quarter last year, whatever the seed.
    previous = max(sum(counts[m] for m in Quarter(2014, q).months) for q in (1, 4))
    uplift = round(previous * float(rng.uniform(1.14, 1.22)))
    for month, n in zip(DELIVERED_UP_TO.months, rng.multinomial(uplift, [1 / 3] * 3), strict=True):
        counts[month] = int(n)
    for month in months:
        n = counts[month]
        days = sorted(_day_in(rng, month) for _ in range(n))
        rows = [[d.isoformat(), s, district, source] for d, s, district, source in
                zip(days, _draw(rng, DA_SERVICES, n), _district_draw(rng, populations, n), _draw(rng, DA_SOURCES, n),
                    strict=True)]
        writer.write(da_path(month), DA_HEADER, rows)


# ---------------------------------------------------------------------------------------------- survey

def survey_path(quarter: Quarter) -> str:
    return f"survey/community-survey-{quarter.slug}.csv"


def _survey(writer: _Writer, rng: np.random.Generator, populations: dict[str, int]) -> None:
    import numpy as np

    county = sum(populations.values())
    population_share = np.array([populations[d] / county for d in DISTRICTS])
    sample_share = (population_share + 1 / len(DISTRICTS)) / 2  # small districts boosted: weights correct it
    numbers = iter(int(v) for v in rng.choice(9000000, size=5000, replace=False) + 1000000)
    for quarter in quarters(*SURVEY_QUARTERS):
        count = int(rng.integers(280, 381))
        per_district = rng.multinomial(count, sample_share)
        districts = [d for d, n in zip(DISTRICTS, per_district, strict=True) for _ in range(int(n))]
        order = rng.permutation(count)
        districts = [districts[i] for i in order]
        days = _days_in_quarter(rng, quarter, count)
        design = {d: population_share[i] / (per_district[i] / count) for i, d in enumerate(DISTRICTS)
                  if per_district[i]}
        answers = zip(_draw(rng, ASB_PROBLEM, count), _draw(rng, DEALING, count), _draw(rng, FEEL_SAFE, count),
                      strict=True)
        rows = []
        for day, district, (asb, dealing, safe) in zip(days, districts, answers, strict=True):
            weight = float(np.clip(design[district] * rng.lognormal(0, 0.2), 0.3, 3.0))
            rows.append([f"R{next(numbers)}", day.isoformat(), district, f"{weight:.3f}", asb, dealing, safe])
        writer.write(survey_path(quarter), SURVEY_HEADER, rows)


# ---------------------------------------------------------------------------------------------- calibration

def _calibration(drop_dir: Path, files: dict[str, dict[str, int]]) -> dict:
    """The report's figures recomputed from the files as written."""
    calibration: dict = {}

    police_rows = {path: read_table(drop_dir / path) for path in files["police"]}
    everything = [row for rows in police_rows.values() for row in rows]
    types = Counter(row["Crime type"] for row in everything)
    calibration["police"] = {
        "months": len(police_rows),
        "months_missing": [str(m) for m in month_range(FIRST_MONTH, LAST_MONTH) if m not in police_months()],
        "rows_per_month_min": min(map(len, police_rows.values())),
        "rows_per_month_max": max(map(len, police_rows.values())),
        "asb_share": round(types[ASB] / len(everything), 4),
        "vehicle_crime_share": round(types["Vehicle crime"] / len(everything), 4),
        "no_location_share_max": round(max(sum(r["Location"] == "No Location" for r in rows) / len(rows)
                                           for rows in police_rows.values()), 4),
    }

    marac_rows = {path: read_table(drop_dir / path) for path in files["marac"]}
    flags = marac_repeats([row for rows in marac_rows.values() for row in rows])
    by_quarter = {}
    for rows in marac_rows.values():
        quarter = str(Month.of(date.fromisoformat(rows[0]["Referral date"])).quarter)
        by_quarter[quarter] = {"referrals": len(rows), "repeats": sum(flags[r["Case ref"]] for r in rows)}
    seed = by_quarter[str(MARAC_SEED_QUARTER)]
    calibration["marac"] = {
        "quarters": by_quarter,
        "seed_quarter": str(MARAC_SEED_QUARTER),
        "seed_quarter_repeat_rate_pct": round(100 * seed["repeats"] / seed["referrals"], 1),
    }

    iom = {}
    for path in files["probation"]:
        rows = read_table(drop_dir / path)
        baseline = sum(int(r["Baseline offences"]) for r in rows)
        follow_up = sum(int(r["Follow-up offences"]) for r in rows)
        iom[rows[0]["Cohort"]] = {"offenders": len(rows), "baseline_offences": baseline,
                                  "follow_up_offences": follow_up,
                                  "reduction_pct": round(100 * (baseline - follow_up) / baseline, 2)}
    calibration["probation"] = {"iom_cohorts": iom}

    fte, reoffending = {}, {}
    for path in files["youth"]:
        rows = read_table(drop_dir / path)
        if "First time entrants" in rows[0]:
            fte[rows[0]["Quarter"]] = sum(int(r["First time entrants"]) for r in rows)
        else:
            size, reoffenders = sum(int(r["Cohort size"]) for r in rows), sum(int(r["Re-offenders"]) for r in rows)
            reoffending[rows[0]["Cohort quarter"]] = {"cohort": size, "reoffenders": reoffenders,
                                                      "rate_pct": round(100 * reoffenders / size, 1)}
    calibration["youth"] = {"first_time_entrants": fte, "reoffending_cohorts": reoffending}

    da: dict[str, int] = defaultdict(int)
    for path, n in files["domestic_abuse"].items():
        da[str(Month.parse(Path(path).stem.removeprefix("da-referrals-")).quarter)] += n
    calibration["domestic_abuse"] = {"referrals": dict(da)}

    respondents = {}
    for path, n in files["survey"].items():
        first = read_table(drop_dir / path)[0]["Interview date"]
        respondents[str(Month.of(date.fromisoformat(first)).quarter)] = n
    calibration["survey"] = {"respondents": respondents}
    return calibration


# ---------------------------------------------------------------------------------------------- entry point

SOURCES = ("police", "marac", "probation", "youth", "domestic_abuse", "survey")


def generate(drop_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the demo extracts into ``drop_dir``; return a manifest of the files and the calibration.

    Files of the same name are overwritten; nothing else in ``drop_dir`` is touched. Each source draws from
    its own generator (seed, source number), so the sources do not shift one another.

    The manifest: ``seed``, ``drop_dir``, ``files`` (source -> {path relative to drop_dir: data rows}),
    ``rows`` (source -> total data rows) and ``calibration`` (the report's figures recomputed from the files).
    """
    import numpy as np

    drop_dir = Path(drop_dir)
    populations = _populations()
    files: dict[str, dict[str, int]] = {source: {} for source in SOURCES}

    def rng(source: str) -> np.random.Generator:
        return np.random.default_rng([seed, SOURCES.index(source)])

    _police(_Writer(drop_dir, files["police"]), rng("police"))
    _marac(_Writer(drop_dir, files["marac"]), rng("marac"), populations)
    _iom(_Writer(drop_dir, files["probation"]), rng("probation"), populations)
    _youth(_Writer(drop_dir, files["youth"]), rng("youth"), populations)
    _domestic_abuse(_Writer(drop_dir, files["domestic_abuse"]), rng("domestic_abuse"), populations)
    _survey(_Writer(drop_dir, files["survey"]), rng("survey"), populations)
    return {
        "seed": seed,
        "drop_dir": str(drop_dir),
        "files": files,
        "rows": {source: sum(paths.values()) for source, paths in files.items()},
        "calibration": _calibration(drop_dir, files),
    }
