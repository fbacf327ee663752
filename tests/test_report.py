"""The quarterly board report on the 2015/16 Q1 demo (DuckDB): sentences from the mart, sections, appendix.

The module fixture ingests the demo extracts of every source (``ingest.ingest``, what the DAGs'
tasks do) as at the seed report's date into one DuckDB file, computes the dashboard for 2014/15 Q1
to 2015/16 Q1 and renders the seed quarter's report once. The HTML is read with the standard
library's parser: no browser, no extra dependency.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from safer_communities import cli, dashboard, ingest, report
from safer_communities.demo import REPORT_DATE, generate
from safer_communities.indicators import load_catalogue
from safer_communities.periods import Quarter
from safer_communities.registry import default_registry
from safer_communities.warehouse import Warehouse
from tests.conftest import PSEUDONYMISATION_KEY

SEED = "2015/16 Q1"
PERIODS = ("2013/14", "2014/15", "2015/16 Q1")
QUARTERS = ["2014/15 Q1", "2014/15 Q2", "2014/15 Q3", "2014/15 Q4", SEED]
WITH_DATA = ("available", "incomplete")


class Page(HTMLParser):
    """The elements of the page with their attributes and text (text inside <sup> is kept apart)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []  # every start tag: {"tag", "attrs", "text", "sup"}
        self._open: list[dict] = []
        self._in_sup = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "sup": ""}
        self.elements.append(element)
        if tag == "sup":
            self._in_sup += 1
        if tag not in ("br", "meta", "link", "img", "input", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag):
        if tag == "sup":
            self._in_sup -= 1
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["sup" if self._in_sup and element["tag"] != "sup" else "text"] += data

    def by_id(self, ident: str) -> dict:
        return next(e for e in self.elements if e["attrs"].get("id") == ident)

    def cells(self) -> list[dict]:
        """The appendix dashboard's value cells."""
        table = self.elements.index(self.by_id("dashboard"))
        end = self.elements.index(self.by_id("legend"))
        return [e for e in self.elements[table:end] if e["tag"] == "td" and "data-area" in e["attrs"]]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Warehouse, Path, str]:
    """The demo ingested into DuckDB, the dashboard computed, the seed quarter's report rendered."""
    root = tmp_path_factory.mktemp("report")
    generate(root / "drop")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFER_COMMUNITIES_HOME", str(root / "var"))
        patch.setenv("SAFER_COMMUNITIES_DROP", str(root / "drop"))
        patch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                     json.dumps({"conn_type": "generic", "password": PSEUDONYMISATION_KEY}))
        (root / "var").mkdir()
        warehouse = Warehouse(f"duckdb:///{root / 'var' / 'warehouse.duckdb'}")
        warehouse.migrate()
        for source in default_registry():
            for period in PERIODS:
                ingest.ingest(source, period, as_of=REPORT_DATE, run_id="demo", warehouse=warehouse)
        for quarter in QUARTERS:
            dashboard.compute(warehouse, Quarter.parse(quarter), run_id="report-test",
                              export_dir=root / "exports")
        page = report.render(warehouse, SEED, as_of=REPORT_DATE)
        yield warehouse, root, page
    warehouse.close()


@pytest.fixture(scope="module")
def page(built) -> Page:
    return Page(built[2])


@pytest.fixture(scope="module")
def published(built) -> list[dict]:
    return built[0].query("SELECT * FROM mart.dashboard_published WHERE quarter_label = :q", {"q": SEED})


@pytest.fixture(scope="module")
def overall(built) -> dict:
    return built[0].query("SELECT * FROM mart.dashboard_summary WHERE quarter_label = :q AND priority_id = 'all'",
                          {"q": SEED})[0]


def test_the_header_names_the_quarter_its_months_the_date_and_the_run(page, overall):
    text = squash(page.by_id("summary")["text"])
    header = squash(next(e for e in page.elements if e["tag"] == "header")["text"])
    assert "Safer Communities performance 2015/16 Q1" in header
    assert "17 September 2015" in header and "April 2015 to June 2015" in header
    assert overall["run_id"] in header and overall["code_version"] in header
    assert text.startswith("1. Overall performance summary")


