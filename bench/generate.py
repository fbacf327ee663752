"""Generate a national-scale month of data.police.uk street-level crime, for the benchmark.

Deterministic (seeded numpy), vectorised, a few seconds for 600,000 rows. The file
is written where the registry's police source looks for it:
``<drop>/police/2020-01-leicestershire-street.csv``, with a manifest beside it
(``.manifest.json``) saying how many rows the pipeline should quarantine.

The mix follows the real Leicestershire files (tests/fixtures/police_uk):

* ~30% anti-social behaviour: empty Crime ID, empty outcome;
* every other row: a unique 64-lower-hex Crime ID and an outcome;
* ~5% "No Location": empty coordinates, LSOA code and name;
* LSOA codes mostly real (include/reference/lsoa11_to_lad15_llr.csv, with their
  names), ~3% synthetic E01 codes outside the force area (they load and are
  counted as "outside_force_area");
* coordinates around a per-LSOA centroid, all inside the Great Britain box;
* the 14 police.uk crime types, Context empty;
* a handful of deliberately bad rows (``--bad-rows``, default 64) so that the
  quarantine path runs: unknown crime type, malformed LSOA code, duplicated
  Crime IDs (both rows of a pair fail), non-numeric longitude.

Usage: python bench/generate.py [--rows 600000] [--seed 20200101] [--drop DIR]
"""

from __future__ import annotations

import argparse
import binascii
import csv
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parent.parent
LOOKUP = PROJECT / "include" / "reference" / "lsoa11_to_lad15_llr.csv"
HEADER = [
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
]
MONTH = "2020-01"
FORCE = "leicestershire"
FORCE_NAME = "Leicestershire Police"
ASB = "Anti-social behaviour"

# Non-ASB crime types weighted as in the real 2020-01..06 Leicestershire files.
CRIME_TYPES = {
    "Violence and sexual offences": 16269,
    "Public order": 5035,
    "Criminal damage and arson": 4710,
    "Other theft": 3569,
    "Vehicle crime": 3495,
    "Burglary": 2681,
    "Shoplifting": 1719,
    "Drugs": 1501,
    "Other crime": 1008,
    "Bicycle theft": 667,
    "Robbery": 409,
    "Possession of weapons": 358,
    "Theft from the person": 332,
}
OUTCOMES = {
    "Investigation complete; no suspect identified": 13921,
    "Unable to prosecute suspect": 12887,
    "Status update unavailable": 6981,
    "Court result unavailable": 2775,
    "Local resolution": 1795,
    "Formal action is not in the public interest": 1186,
    "Further investigation is not in the public interest": 980,
    "Action to be taken by another organisation": 529,
    "Further action is not in the public interest": 360,
    "Offender given a caution": 291,
    "Awaiting court outcome": 23,
    "Suspect charged as part of another case": 15,
    "Offender given a drugs possession warning": 7,
    "Offender given penalty notice": 3,
}
STREET_STEMS = [
    "Abbey", "Ash", "Aylestone", "Beaumont", "Belgrave", "Birch", "Blaby", "Bradgate", "Braunstone", "Castle",
    "Cedar", "Charnwood", "Church", "Clarendon", "Copse", "Cross", "Dale", "Elm", "Evington", "Fosse", "Glen",
    "Granby", "Green", "Groby", "Hall", "Hazel", "High", "Highfield", "Hinckley", "Humberstone", "King", "Knighton",
    "Lark", "Lime", "London", "Main", "Manor", "Market", "Meadow", "Melton", "Mill", "Narborough", "New", "Oak",
    "Oadby", "Park", "Queen", "Ratby", "Regent", "Saffron", "School", "Soar", "Spinney", "Station", "Stoney",
    "Thurmaston", "Uppingham", "Victoria", "Welford", "Western", "Willow", "Wigston", "Windsor", "Wood",
]
STREET_KINDS = ["Road", "Street", "Lane", "Close", "Avenue", "Drive", "Way", "Crescent", "Gardens", "Walk", "Court"]
PLACES = [  # real files have a few quoted locations with a comma in them
    "Asda, Thurmaston", "Tesco, Hinckley", "Sainsbury's, Melton Mowbray", "Fosse Park, Enderby",
    "Highcross, Leicester", "Parking Area, Loughborough", "Petrol Station, Oakham", "Bus Station, Coalville",
]
NEIGHBOURS = ["Nottingham", "Rushcliffe", "North West Leicestershire", "Daventry", "Rugby", "South Kesteven",
              "Nuneaton and Bedworth", "Corby", "Erewash", "East Staffordshire"]

SHARE_ASB = 0.30
SHARE_NO_LOCATION = 0.05
SHARE_OUTSIDE = 0.03  # of located rows: synthetic E01 codes not in the force lookup


def _weighted(rng: np.random.Generator, table: dict[str, int], size: int) -> np.ndarray:
    names = np.array(list(table), dtype=object)
    weights = np.array(list(table.values()), dtype=float)
    return names[rng.choice(len(names), size=size, p=weights / weights.sum())]


