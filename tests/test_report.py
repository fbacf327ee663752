"""The quarterly board report on the 2015/16 Q1 demo (DuckDB): sentences from the mart, sections, appendix.

The session's demo warehouse (``demo_root``: the demo extracts of every source ingested with
``ingest.ingest``, what the DAGs' tasks do, as at the seed report's date into one DuckDB file, the
dashboard computed for 2014/15 Q1 to 2015/16 Q1; shared with the explain tests) and the seed quarter's
report rendered once per module. The HTML is read with the standard
library's parser: no browser, no extra dependency.
"""

from __future__ import annotations

import html
import json
import math
import re
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from safer_communities import cli, dashboard
from safer_communities.dashboard.indicators import load_catalogue
from safer_communities.demo import REPORT_DATE, generate
from safer_communities.periods import Quarter
from safer_communities.publish import report
from safer_communities.sources import ingest
from safer_communities.sources.registry import default_registry
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


@contextmanager
def demo_environment(root: Path):
    """The environment the demo root was built in: its working area, drop folder and pseudonymisation key."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAFER_COMMUNITIES_HOME", str(root / "var"))
        patch.setenv("SAFER_COMMUNITIES_DROP", str(root / "drop"))
        patch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_PSEUDONYMISATION",
                     json.dumps({"conn_type": "generic", "password": PSEUDONYMISATION_KEY}))
        yield


def build_demo(root: Path) -> None:
    """The demo ingested into a DuckDB file under ``root/var``, the dashboard computed for :data:`QUARTERS`."""
    generate(root / "drop")
    (root / "var").mkdir()
    with demo_environment(root), Warehouse(f"duckdb:///{root / 'var' / 'warehouse.duckdb'}") as warehouse:
        warehouse.migrate()
        for source in default_registry():
            for period in PERIODS:
                ingest.ingest(source, period, as_of=REPORT_DATE, run_id="demo", warehouse=warehouse)
        for quarter in QUARTERS:
            dashboard.compute(warehouse, Quarter.parse(quarter), run_id="report-test",
                              export_dir=root / "exports")


@pytest.fixture(scope="module")
def built(demo_root) -> tuple[Warehouse, Path, str]:
    """The demo warehouse (built once per session: ``demo_root``), the seed quarter's report rendered."""
    with demo_environment(demo_root), Warehouse(f"duckdb:///{demo_root / 'var' / 'warehouse.duckdb'}") as warehouse:
        yield warehouse, demo_root, report.render(warehouse, SEED, as_of=REPORT_DATE)


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


def before_about(page: Page) -> str:
    """The visible text of the paper before its "About this report" section."""
    about = page.elements.index(page.by_id("about"))
    return squash(" ".join(e["text"] for e in page.elements[:about] if e["tag"] in ("header", "section")
                           and e["attrs"].get("id") not in ("about",)))


def test_the_header_is_a_board_papers_and_run_details_wait_for_the_end(page, overall):
    header = squash(next(e for e in page.elements if e["tag"] == "header")["text"])
    assert header.startswith("Leicestershire Safer Communities Strategy Board, 17 September 2015")
    assert "Safer Communities performance 2015/16 Quarter 1" in header and "April 2015 to June 2015" in header
    paper = before_about(page)
    for technical in (overall["run_id"], overall["code_version"], "mart.", "audit.", "staging.", "core.",
                      "police_street_crime", "youth_reoffending", "drop folder", ".csv", ".xlsx", "Wald",
                      "Poisson"):
        assert technical not in paper, technical
    assert not re.search(r"\b[\w-]+/[\w./-]+\.\w{2,4}\b", paper), re.findall(r"\b[\w-]+/[\w./-]+\.\w{2,4}\b", paper)
    about = squash(page.by_id("run-details")["text"])
    assert overall["run_id"] in about and overall["code_version"] in about
    assert "Poisson regression slope, Wald test at 95%" in squash(page.by_id("about")["text"])


def test_other_quarters_are_dated_by_their_own_reporting_date(built):
    """The paper's date is the board's: the configured date for 2015/16 Q1, 79 days after the quarter otherwise."""
    q4 = Page(report.render(built[0], "2014/15 Q4", as_of=REPORT_DATE))
    header = squash(next(e for e in q4.elements if e["tag"] == "header")["text"])
    assert header.startswith("Leicestershire Safer Communities Strategy Board, 18 June 2015")  # 31 March + 79 days


