"""The chain behind a dashboard cell (``safer_communities.publish.explain`` and ``safer-communities explain``).

On ``tests/test_report.py``'s demo warehouse (every source ingested as at the seed report's date into one
DuckDB file, the dashboard computed for 2014/15 Q1 to 2015/16 Q1). What the chain should
say is worked out independently: the files' sha256 with hashlib from the demo's dropped files, their rows
by reading them, the hidden figures from the unpublished mart table. One test builds a MARAC-only warehouse
on both engines and finds the same chain on each.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from safer_communities import cli, dashboard
from safer_communities.dashboard.indicators import display, load_catalogue
from safer_communities.demo import REPORT_DATE, generate, marac_path
from safer_communities.periods import Quarter, previous
from safer_communities.publish import explain
from safer_communities.publish.wording import hidden_because
from safer_communities.settings import PROJECT_DIR
from safer_communities.sources import ingest
from safer_communities.warehouse import Warehouse
from tests import test_report

SEED = "2015/16 Q1"
COUNTY = "E10000018"
REPEAT_RATE = "marac_repeat_rate"  # "MARAC repeat referral rate" in include/config/indicators.yaml
# The report tests' module fixture on the session's demo warehouse: (warehouse, root with drop/ and var/, the page).
built = test_report.built


def published(warehouse: Warehouse, **where: str) -> list[dict]:
    clauses = "".join(f" AND {column} = :{column}" for column in where)
    return warehouse.query(f"SELECT * FROM mart.dashboard_published WHERE quarter_label = :q{clauses}",
                           {"q": SEED, **where})


def data_rows(path: Path) -> int:
    """A dropped file's data rows, counted here: CSV records after the header, or an Excel sheet's non-empty
    rows after the header."""
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True)
        try:
            rows = [row for row in workbook.worksheets[0].iter_rows(values_only=True)
                    if any(value is not None for value in row)]
        finally:
            workbook.close()
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
    return len(rows) - 1


def section(text: str, number: int) -> str:
    """Section ``number`` of the printed chain ("1. The published cell" ... up to the next numbered heading)."""
    found = re.search(rf"^{number}\. .*?(?=^\d\. |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found, f"no section {number}"
    return found[0]


def figures(text: str) -> dict[str, str]:
    """The printed cell's figures: label -> text."""
    return {m[1]: m[2] for m in re.finditer(r"^  ([a-z0-9% ]+?)\s{2,}(.+)$", section(text, 1), re.MULTILINE)}