def test_the_summary_sentences_match_the_mart(page, overall):
    text = squash(page.by_id("summary")["text"])
    judged = overall["on_track"] + overall["amber"] + overall["red"]
    # IOM 2014/15 is shown but not judged: its follow-up runs past the file's date (incomplete)
    assert (overall["with_data"], overall["indicators"], overall["on_track"], judged) == (5, 14, 2, 2)
    # fewer than half have data: "little"; more than half of the judged are on track: "the majority"
    assert f"Little performance information is currently available for 2015/16 Q1: {overall['with_data']} of " \
           f"{overall['indicators']} indicators have data." in text
    assert "Where performance information is available, the majority of indicators are on track " \
           f"({overall['on_track']} of {judged} with a target)." in text
    assert f"{overall['on_track']} are on track, {overall['amber']} amber, {overall['red']} red and " \
           f"{overall['no_target']} monitored without a target." in text
    assert f"{overall['not_available']} indicators are not available, for these reasons:" in text
    # every unavailable source's reason, as the mart states it
    for reason in overall["unavailable_reasons"].split(" | "):
        assert squash(reason) in text
    assert "NICHE" in text
    # what improved: first-time entrants against last year; IOM (incomplete) is not compared like for like
    assert "Compared with last year, 1 indicator improved: First-time entrants to the youth justice system (48, " \
           "against 67 in the same quarter last year)." in text


def test_each_priority_in_catalogue_order_with_its_sentences(page):
    catalogue = load_catalogue()
    text = squash(page.by_id("priorities")["text"])
    positions = [text.index(priority.name) for priority in catalogue.priorities]
    assert positions == sorted(positions)
    for priority in catalogue.priorities:
        for indicator in priority.indicators:
            assert indicator.name in text, indicator.name
    # the seed report's 56% against 39%, not judged: the 2014/15 cohort's follow-up runs past the file's date
    assert re.search(r"Reduction in offending by the IOM cohort: 56\.4%, against 39\.0% for the previous cohort: "
                     r"not judged, data incomplete: Incomplete: the 12-month follow-up of offenders adopted after "
                     r"2014-09-17 \(\d+ of \d+\) runs past the file's date 2015-09-17\. ", text)
    assert "MARAC repeat referral rate: 28.5%, against 22.6% in the same quarter last year: on track." in text
    assert "Referrals to domestic abuse support services: 621, against 497 in the same quarter last year: " \
           "monitored, no target." in text
    terrorism = squash(page.by_id("priority-terrorism")["text"])
    assert "Appropriate measures for this priority are being determined." in terrorism
    crime = squash(page.by_id("priority-crime")["text"])
    assert "None of the 5 indicators has data for 2015/16 Q1." in crime and "NICHE" in crime
    assert "Vehicle crime: n/a, not available (the reason is given above)" in crime


def test_unavailable_indicators_are_na_and_never_green_or_zero(page, published):
    cells = page.cells()
    assert len(cells) == len(published) == 14 * 8
    unavailable = 0
    for cell in cells:
        status = cell["attrs"]["data-status"]
        shown = squash(cell["text"])
        if status not in WITH_DATA:
            unavailable += 1
            assert cell["attrs"]["data-rag"] == "grey" and "rag-grey" in cell["attrs"]["class"]
            assert shown == "\u25cbn/a" and cell["sup"].strip().isdigit(), shown
            assert "\u25cf" not in shown and not re.search(r"\d", shown)
        else:
            assert "n/a" not in shown
    assert unavailable == sum(r["status"] not in WITH_DATA for r in published) == 9 * 8
    # the same in the priority tables: n/a and grey, for every county row without data
    rows = {e["attrs"]["data-indicator-name"]: e for e in page.elements if "data-indicator-name" in e["attrs"]}
    for row in published:
        if row["area_type"] == "county" and row["status"] not in WITH_DATA:
            element = rows[row["indicator_name"]]
            rag = next(e for e in page.elements[page.elements.index(element):] if "data-rag" in e["attrs"])
            assert rag["attrs"]["data-rag"] == "grey" and squash(rag["text"]).startswith("\u25cb")
            value = next(e for e in page.elements[page.elements.index(element):] if e["attrs"].get("class") == "num")
            assert squash(value["text"]) == "n/a"
    # the footnotes give the reasons
    footnotes = squash(page.by_id("footnotes")["text"])
    assert "unavailable: Declared outage 2015-04 to 2015-06" in footnotes and "NICHE" in footnotes
    assert "awaited: Not yet due" in footnotes