def _county(published: list[dict]) -> dict[str, dict]:
    return {r["indicator_id"]: r for r in published if r["area_type"] == "county"}


def test_the_summary_leads_with_what_changed_significantly(page, overall, published):
    sentences = [squash(e["text"]) for e in page.elements if e["attrs"].get("class") == "summary-sentence"]
    county = _county(published)
    # what the six-month trend found significant (a monitored indicator too), from the mart
    trending = [r for r in county.values() if r["trend"] in ("improving", "worsening", "increasing", "decreasing")]
    assert [r["indicator_id"] for r in trending] == ["domestic_abuse_support_referrals"]
    assert sentences[0] == ("Referrals to domestic abuse support services: rising significantly over the last six "
                            "months (monitored: no target); 621 this quarter.")
    # year on year: significant only when last year's figure lies outside this year's 95% interval (by hand)
    entrants, repeats = county["youth_first_time_entrants"], county["marac_repeat_rate"]
    assert not entrants["interval_lower"] <= 67 <= entrants["interval_upper"]
    assert repeats["interval_lower"] <= repeats["last_year_value"] <= repeats["interval_upper"]
    improved = next(i for i, s in enumerate(sentences) if "First-time entrants" in s)
    assert sentences[improved] == ("Compared with last year, First-time entrants to the youth justice system improved "
                                   "significantly: 48, against 67 in the same quarter last year.")
    steady = next(s for s in sentences if s.startswith("Little change on last year"))
    assert "MARAC repeat referral rate (28.5% (35 of 123), against 22.6% in the same quarter last year)" in steady
    targets = next(i for i, s in enumerate(sentences) if s.startswith("Where performance information is available"))
    assert improved < targets  # the changes before the counts
    assert sentences[targets] == ("Where performance information is available, the majority of indicators are on "
                                  "track (2 of 2 with a target: 2 on track, 0 amber, 0 red).")
    assert sentences[-1] == (f"Little performance information is currently available for 2015/16 Quarter 1: "
                             f"{overall['with_data']} of {overall['indicators']} indicators have data.")
    unavailable = squash(page.by_id("summary")["text"])
    assert ("Police recorded crime (data.police.uk): Not available: Declared outage April 2015 to June 2015: New "
            "police records system (NICHE) introduced") in unavailable
    assert "Youth proven re-offending: Not yet due: expected by 12 February 2017. (1 indicator" in unavailable


@pytest.mark.parametrize(("status", "reason", "expected"), [
    ("awaited", "Not yet due: expected by 2017-02-12 (no file at youth/proven-reoffending-2015-16-Q1.xlsx or "
                "youth/proven-reoffending-2015-16-Q1.csv in the drop folder).",
     "Not yet due: expected by 12 February 2017."),
    ("late", "Not delivered by the deadline 2015-08-01 (download failed: 503 from https://example.org/x?token=s).",
     "Not delivered by the deadline 1 August 2015."),
    ("unavailable", "Declared outage 2015-04 to 2015-06: NICHE.", "Declared outage April 2015 to June 2015: NICHE."),
    ("incomplete", "Incomplete: the cohort (2014/15) has 42 of 82 followed up.",
     "Incomplete: the cohort (2014/15) has 42 of 82 followed up."),
    ("rejected", "Rejected: x.csv: rule r. The file is kept at /var/quarantine/a/b.csv.",
     "The file received did not pass its checks; the data-quality page says which."),
])
def test_reasons_in_plain_words(status, reason, expected):
    assert report.plain_reason(status, reason) == expected


@pytest.mark.parametrize(("row", "expected"), [
    ({"value": 2.09, "last_year_value": 2.08, "interval_lower": 1.9, "interval_upper": 2.3, "change": 0.01,
      "polarity": "low"}, "little change"),
    ({"value": 48, "last_year_value": 67, "interval_lower": 35.4, "interval_upper": 63.6, "change": -19,
      "polarity": "low"}, "improved"),
    ({"value": 48, "last_year_value": 67, "interval_lower": 35.4, "interval_upper": 63.6, "change": -19,
      "polarity": "high"}, "worsened"),
    ({"value": 621, "last_year_value": 497, "interval_lower": 573, "interval_upper": 672, "change": 124,
      "polarity": "none"}, "increased"),
    ({"value": 621, "last_year_value": None, "interval_lower": 573, "interval_upper": 672, "change": None,
      "polarity": "none"}, None),
])
def test_a_change_on_last_year_is_improved_or_worsened_only_when_significant(row, expected):
    assert report.direction({"status": "available", **row}) == expected