class Page(HTMLParser):
    """The text of every element with an id, every attribute of every element, and every tag."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self.attrs: list[dict[str, str]] = []
        self.tags: set[str] = set()
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.attrs.append(attrs)
        if tag not in ("meta", "br", "link"):
            self._open.append((tag, attrs.get("id")))
            if attrs.get("id"):
                self.by_id[attrs["id"]] = ""

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _, ident in self._open:
            if ident:
                self.by_id[ident] += data


def test_the_county_repeat_rate_lists_its_marac_files_with_sha256_and_rows(built):
    warehouse, root = built[:2]
    chain = explain.explain(warehouse, SEED, REPEAT_RATE, COUNTY)
    text = explain.text(chain)
    (row,) = published(warehouse, indicator_id=REPEAT_RATE, area_code=COUNTY)
    assert figures(text)["value"] == row["value_display"] == "28.5%"
    assert figures(text)["counts"] == "35 of 123"  # the published numerator and denominator
    assert f"run {row['run_id']}, code version {row['code_version']}" in text

    # the value's quarter, and the 12 months its repeats look back over: the four quarters before
    look_back = next(i for i in load_catalogue().indicators if i.id == REPEAT_RATE).look_back.months
    quarters = [Quarter.parse(SEED)]
    while len(quarters) < 1 + look_back // 3:
        quarters.insert(0, previous(quarters[0]))
    assert [(link.source, link.period) for link in chain.periods] == [("marac_referrals", str(q)) for q in quarters]
    assert [link.role for link in chain.periods] == ["repeat referrals look back 12 months"] * 4 + [explain.VALUE]
    periods = section(text, 3)
    for quarter in quarters:
        assert f"marac_referrals {quarter}: available" in periods

    files = section(text, 4)
    html = explain.render(chain)
    for quarter in quarters:
        dropped = root / "drop" / marac_path(quarter)
        sha256, rows = hashlib.sha256(dropped.read_bytes()).hexdigest(), data_rows(dropped)
        assert rows > 50
        lines = files.splitlines()
        at = next(n for n, line in enumerate(lines) if f"sha256 {sha256}" in line)
        assert lines[at].strip() == f"file {dropped.name}  sha256 {sha256}"
        assert lines[at + 1].strip().startswith(f"{rows:,} rows, {dropped.stat().st_size:,} bytes")
        assert f'data-sha256="{sha256}"' in html and f'data-rows="{rows}"' in html
        assert f"{quarter}: available (" in periods and f"Loaded {rows} rows." in periods
    # the first year's files are loaded but the cell does not rest on them
    for quarter in Quarter(2013, 1), Quarter(2013, 4):
        assert hashlib.sha256((root / "drop" / marac_path(quarter)).read_bytes()).hexdigest() not in text + html

    # every rule of each file, and its loads
    (current,) = [f for f in chain.periods[-1].files if f.current]
    stored = warehouse.query("SELECT rule FROM audit.validation_result WHERE source = 'marac_referrals' AND "
                             "period = :p AND file_sha256 = :s", {"p": SEED, "s": current.sha256})
    assert sorted(r["rule"] for r in current.rules) == sorted(r["rule"] for r in stored) and len(stored) >= 10
    assert "\u2714 case_ref_unique (critical): passed, 0 unexpected" in files
    (load,) = warehouse.query("SELECT * FROM audit.load_batch WHERE source = 'marac_referrals' AND period = :p",
                              {"p": SEED})
    assert (f"load {load['load_batch_id']}: file {current.sha256[:12]}, 123 read, 123 loaded, 0 quarantined, "
            f"at {load['loaded_at']:%Y-%m-%d %H:%M:%S}, run demo") in files


def test_the_sql_shown_is_the_part_of_observations_sql_that_names_the_indicator(built):
    chain = explain.explain(built[0], SEED, REPEAT_RATE, COUNTY)
    source = (PROJECT_DIR / "sql" / "mart" / "observations.sql").read_text(encoding="utf-8").splitlines()
    naming = [n for n, line in enumerate(source, start=1) if f"'{REPEAT_RATE}'" in line]
    branch = next(s for s in chain.sql if s.name == REPEAT_RATE)
    assert branch.first <= naming[0] <= branch.last and "FROM marac" in "\n".join(branch.lines)
    (marac,) = [s for s in chain.sql if s.name == "marac"]  # the WITH part the branch reads, and only it
    assert [s.name for s in chain.sql] == ["marac", REPEAT_RATE]
    assert source[marac.first - 1].strip() == "marac AS (" and "core.marac_referral_repeat" in "\n".join(marac.lines)
    for part in chain.sql:
        assert list(part.lines) == source[part.first - 1:part.last]
    text = explain.text(chain)
    assert f"sql/mart/observations.sql lines {branch.first}-{branch.last} ({REPEAT_RATE}):" in text
    assert f"{naming[0]:4d}  {source[naming[0] - 1]}" in text
    # a police category shares the category table's branch and reads the police part
    vehicle = explain.sql_sections("vehicle_crime")
    assert [s.name for s in vehicle] == ["police", "vehicle_crime"]
    assert "('vehicle_crime', 'Vehicle crime')" in "\n".join(vehicle[-1].lines)


def test_an_area_by_name_in_any_case_and_by_code_gives_the_same_chain(built):
    warehouse = built[0]
    by_code = explain.explain(warehouse, SEED, REPEAT_RATE, "E07000130")
    assert by_code.area_name == "Charnwood"
    for name in ("Charnwood", "charnwood", " CHARNWOOD "):
        by_name = explain.explain(warehouse, SEED, REPEAT_RATE, name)
        assert by_name == by_code and explain.text(by_name) == explain.text(by_code)
    assert explain.explain(warehouse, SEED, "youth_first_time_entrants", "leicestershire").area_code == COUNTY


def test_a_suppressed_district_cell_never_shows_its_hidden_number(built, tmp_path):
    warehouse = built[0]
    hidden = [row for row in published(warehouse) if row["suppressed"] and row["area_type"] == "district"]
    assert {row["indicator_id"] for row in hidden} >= {REPEAT_RATE, "youth_first_time_entrants"}
    pages = dict(zip([(r["indicator_id"], r["area_code"]) for r in published(warehouse)],
                     explain.write_pages(warehouse, SEED, tmp_path), strict=True))
    for row in hidden:
        (true,) = warehouse.query("SELECT * FROM mart.dashboard_quarterly WHERE quarter_label = :q AND "
                                  "indicator_id = :i AND area_code = :a",
                                  {"q": SEED, "i": row["indicator_id"], "a": row["area_code"]})
        assert true["value"] is not None and row["value"] is None
        chain = explain.explain(warehouse, SEED, row["indicator_id"], row["area_code"])
        text, html = explain.text(chain), explain.render(chain)
        assert html == pages[(row["indicator_id"], row["area_code"])].read_text(encoding="utf-8")
        shown, why = figures(text), f"{row['value_display']} (hidden: {hidden_because(row)})"  # as the report says
        assert row["value_display"] in ("<5", "[c]") and shown["value"] == why == Page(html).by_id["value"]
        assert shown["counts"] == "withheld to protect small numbers"
        # the true figures, where they would be shown: not there
        number, count = display(true["value"], true["unit"]), f"{true['numerator']:,.0f}"
        assert number not in shown["value"] and count not in shown["value"]
        assert number not in Page(html).by_id["value"] and count not in Page(html).by_id["value"]
        if true["unit"] == "percent":  # 33.3%, "3 of 9": distinctive wherever they would stand
            for phrase in (number, f"{count} of {true['denominator']:,.0f}"):
                assert phrase not in text and phrase not in html, (row["indicator_id"], row["area_name"], phrase)
        assert chain.cell["value"] is None and chain.cell["numerator"] is None


def test_write_pages_writes_one_self_contained_page_per_published_cell(built, tmp_path):
    warehouse, root = built[:2]
    rows = published(warehouse)
    paths = explain.write_pages(warehouse, SEED, tmp_path)
    assert len(rows) == len(paths) == 14 * 8
    assert paths == [tmp_path / "explain" / row["indicator_id"] / f"{row['area_code']}.html"
                     for row in warehouse.query("SELECT indicator_id, area_code FROM mart.dashboard_published "
                                                "WHERE quarter_label = :q ORDER BY sort_order, CASE WHEN "
                                                "area_type = 'county' THEN 0 ELSE 1 END, area_name", {"q": SEED})]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")) == sorted(
        explain.page_href(row["indicator_id"], row["area_code"]) for row in rows)
    for row, path in zip(sorted(rows, key=lambda r: (r["indicator_id"], r["area_code"])),
                         sorted(paths, key=lambda p: (p.parent.name, p.name)), strict=True):
        html = path.read_text(encoding="utf-8")
        page = Page(html)
        assert {"script", "img", "link", "iframe"}.isdisjoint(page.tags)
        assert not [a for a in page.attrs if a.get("src") or a.get("href")]  # nothing fetched, nothing linked
        assert any(a.get("name") == "viewport" for a in page.attrs)
        assert page.by_id["value"].startswith(row["value_display"])
        assert page.by_id["sentence"].startswith(f"{row['indicator_name']}: ")
        assert str(root) not in html and "/landing/" not in html  # no path of the working area


def test_a_path_of_the_working_area_in_a_reason_is_not_shown(built):
    """A rejected file's reason says where it is kept (a local path): the chain says $SAFER_COMMUNITIES_HOME."""
    warehouse, root = built[:2]
    key = {"s": "marac_referrals", "p": SEED}
    (before,) = warehouse.query("SELECT reason FROM audit.source_status WHERE source = :s AND period = :p", key)
    kept = root / "var" / "quarantine" / "marac_referrals" / "2015-16-Q1" / "abc__marac.xlsx"
    with warehouse.begin() as connection:
        connection.execute(sql("UPDATE audit.source_status SET reason = :r WHERE source = :s AND period = :p"),
                           {**key, "r": f"Rejected: bad. The file is kept at {kept}."})
    try:
        chain = explain.explain(warehouse, SEED, REPEAT_RATE, "Blaby")
    finally:
        with warehouse.begin() as connection:
            connection.execute(sql("UPDATE audit.source_status SET reason = :r WHERE source = :s AND period = :p"),
                               {**key, "r": before["reason"]})
    assert chain.periods[-1].reason == ("Rejected: bad. The file is kept at "
                                        "$SAFER_COMMUNITIES_HOME/quarantine/marac_referrals/2015-16-Q1/abc__marac.xlsx.")
    assert str(root) not in explain.text(chain) + explain.render(chain)