def _hex_ids(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` distinct 64-lower-hex identifiers (256 random bits each)."""
    raw = binascii.hexlify(rng.bytes(32 * size))
    ids = np.frombuffer(raw, dtype="S64").astype("U64").astype(object)
    if len(set(ids)) != size:  # 2**-200 odds; deterministic for a seed anyway
        raise RuntimeError("Crime ID collision, choose another seed")
    return ids


def generate(rows: int, seed: int, drop: Path, bad_rows: int = 64) -> dict:
    """Write the month's file and its manifest; return the manifest."""
    if rows < 1000:
        raise ValueError("at least 1000 rows")
    rng = np.random.default_rng(seed)

    lookup = pd.read_csv(LOOKUP, dtype=str)
    known_codes = set(lookup["LSOA11CD"])
    n_real = len(lookup)
    # Synthetic outside-force LSOAs: E01 codes not in the lookup, with neighbour-style names.
    candidates = rng.choice(np.arange(10_000, 35_000), size=400, replace=False)
    outside_codes = [f"E01{n:06d}" for n in candidates if f"E01{n:06d}" not in known_codes][:300]
    outside_names = [
        f"{NEIGHBOURS[i % len(NEIGHBOURS)]} {rng.integers(1, 60):03d}{'ABCDE'[i % 5]}"
        for i in range(len(outside_codes))
    ]
    codes = np.array(list(lookup["LSOA11CD"]) + outside_codes, dtype=object)
    names = np.array(list(lookup["LSOA11NM"]) + outside_names, dtype=object)
    # A centroid per LSOA: LLR around Leicester, the outside ones in a ring around it.
    lon = np.concatenate([rng.normal(-1.10, 0.18, n_real), rng.uniform(-2.2, 0.2, len(outside_codes))])
    lat = np.concatenate([rng.normal(52.65, 0.12, n_real), rng.uniform(52.0, 53.3, len(outside_codes))])
    # Busier LSOAs (city centre) get more rows: a Zipf-ish weight per real LSOA.
    real_weights = rng.pareto(1.5, n_real) + 1.0
    real_p = real_weights / real_weights.sum()

    is_asb = rng.random(rows) < SHARE_ASB
    no_location = rng.random(rows) < SHARE_NO_LOCATION
    outside = ~no_location & (rng.random(rows) < SHARE_OUTSIDE)
    lsoa = np.where(
        outside,
        n_real + rng.integers(0, len(outside_codes), rows),
        rng.choice(n_real, size=rows, p=real_p),
    )

    crime_type = _weighted(rng, CRIME_TYPES, rows)
    crime_type[is_asb] = ASB
    crime_id = np.full(rows, "", dtype=object)
    crime_id[~is_asb] = _hex_ids(rng, int((~is_asb).sum()))
    outcome = _weighted(rng, OUTCOMES, rows)
    outcome[is_asb] = ""

    streets = np.array(
        [f"On or near {a} {b}" for a in STREET_STEMS for b in STREET_KINDS]
        + [f"On or near {p}" for p in PLACES]
        + ["On or near Supermarket", "On or near Parking Area", "On or near Petrol Station", "On or near Nightclub"],
        dtype=object,
    )
    location = streets[rng.integers(0, len(streets), rows)]
    location[no_location] = "No Location"

    longitude = np.char.mod("%.6f", np.clip(lon[lsoa] + rng.normal(0, 0.004, rows), -8.6, 1.7)).astype(object)
    latitude = np.char.mod("%.6f", np.clip(lat[lsoa] + rng.normal(0, 0.003, rows), 49.9, 60.8)).astype(object)
    lsoa_code = codes[lsoa]
    lsoa_name = names[lsoa]
    for column in (longitude, latitude, lsoa_code, lsoa_name):
        column[no_location] = ""

    # Deliberately bad rows, on distinct located non-ASB rows: each is quarantined by one rule.
    eligible = np.flatnonzero(~is_asb & ~no_location)
    bad = rng.choice(eligible, size=min(bad_rows, len(eligible) // 2), replace=False)
    kinds = np.array_split(bad, 4)
    crime_type[kinds[0]] = "Cycle theft"  # crime_type_known
    lsoa_code[kinds[1]] = [code[:-1] for code in lsoa_code[kinds[1]]]  # lsoa_code_pattern (8 chars)
    pairs = kinds[2][: len(kinds[2]) // 2 * 2].reshape(-1, 2)  # crime_id_unique: both rows of a pair fail
    crime_id[pairs[:, 1]] = crime_id[pairs[:, 0]]
    longitude[kinds[3]] = "n/a"  # parse_type
    quarantined = len(kinds[0]) + len(kinds[1]) + pairs.size + len(kinds[3])

    frame = pd.DataFrame(
        {
            "Crime ID": crime_id,
            "Month": MONTH,
            "Reported by": FORCE_NAME,
            "Falls within": FORCE_NAME,
            "Longitude": longitude,
            "Latitude": latitude,
            "Location": location,
            "LSOA code": lsoa_code,
            "LSOA name": lsoa_name,
            "Crime type": crime_type,
            "Last outcome category": outcome,
            "Context": "",
        },
        columns=HEADER,
    )
    path = drop / "police" / f"{MONTH}-{FORCE}-street.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")

    manifest = {
        "path": str(path),
        "month": MONTH,
        "seed": seed,
        "rows": rows,
        "bytes": path.stat().st_size,
        "asb_rows": int(is_asb.sum()),
        "no_location_rows": int(no_location.sum()),
        "outside_force_rows": int(outside.sum()),
        "bad_rows": {
            "crime_type_known": len(kinds[0]),
            "lsoa_code_pattern": len(kinds[1]),
            "crime_id_unique": int(pairs.size),
            "parse_type": len(kinds[3]),
        },
        "expected_quarantined": int(quarantined),
        "expected_loaded": int(rows - quarantined),
    }
    path.with_suffix(".manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=600_000)
    parser.add_argument("--seed", type=int, default=20200101)
    parser.add_argument("--bad-rows", type=int, default=64)
    parser.add_argument("--drop", type=Path, default=PROJECT / "bench" / "out" / "drop")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = generate(args.rows, args.seed, args.drop, args.bad_rows)
    print(
        f"wrote {manifest['rows']:,} rows ({manifest['bytes'] / 2**20:.1f} MiB) to {manifest['path']} "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