def test_the_officer_commentary_is_in_its_place(page):
    from safer_communities.publish import commentary

    written = commentary.load(Quarter.parse(SEED), load_catalogue())
    summary = squash(page.by_id("summary")["text"])
    for paragraph in commentary.paragraphs(written.overall):
        assert paragraph in summary
    assert summary.index("Little performance data is available") < summary.index("rising significantly")
    for priority, text in written.priorities.items():
        section = squash(page.by_id(f"priority-{priority}")["text"])
        assert all(paragraph in section for paragraph in commentary.paragraphs(text)), priority
    for indicator, text in written.indicators.items():
        item = next(e for e in page.elements if e["tag"] == "li" and e["attrs"].get("data-indicator") == indicator)
        assert commentary.paragraphs(text)[0] in squash(item["text"]), indicator
    recommendations = squash(page.by_id("recommendations")["text"])
    assert "The Board notes the 2015/16 Quarter 1 performance information." in recommendations
    assert "The Board continues to monitor performance trends." in recommendations
    assert "James Fox" in squash(page.by_id("contact")["text"])


def test_the_report_lists_what_the_officer_has_still_to_write(built, published, tmp_path, monkeypatch):
    """Red, amber and significantly changed indicators without a note; with no commentary file, every part."""
    county = _county(published)

    def needs_a_note(row: dict) -> bool:
        yearly = None not in (row["interval_lower"], row["last_year_value"]) and row["status"] == "available" \
            and not row["interval_lower"] <= row["last_year_value"] <= row["interval_upper"]
        return row["on_track"] in ("red", "amber") or row["trend"] in (
            "improving", "worsening", "increasing", "decreasing") or yearly

    expected = [r["indicator_name"] for r in sorted(county.values(), key=lambda r: r["sort_order"])
                if needs_a_note(r)]
    assert expected == ["First-time entrants to the youth justice system", "Referrals to MARAC (per 10,000 females)",
                        "Referrals to domestic abuse support services"]
    listed = squash(Page(built[2]).by_id("still-to-write")["text"])
    assert "a note on First-time entrants to the youth justice system (improved significantly on last year)" in listed
    assert "MARAC (per 10,000" not in listed and "domestic abuse" not in listed  # the demo's commentary has them
    monkeypatch.setenv("SAFER_COMMUNITIES_COMMENTARY", str(tmp_path))
    blank = Page(report.render(built[0], SEED, as_of=REPORT_DATE))
    listed = squash(blank.by_id("still-to-write")["text"])
    for part in ("the overall message", "the recommendations", "the officer to contact", *expected):
        assert part in listed, part
    assert "No recommendations have been written for this quarter yet." in squash(
        blank.by_id("recommendations")["text"])


def test_a_commentary_file_that_does_not_fit_the_catalogue_names_the_file_and_the_key(tmp_path, monkeypatch):
    from safer_communities.publish import commentary

    monkeypatch.setenv("SAFER_COMMUNITIES_COMMENTARY", str(tmp_path))
    (tmp_path / "2015-16-Q1.yaml").write_text("quarter: 2015/16 Q1\nindicators:\n  marac_repeats: Rising.\n")
    with pytest.raises(commentary.CommentaryError, match=r"2015-16-Q1\.yaml: indicators: marac_repeats not in "):
        commentary.load(Quarter.parse(SEED), load_catalogue())
    (tmp_path / "2015-16-Q1.yaml").write_text("quarter: 2015/16 Q2\noverall: x\n")
    with pytest.raises(commentary.CommentaryError, match="quarter is '2015/16 Q2', but the file is for 2015/16 Q1"):
        commentary.load(Quarter.parse(SEED), load_catalogue())
    (tmp_path / "2015-16-Q1.yaml").write_text("quarter: 2015/16 Q1\nsummary: x\n")
    with pytest.raises(commentary.CommentaryError, match="summary: Extra inputs are not permitted"):
        commentary.load(Quarter.parse(SEED), load_catalogue())