def test_the_command_prints_the_chain_and_says_what_is_unknown(built, capsys):
    warehouse, _ = built[:2]
    expected = explain.text(explain.explain(warehouse, SEED, REPEAT_RATE, "Leicestershire"))
    warehouse.close()  # the command opens the same DuckDB file through the default connection
    cli.main(["explain", SEED, REPEAT_RATE, "Leicestershire"])
    assert capsys.readouterr().out.rstrip("\n") == expected
    ids = [indicator.id for indicator in load_catalogue().indicators]
    with pytest.raises(SystemExit) as unknown:
        cli.main(["explain", SEED, "marac_repeats", "Blaby"])
    assert str(unknown.value) == f"unknown indicator 'marac_repeats'; the catalogue has {', '.join(ids)}"
    assert "\n" not in str(unknown.value)
    with pytest.raises(SystemExit, match=r"unknown area 'Leicester'; give a code or a name: E10000018 "
                                         r"Leicestershire, E07000129 Blaby, .*E07000135 Oadby and Wigston$"):
        cli.main(["explain", SEED, REPEAT_RATE, "Leicester"])
    with pytest.raises(SystemExit, match=r"^no dashboard for 2013/14 Q4 in the mart; compute it first "
                                         r"\(safer-communities dashboard '2013/14 Q4'\); computed: "
                                         r"2014/15 Q1, 2014/15 Q2, 2014/15 Q3, 2014/15 Q4, 2015/16 Q1$"):
        cli.main(["explain", "2013/14 Q4", REPEAT_RATE, "Blaby"])
    with pytest.raises(SystemExit, match="'2015 Q1' is not a financial-year quarter like '2015/16 Q1'"):
        cli.main(["explain", "2015 Q1", REPEAT_RATE, "Blaby"])