def test_green_cells_have_the_green_symbol_and_a_legend(page, published):
    for cell in page.cells():
        symbol = report.RAG[cell["attrs"]["data-rag"]][0]
        assert squash(cell["text"]).startswith(symbol)
    legend = squash(page.by_id("legend")["text"])
    for key, (symbol, words) in {**report.RAG, **report.TREND}.items():
        assert symbol in legend and words in legend, key


def test_suppressed_figures_are_shown_as_published(page, published):
    hidden = [r for r in published if r["value_display"] in ("<5", "[c]")]
    assert "<5" in {r["value_display"] for r in hidden}
    cells = {(c["attrs"]["data-area"], i // 8): c for i, c in enumerate(page.cells())}
    order = sorted({(r["sort_order"], r["indicator_name"]) for r in published})
    row_of = {name: n for n, (_, name) in enumerate(order)}
    for row in hidden:
        cell = cells[(row["area_name"], row_of[row["indicator_name"]])]
        assert squash(cell["text"]).endswith(row["value_display"]), (row["indicator_id"], row["area_name"])
        assert row["value"] is None  # the published view has no value behind it
    legend = squash(page.by_id("appendix")["text"])
    assert "<5: fewer than 5 people: hidden to protect individuals" in legend
    assert "[c]: withheld so that a small number elsewhere cannot be worked out" in legend


def test_the_page_is_self_contained(built, page):
    text = built[2]
    assert "<script" not in text.lower() and "<link" not in text.lower() and "<img" not in text.lower()
    for element in page.elements:
        for name in ("src", "href", "action", "data"):
            value = element["attrs"].get(name) or ""
            assert "http" not in value.lower(), element
    footer = page.by_id("attribution")["text"]
    # a URL is only ever text of the attribution footer, never a link or a resource
    rest = html.unescape(re.sub(r"<footer.*?</footer>", "", text, flags=re.S))
    assert not re.search(r"https?://", rest), re.findall(r"https?://\S+", rest)
    attribution = squash(footer)
    assert "data.police.uk" in attribution and "Open Government Licence v3.0" in attribution
    assert "Office for National Statistics" in attribution


def test_the_availability_page_lists_every_source_period_of_the_quarter(page):
    rows = [e["attrs"] for e in page.elements if e["tag"] == "tr" and "data-status" in e["attrs"]]
    found = {(r["data-source"], r["data-period"]): r["data-status"] for r in rows}
    assert found == {
        **{("police_street_crime", m): "unavailable" for m in ("2015-04", "2015-05", "2015-06")},
        **{("domestic_abuse_referrals", m): "available" for m in ("2015-04", "2015-05", "2015-06")},
        ("marac_referrals", SEED): "available", ("youth_first_time_entrants", SEED): "available",
        ("youth_reoffending", SEED): "awaited", ("community_survey", SEED): "awaited",
        ("iom_cohort", "2015/16"): "awaited",
    }
    text = squash(page.by_id("availability")["text"])
    assert "NICHE" in text and "Leicestershire MARAC coordinator" in text


def test_write_and_the_command(built, monkeypatch, capsys, tmp_path):
    warehouse, root, _ = built
    monkeypatch.setenv("SAFER_COMMUNITIES_HOME", str(root / "var"))
    path = report.write(warehouse, SEED, as_of=date(2015, 9, 17))
    assert path == root / "var" / "reports" / "2015-16-Q1" / "v1" / "report.html"
    assert report.report_path(SEED).resolve() == path  # latest: the version just published
    assert "Reduction in offending by the IOM cohort" in path.read_text(encoding="utf-8")
    # the availability page links each decided period to its data-quality page, written beside
    links = re.findall(r'<a href="([^"]+)">data-quality page</a>', path.read_text(encoding="utf-8"))
    assert "../../../quality/marac_referrals/2015-16-Q1.html" in links and len(links) == 11
    for link in links:
        target = (path.parent / link).resolve()
        assert target.is_relative_to(root / "var" / "quality") and target.exists(), link
    assert "Loaded 123 rows." in (root / "var/quality/marac_referrals/2015-16-Q1.html").read_text(encoding="utf-8")
    warehouse.close()  # the command opens the same DuckDB file through the default connection
    cli.main(["report", SEED, "--out", str(tmp_path / "out"), "--as-of", "2015-09-17"])
    printed = capsys.readouterr().out.strip()
    assert printed == str(tmp_path / "out" / "report.html")
    assert "17 September 2015" in Path(printed).read_text(encoding="utf-8")
    with pytest.raises(SystemExit, match="no dashboard for 2019/20 Q1"):
        cli.main(["report", "2019/20 Q1", "--out", str(tmp_path / "none")])


def _overall(**counts) -> dict:
    base = {"indicators": 14, "with_data": 10, "on_track": 1, "amber": 1, "red": 2, "no_target": 6,
            "not_available": 4, "improving": 0, "worsening": 0, "unavailable_reasons": "x (late): due soon."}
    return {**base, **counts}


@pytest.mark.parametrize(("counts", "expected"), [
    ({}, "Where performance information is available, a minority of indicators are on track (1 of 4 with a "
         "target)."),
    ({"on_track": 2, "amber": 0}, "half of the indicators are on track (2 of 4 with a target)."),
    ({"on_track": 0}, "none of the indicators is on track (0 of 3 with a target)."),
    ({"on_track": 0, "amber": 0, "red": 0}, "None of the indicators with data can be judged against a target"),
    ({"with_data": 14, "not_available": 0}, "Performance information is available for all 14 indicators"),
])
def test_summary_wording_follows_the_counts(counts, expected):
    text = " ".join(report.summary_sentences(_overall(**counts), [], Quarter.parse(SEED))["sentences"])
    assert expected in text
    assert "Little" not in text


def test_a_row_without_data_is_never_green():
    row = {"status": "unavailable", "on_track": "green", "value_display": "n/a"}
    assert report.rag_of(row) == "grey"
    assert report.rag_of({**row, "status": "available", "value_display": "28.5%"}) == "green"


APPENDIX_VISIBLE = """(() => {
  const table = document.querySelector('#appendix table#dashboard');
  const box = table.getBoundingClientRect();
  const style = getComputedStyle(table);
  return {width: box.width, height: box.height, display: style.display, visibility: style.visibility,
          rows: table.querySelectorAll('tbody tr').length, columns: table.querySelectorAll('thead th').length};
})()"""


def test_the_report_in_headless_chromium_and_as_pdf(built, tmp_path):
    """Debian's Chromium opens the page with no console error and no request but the page itself, shows the
    appendix table, takes a screenshot, and prints a PDF of a few pages."""
    import subprocess

    from tests.browser import open_page, png_size

    html = tmp_path / "report.html"
    html.write_text(built[2], encoding="utf-8")
    loaded = open_page(html, expressions={"appendix": APPENDIX_VISIBLE})
    assert loaded.console_errors == []
    assert loaded.requests == [html.resolve().as_uri()]  # self-contained
    appendix = loaded.values["appendix"]
    assert appendix["display"] == "table" and appendix["visibility"] == "visible"
    assert appendix["width"] > 600 and appendix["height"] > 300
    assert appendix["rows"] >= 14 and appendix["columns"] >= 1 + 8  # indicators x county and seven districts
    width, height = png_size(loaded.screenshot)
    assert width == 1280 and height > 3000  # the whole page
    (tmp_path / "report.png").write_bytes(loaded.screenshot)

    pdf = report.write_pdf(html)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    # the summary and priorities with their trend and comparison charts (about eight A4 pages), then the
    # appendix and the availability pages in landscape: a board paper, not a page or a book
    assert 6 <= len(pages) <= 16, len(pages)


def test_the_browser_check_catches_a_page_that_is_not_self_contained(tmp_path):
    """The same check on a page with an outside image and a console error: both are caught."""
    from tests.browser import open_page

    bad = tmp_path / "bad.html"
    bad.write_text('<p>x</p><img src="http://example.invalid/x.png"><script>console.error("boom")</script>')
    loaded = open_page(bad)
    assert "http://example.invalid/x.png" in loaded.requests
    assert any("boom" in message for message in loaded.console_errors)


def test_district_comparison_charts_draw_published_intervals_only(page, published):
    """One chart per indicator with data and district intervals; the county line; a hidden district is not drawn."""
    charts = [e for e in page.elements if e["tag"] == "figure" and "comparison-chart" in e["attrs"].get("class", "")]
    county = {r["indicator_id"]: r for r in published if r["area_type"] == "county"}
    expected = [r["indicator_name"] for r in sorted(county.values(), key=lambda r: r["sort_order"])
                if r["status"] in ("available", "incomplete") and r["value"] is not None
                and any(d["interval_lower"] is not None for d in published
                        if d["indicator_id"] == r["indicator_id"] and d["area_type"] == "district")]
    assert len(charts) == len(expected) == 5  # IOM, first-time entrants, MARAC referrals and repeats, DA referrals
    for chart, name in zip(charts, expected, strict=True):
        text = squash(chart["text"])
        assert name in text and "the dashed line is Leicestershire" in text
        assert all(district in text for district in ("Blaby", "Charnwood", "Melton", "Oadby and Wigston"))
    entrants = squash(next(c for c in charts if "First-time entrants" in c["text"])["text"])
    hidden = [r for r in published if r["indicator_id"] == "youth_first_time_entrants" and r["suppressed"]]
    assert hidden and all(r["area_name"] in entrants for r in hidden)
    assert entrants.count("hidden: fewer than 5 people") == sum(r["suppression"] == "primary" for r in hidden)
    assert entrants.count("hidden: withheld so that a small number elsewhere cannot be worked out") == sum(
        r["suppression"] == "secondary" for r in hidden)


@pytest.fixture(scope="module")
def monthly(built) -> list[dict]:
    return built[0].query("SELECT * FROM mart.dashboard_monthly_published WHERE quarter_label = :q", {"q": SEED})


def test_six_month_trend_charts_draw_the_published_monthly_series(page, monthly):
    """A chart per monthly indicator, January to June 2015: every drawn point is a published value, a hidden
    month is named and not drawn, and the NICHE months are grey bands, never zeros."""
    charts = [e for e in page.elements if e["tag"] == "figure" and e["attrs"].get("class") == "trend-chart"]
    monthly_ids = [i.id for p in load_catalogue().priorities for i in p.indicators if i.grain == "month"]
    assert [c["attrs"]["data-indicator"] for c in charts] == monthly_ids  # catalogue order; all have some data
    def inside(chart: dict) -> list[dict]:
        start = page.elements.index(chart)
        return page.elements[start:next(i for i in range(start + 1, len(page.elements))
                                        if page.elements[i]["tag"] in ("figure", "section"))]

    for chart in charts:
        series = [r for r in monthly if r["indicator_id"] == chart["attrs"]["data-indicator"]]
        drawn = {(e["attrs"]["data-area"], e["attrs"]["data-month"]): float(e["attrs"]["data-value"])
                 for e in inside(chart) if e["tag"] == "circle"}
        published = {(r["area_name"], f"{r['month_start']:%Y-%m}"): r["value"] for r in series
                     if r["value"] is not None and r["status"] in WITH_DATA}
        assert drawn == published
        bands = {e["attrs"]["data-month"] for e in inside(chart) if e["tag"] == "rect"}
        assert bands == {f"{r['month_start']:%Y-%m}" for r in series
                         if r["area_type"] == "county" and r["status"] not in WITH_DATA}
        text = squash(chart["text"])
        assert "January 2015 to June 2015" in text and "the thick line is Leicestershire" in text
        for row in series:  # named under what it is: a small number, or withheld to protect one
            if row["suppressed"] and row["status"] in WITH_DATA:
                heading = {"primary": "Not drawn, fewer than 5 people:",
                           "secondary": "Not drawn, withheld so that a small number elsewhere cannot be worked out:"}
                named = text.split(heading[row["suppression"]])[1].split("Not drawn")[0]
                assert f"{row['area_name']} (" in named and f"{row['month_start']:%b %Y}" in named
    police = next(c for c in charts if c["attrs"]["data-indicator"] == "vehicle_crime")
    assert {e["attrs"]["data-month"] for e in inside(police)
            if e["tag"] == "rect"} == {"2015-04", "2015-05", "2015-06"}  # NICHE: April-June not available
    marac = [r for r in monthly if r["indicator_id"] == "marac_referrals"]
    assert any(r["suppressed"] for r in marac), "the demo hides some district months of MARAC referrals"


def test_the_report_says_whether_the_dashboard_is_ready_by_its_reporting_date(page):
    """2015/16 Q1 as at 17 September 2015, its reporting date: complete, with what it needs and why."""
    ready = page.by_id("readiness")
    assert ready["attrs"]["data-state"] == "complete"
    assert "reporting date 2015-09-17" in squash(ready["text"])
    table = page.elements.index(page.by_id("readiness-table"))
    outcomes = {(e["attrs"]["data-source"], e["attrs"]["data-period"]): e["attrs"]["data-outcome"]
                for e in page.elements[table:] if e["tag"] == "tr" and "data-outcome" in e["attrs"]}
    assert outcomes == {
        ("iom_cohort", "2014/15"): "delivered", ("youth_first_time_entrants", "2015/16 Q1"): "delivered",
        ("marac_referrals", "2015/16 Q1"): "delivered", ("domestic_abuse_referrals", "2015-04"): "delivered",
        ("domestic_abuse_referrals", "2015-05"): "delivered", ("domestic_abuse_referrals", "2015-06"): "delivered",
        ("police_street_crime", "2015-04"): "excused", ("police_street_crime", "2015-05"): "excused",
        ("police_street_crime", "2015-06"): "excused",  # the declared NICHE outage
        ("youth_reoffending", "2015/16 Q1"): "excused", ("community_survey", "2015/16 Q1"): "excused",  # not due
    }


def test_a_dashboard_missing_data_on_its_reporting_date_is_flagged_late(built):
    """The same mart, judged as if MARAC's quarter had never come: late on the reporting date, naming it."""
    warehouse = built[0]
    rows, monthly, summary, availability, glance = report._inputs(warehouse, SEED)
    without_marac = [row for row in glance if row["source"] != "marac_referrals"]
    early = Page(report._render(SEED, rows, monthly, summary, availability, without_marac, date(2015, 9, 16)))
    assert early.by_id("readiness")["attrs"]["data-state"] == "in progress"
    late = Page(report._render(SEED, rows, monthly, summary, availability, without_marac, REPORT_DATE))
    assert late.by_id("readiness")["attrs"]["data-state"] == "late"
    assert "not complete by its reporting date 2015-09-17: 1 source period missing" in squash(
        late.by_id("readiness")["text"])
    missing = [e for e in late.elements if e["attrs"].get("data-outcome") == "missing"]
    assert [(e["attrs"]["data-source"], e["attrs"]["data-period"]) for e in missing] == [
        ("marac_referrals", "2015/16 Q1")]