def test_each_priority_in_catalogue_order_with_units_and_bases(page):
    catalogue = load_catalogue()
    text = squash(page.by_id("priorities")["text"])
    positions = [text.index(priority.name) for priority in catalogue.priorities]
    assert positions == sorted(positions)
    for priority in catalogue.priorities:
        for indicator in priority.indicators:
            assert indicator.name in text, indicator.name
    # the seed report's 56% against 39%, not judged: the 2014/15 cohort's follow-up runs past the file's date
    assert re.search(r"Reduction in offending by the IOM cohort: 56\.4% \(476 of 844\), against 39\.0% for the "
                     r"previous cohort: not judged, the data is incomplete: the 12-month follow-up of offenders "
                     r"adopted after 17 September 2014 \(\d+ of \d+\) runs past the file's date 17 September 2015\.",
                     text)
    assert ("MARAC repeat referral rate: 28.5% (35 of 123), against 22.6% in the same quarter last year (little "
            "change): on track (target: year to date within 28%–40%).") in text
    assert ("Referrals to MARAC (per 10,000 females): 3.65 per 10,000 females (123 in the quarter), against "
            "2.49 per 10,000 females in the same quarter last year (increased): monitored, no target.") in text
    assert "Referrals to domestic abuse support services: 621, against 497 in the same quarter last year " \
           "(increased): monitored, no target." in text
    terrorism = squash(page.by_id("priority-terrorism")["text"])
    assert "Appropriate measures for this priority are being determined." in terrorism
    crime = squash(page.by_id("priority-crime")["text"])
    assert ("Total police recorded crime (excluding ASB), Vehicle crime, Burglary, Violence and sexual offences, "
            "Criminal damage and arson: Not available: Declared outage April 2015 to June 2015") in crime


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
    # the notes give the reasons in plain words
    footnotes = squash(page.by_id("footnotes")["text"])
    assert "Not available: Declared outage April 2015 to June 2015" in footnotes and "NICHE" in footnotes
    assert "Not yet due: expected by 12 February 2017." in footnotes and "drop folder" not in footnotes


def test_cells_have_their_rag_symbol_and_one_legend(page, published):
    for cell in page.cells():
        symbol = report.RAG[cell["attrs"]["data-rag"]][0]
        assert squash(cell["text"]).startswith(symbol)
    legend = squash(page.by_id("legend")["text"])
    for key, (symbol, words) in {**report.RAG, **report.TREND}.items():
        assert symbol in legend and words in legend, key
    # the RAG symbols mean only that: no chart draws them
    for chart in (e for e in page.elements if e["tag"] == "figure"):
        assert not set(squash(chart["text"])) & {symbol for symbol, _ in report.RAG.values()}, chart["attrs"]