def _comparable(chain: explain.Chain) -> explain.Chain:
    """The chain without what differs between two runs: times, load batch ids."""
    periods = tuple(replace(
        link, decided_at="", files=tuple(replace(f, first_pulled_at="", last_pulled_at="") for f in link.files),
        loads=tuple({**load, "load_batch_id": "", "loaded_at": ""} for load in link.loads)) for link in chain.periods)
    return replace(chain, cell={}, computed_at="", periods=periods)


def test_the_same_chain_on_duckdb_and_postgresql(home, key, make_warehouse):
    """MARAC alone, on both engines: the same figures, files, rules and loads."""
    generate(home / "drop")
    found = []
    for engine in ("duckdb", "postgres"):
        warehouse = make_warehouse(engine)
        for period in ("2014/15", SEED):
            ingest.ingest("marac_referrals", period, as_of=REPORT_DATE, run_id="demo", warehouse=warehouse)
        dashboard.compute(warehouse, Quarter.parse(SEED), run_id="explain-test", export_dir=home / engine)
        found.append(explain.explain(warehouse, SEED, REPEAT_RATE, "Blaby"))
    duck, postgres = found
    assert _comparable(duck) == _comparable(postgres)
    assert [len(link.files) for link in duck.periods] == [1] * 5 and duck.figures[0][1].startswith("<5 (hidden")
    assert explain.text(_comparable(duck)) == explain.text(_comparable(postgres))