def test_suppressed_figures_are_shown_as_published(page, published):
    hidden = [r for r in published if r["value_display"] in ("<5", "[c]")]
    assert "<5" in {r["value_display"] for r in hidden}
    cells = {(c["attrs"]["data-area"], i // 8): c for i, c in enumerate(page.cells())}
    order = sorted({(r["sort_order"], r["indicator_name"]) for r in published})
    row_of = {name: n for n, (_, name) in enumerate(order)}
    for row in hidden:
        cell = cells[(row["area_name"], row_of[row["indicator_name"]])]
        # "<5" in a column of percentages would read as 5%: there it says people
        shown = row["value_display"] + (" people" if row["unit"] != "count" and row["suppression"] == "primary" else "")
        assert squash(cell["text"]).endswith(shown), (row["indicator_id"], row["area_name"])
        assert row["value"] is None  # the published view has no value behind it
    legend = squash(page.by_id("appendix")["text"])
    assert "<5: the figure concerns fewer than 5 people: hidden to protect them" in legend
    assert "[c]: withheld so that a small number elsewhere cannot be worked out" in legend


def test_the_page_is_self_contained(built, page):
    text = built[2]
    assert "<script" not in text.lower() and "<link" not in text.lower() and "<img" not in text.lower()
    for element in page.elements:
        for name in ("src", "href", "action", "data"):
            value = element["attrs"].get(name) or ""
            assert "http" not in value.lower(), element
    footer = page.by_id("attribution")["text"]
    # a URL is only ever text of the attribution list, never a link or a resource
    rest = html.unescape(re.sub(r'<ul class="reason" id="attribution">.*?</ul>', "", text, flags=re.S))
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
    text = squash(page.by_id("availability-table")["text"])
    assert "NICHE" in text and "Leicestershire MARAC coordinator" in text
    assert "Police recorded crime (data.police.uk)" in text and "police_street_crime" not in text


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
    # every figure of the appendix links to the page explaining it, published in the same version
    figures = re.findall(r'data-area="[^"]+"[^>]*>.*?<a href="(explain/[^"]+)">', path.read_text(encoding="utf-8"))
    assert len(figures) == 14 * 8 and len(set(figures)) == len(figures)
    assert "explain/marac_repeat_rate/E10000018.html" in figures
    for link in figures:
        assert (path.parent / link).is_file(), link
    repeat_rate = (path.parent / "explain/marac_repeat_rate/E10000018.html").read_text(encoding="utf-8")
    assert "28.5%" in repeat_rate and "sha256" in repeat_rate.lower()
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
         "target: 1 on track, 1 amber, 2 red)."),
    ({"on_track": 2, "amber": 0}, "half of the indicators are on track (2 of 4 with a target: 2 on track, 0 amber"),
    ({"on_track": 0}, "none of the indicators is on track (0 of 3 with a target: 0 on track, 1 amber, 2 red)."),
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
# On a phone: the page's own width, and what sticks out of it (a table may scroll inside its box).
OVERFLOW = """(() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')].filter(e => !e.closest('.table-wrap'))
    .filter(e => e.getBoundingClientRect().right > width + 1).map(e => e.tagName + '#' + e.id + '.' + e.className);
  return {width: width, scroll: document.documentElement.scrollWidth, out: out.slice(0, 5)};
})()"""
SCREENSHOTS = Path(__file__).parent.parent / "docs" / "images"


def test_the_report_in_headless_chromium_on_a_phone_and_as_pdf(built, tmp_path):
    """Debian's Chromium opens the page with no console error and no request but the page itself, shows the
    appendix table, fits a 390-pixel phone screen without sideways scrolling, and prints at most eight A4
    pages, each numbered. The pictures in docs/dashboard.md are these screenshots (SAFER_COMMUNITIES_SCREENSHOTS=1 keeps
    them in docs/images)."""
    import os
    import subprocess

    from tests.browser import open_page, png_size

    html = tmp_path / "report.html"
    html.write_text(built[2], encoding="utf-8")
    loaded = open_page(html, expressions={"appendix": APPENDIX_VISIBLE},
                       clips={"first-page": "header", "summary": "#summary",
                              "comparison": "figure.comparison-chart[data-indicator='marac_repeat_rate']",
                              "trend": "figure.trend-chart[data-indicator='marac_referrals']"})
    assert loaded.console_errors == []
    assert loaded.requests == [html.resolve().as_uri()]  # self-contained
    appendix = loaded.values["appendix"]
    assert appendix["display"] == "table" and appendix["visibility"] == "visible"
    assert appendix["width"] > 600 and appendix["height"] > 300
    assert appendix["rows"] >= 14 and appendix["columns"] >= 1 + 8  # indicators x county and seven districts
    width, height = png_size(loaded.screenshot)
    assert width == 1280 and height > 3000  # the whole page
    for name, picture in loaded.shots.items():
        assert png_size(picture)[0] > 300, name
        if os.environ.get("SAFER_COMMUNITIES_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (SCREENSHOTS / f"report-{name}.png").write_bytes(picture)

    phone = open_page(html, width=390, height=844, mobile=True, expressions={"overflow": OVERFLOW})
    overflow = phone.values["overflow"]
    assert overflow["width"] == 390 and overflow["scroll"] <= 390 and overflow["out"] == [], overflow

    pdf = report.write_pdf(html)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", info)
    assert 5 <= len(sizes) <= 8, len(sizes)  # the paper, its dashboard and "About": not a book
    for wide, tall in sizes:  # A4, portrait or landscape: 595 x 842 points
        assert sorted((round(float(wide)), round(float(tall)))) == [595, 842], (wide, tall)
    for number in range(1, len(sizes) + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert f"Page {number} of {len(sizes)}" in text, number
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Page ")]
        # no heading stranded at a page's foot
        assert lines[-1].strip() not in {"Appendix 1: the dashboard, 2015/16 Quarter 1", "About this report",
                                         "4. Recommendations", "Officer to contact"}, (number, lines[-1])


def test_the_browser_check_catches_a_page_that_is_not_self_contained(tmp_path):
    """The same check on a page with an outside image and a console error: both are caught."""
    from tests.browser import open_page

    bad = tmp_path / "bad.html"
    bad.write_text('<p>x</p><img src="http://example.invalid/x.png"><script>console.error("boom")</script>')
    loaded = open_page(bad)
    assert "http://example.invalid/x.png" in loaded.requests
    assert any("boom" in message for message in loaded.console_errors)


def _elements_of(page: Page, chart: dict) -> list[dict]:
    start = page.elements.index(chart)
    return page.elements[start:next(i for i in range(start + 1, len(page.elements))
                                    if page.elements[i]["tag"] in ("figure", "section"))]


def test_comparison_charts_compare_rates_and_percentages_with_the_county_in_their_own_measure(page, published):
    """A chart for each rate or percentage with data and district intervals, the county's line at the county's
    own value in the same unit; none for a count (the county is the districts' sum); a hidden district named
    with its reason, not drawn; each picture titled and described."""
    charts = [e for e in page.elements if e["tag"] == "figure" and "comparison-chart" in e["attrs"].get("class", "")]
    county = _county(published)
    expected = [r["indicator_id"] for r in sorted(county.values(), key=lambda r: r["sort_order"])
                if r["status"] in WITH_DATA and r["value"] is not None and r["unit"] != "count"
                and any(d["interval_lower"] is not None for d in published
                        if d["indicator_id"] == r["indicator_id"] and d["area_type"] == "district")]
    assert [c["attrs"]["data-indicator"] for c in charts] == expected == [
        "iom_offending_reduction", "marac_referrals", "marac_repeat_rate"]
    for chart in charts:
        row = county[chart["attrs"]["data-indicator"]]
        inside = _elements_of(page, chart)
        line = next(e for e in inside if e["attrs"].get("class") == "county-line")
        assert float(line["attrs"]["data-value"]) == pytest.approx(row["value"])
        assert chart["attrs"]["data-unit"] == row["unit"] != "count"
        drawn = {e["attrs"]["data-area"]: float(e["attrs"]["data-value"]) for e in inside
                 if e["tag"] == "circle"}
        assert drawn == {d["area_name"]: d["value"] for d in published if d["indicator_id"] == row["indicator_id"]
                         and d["area_type"] == "district" and d["value"] is not None}
        svg = next(e for e in inside if e["tag"] == "svg")
        assert {"title", "desc"} <= {e["tag"] for e in inside}
        assert svg["attrs"]["aria-labelledby"].split() == [f"cmp-{row['indicator_id']}-title",
                                                           f"cmp-{row['indicator_id']}-desc"]
    repeats = squash(next(c for c in charts if c["attrs"]["data-indicator"] == "marac_repeat_rate")["text"])
    hidden = [r for r in published if r["indicator_id"] == "marac_repeat_rate" and r["suppressed"]]
    assert hidden and all(f"{r['area_name']} ({report.hidden_because(r)})" in repeats for r in hidden)
    assert "it concerns fewer than 5 people" in repeats


def test_axis_ticks_are_round():
    assert report.nice_ticks(0, 3.93) == [0, 1, 2, 3, 4]
    assert report.nice_ticks(13.1, 58.7) == [0, 20, 40, 60]
    assert report.nice_ticks(0, 0.57, 2) == [0, 0.5, 1.0]
    for low, high in ((0.0, 1.0), (2.4, 97.3), (-12.0, 88.8), (0.0, 672.0), (1.95, 2.31)):
        ticks = report.nice_ticks(low, high)
        step = ticks[1] - ticks[0]
        assert ticks[0] <= low and ticks[-1] >= high
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert round(mantissa, 6) in (1, 2, 2.5, 5), (low, high, ticks)


@pytest.fixture(scope="module")
def monthly(built) -> list[dict]:
    return built[0].query("SELECT * FROM mart.dashboard_monthly_published WHERE quarter_label = :q", {"q": SEED})


def test_six_month_trend_charts_are_small_multiples_of_the_published_monthly_series(page, monthly, published):
    """A chart per monthly indicator with data this quarter, January to June 2015: a panel per area, the county
    first; every drawn point a published value; a hidden month named and not drawn; for a rate, the county's line
    drawn for reference in each district's panel; a month without data a grey band, never a zero."""
    charts = [e for e in page.elements if e["tag"] == "figure" and e["attrs"].get("class") == "trend-chart"]
    county = _county(published)
    monthly_ids = [i.id for p in load_catalogue().priorities for i in p.indicators if i.grain == "month"
                   and county[i.id]["status"] in WITH_DATA]
    assert [c["attrs"]["data-indicator"] for c in charts] == monthly_ids == [
        "marac_referrals", "marac_repeat_rate", "domestic_abuse_support_referrals"]
    for chart in charts:
        indicator = chart["attrs"]["data-indicator"]
        series = [r for r in monthly if r["indicator_id"] == indicator]
        inside = _elements_of(page, chart)
        drawn = {(e["attrs"]["data-area"], e["attrs"]["data-month"]): float(e["attrs"]["data-value"])
                 for e in inside if e["tag"] == "circle"}
        shown = {(r["area_name"], f"{r['month_start']:%Y-%m}"): r["value"] for r in series
                 if r["value"] is not None and r["status"] in WITH_DATA}
        assert drawn == shown
        lines = [e["attrs"]["data-area"] for e in inside if e["tag"] == "polyline" and e["attrs"]["class"] == "series"]
        assert lines[0] == "Leicestershire" and len(set(lines)) == len(lines)  # the county first, one line each
        references = {e["attrs"]["data-area"] for e in inside if e["attrs"].get("class") == "reference"}
        assert references == ({"Leicestershire"} if county[indicator]["unit"] != "count" else set())
        text = squash(chart["text"])
        assert "January 2015 to June 2015" in text and "Leicestershire first, then each district" in text
        for row in series:  # named under what it is: a small number, or withheld to protect one
            if row["suppressed"] and row["status"] in WITH_DATA:
                heading = f"Months not drawn, {report.hidden_because(row)}:"
                named = text.split(heading)[1].split("Months not drawn")[0]
                assert f"{row['area_name']} (" in named and f"{row['month_start']:%b}" in named
        assert {"title", "desc"} <= {e["tag"] for e in inside}
    marac = [r for r in monthly if r["indicator_id"] == "marac_referrals"]
    assert any(r["suppressed"] for r in marac), "the demo hides some district months of MARAC referrals"


def test_a_month_without_data_is_a_grey_band_never_a_zero(built):
    """The police's January to June 2015 drawn alone: the NICHE months are grey bands with no point."""
    from safer_communities.publish.report import trend_chart

    rows, monthly, *_ = report._inputs(built[0], SEED)
    series = [r for r in monthly if r["indicator_id"] == "vehicle_crime"]
    county = next(r for r in rows if r["indicator_id"] == "vehicle_crime" and r["area_type"] == "county")
    chart = Page(trend_chart(series, county)["svg"])
    bands = {e["attrs"]["data-month"] for e in chart.elements if e["tag"] == "rect"}
    assert bands == {"2015-04", "2015-05", "2015-06"}
    months = {e["attrs"]["data-month"] for e in chart.elements if e["tag"] == "circle"}
    assert months == {"2015-01", "2015-02", "2015-03"}


def test_the_report_says_whether_the_dashboard_is_ready_by_its_reporting_date(page):
    """2015/16 Q1 as at 17 September 2015, its reporting date: complete, with what it needs and why."""
    ready = page.by_id("readiness")
    assert ready["attrs"]["data-state"] == "complete"
    assert "had arrived, or was not yet due, by 17 September 2015" in squash(ready["text"])
    assert "6 were delivered" in squash(page.by_id("about")["text"])  # IOM, entrants, MARAC, DA's three months
    table = page.elements.index(page.by_id("readiness-table"))
    outcomes = {(e["attrs"]["data-source"], e["attrs"]["data-period"]): e["attrs"]["data-outcome"]
                for e in page.elements[table:] if e["tag"] == "tr" and "data-outcome" in e["attrs"]}
    assert outcomes == {
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
    assert "not complete by its reporting date 17 September 2015: 1 source period missing" in squash(
        late.by_id("readiness")["text"])
    missing = [e for e in late.elements if e["attrs"].get("data-outcome") == "missing"]
    assert [(e["attrs"]["data-source"], e["attrs"]["data-period"]) for e in missing] == [
        ("marac_referrals", "2015/16 Q1")]
