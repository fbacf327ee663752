"""Data-quality pages (``safer_communities.publish.quality_docs`` and ``safer-communities quality``), on both
engines."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from safer_communities import cli
from safer_communities.publish import quality_docs
from safer_communities.sources import ingest
from tests.conftest import drop_police
from tests.test_glance import AS_OF, _garbage


class _Page(HTMLParser):
    """The page's text per rule row and per quarantine line, and every URL it refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: dict[str, dict] = {}
        self.quarantined_lines: list[int] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self._rule: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.urls += [value for name, value in attrs.items() if name in ("src", "href") and value]
        if tag == "tr" and (attrs.get("id") or "").startswith("rule-"):
            self._rule = self.rules[attrs["id"].removeprefix("rule-")] = {"outcome": attrs["data-outcome"], "text": ""}
        if tag == "td" and "data-line" in attrs:
            self.quarantined_lines.append(int(attrs["data-line"]))

    def handle_endtag(self, tag):
        if tag == "tr":
            self._rule = None

    def handle_data(self, data):
        if self._rule is not None:
            self._rule["text"] += data


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_the_page_shows_rules_quarantine_and_files_but_no_row_content(home, warehouse, monkeypatch, capsys):
    drop_police(home, "2020-01", _garbage())
    for month in ("2020-01", "2020-02"):
        ingest.ingest("police_street_crime", month, as_of=AS_OF, run_id="run-1", warehouse=warehouse)
    html = quality_docs.render(warehouse, "police_street_crime", "2020-01")
    page = _parse(html)

    failed = {name: rule for name, rule in page.rules.items() if rule["outcome"] != "passed"}
    assert set(failed) == {"crime_type_known", "parse_field_count"}
    assert all(rule["outcome"] == "failed" and "\u2716failed" in rule["text"] for rule in failed.values())
    assert "11" in failed["parse_field_count"]["text"] and "12" in failed["crime_type_known"]["text"]
    assert "1 rows fail: line 12" in failed["crime_type_known"]["text"]
    passed = {name for name, rule in page.rules.items() if rule["outcome"] == "passed"}
    assert {"header_exact", "has_rows", "crime_type_present", "location_present", "parse_utf8"} <= passed
    assert all("\u2714passed" in page.rules[name]["text"] for name in passed)
    assert "police_street.v1" in html
    assert page.quarantined_lines == [11, 12]
    assert "2 rows of the file held back" in html
    assert "oops" not in html and "html&gt;," not in html and "<html>," not in html  # the raw record of line 11
    assert "Harrow Close" not in html  # nor that of line 12
    pulled = warehouse.query("SELECT sha256, landing_path FROM audit.pulled_file WHERE period = '2020-01'")[0]
    assert pulled["sha256"] in html and pulled["landing_path"] in html
    assert "no_location_share" in html and "Loaded 18 rows (2 rows quarantined)." in html
    assert "script" not in page.tags and not [url for url in page.urls if url.startswith(("http:", "https:", "//"))]

    late = quality_docs.render(warehouse, "police_street_crime", "2020-02")
    assert ">awaited<" in late and "Not yet due: expected by 2020-04-29" in late
    assert "No file was pulled" in late and not _parse(late).rules

    # the command writes the page under $SAFER_COMMUNITIES_HOME/quality/ and prints its path
    monkeypatch.setenv("AIRFLOW_CONN_SAFER_COMMUNITIES_WAREHOUSE",
                       json.dumps({"conn_type": "generic", "extra": {"sqlalchemy_url": warehouse.url}}))
    cli.main(["quality", "police_street_crime", "2020-01"])
    path = home / "var" / "quality" / "police_street_crime" / "2020-01.html"
    assert capsys.readouterr().out.strip() == str(path) and path.read_text(encoding="utf-8") == html
    cli.main(["quality", "police_street_crime", "2020-02", "--out", str(home / "docs")])
    assert (home / "docs" / "2020-02.html").exists()
    with pytest.raises(SystemExit, match="no status recorded for police_street_crime 2020-03"):
        cli.main(["quality", "police_street_crime", "2020-03"])


@pytest.mark.parametrize(("source", "period", "message"), [
    ("no_such_source", "2020-01", "unknown source 'no_such_source'"),
    ("police_street_crime", "January", "is not a month like"),
])
def test_the_command_explains_an_unknown_source_or_period(home, source, period, message):
    with pytest.raises(SystemExit, match=message):
        cli.main(["quality", source, period])
    assert not (home / "var" / "quality").exists()


def test_the_page_path_uses_the_period_slug(home):
    assert quality_docs.page_path("marac_referrals", "2019/20 Q4") == \
        home / "var" / "quality" / "marac_referrals" / "2019-20-Q4.html"
    assert quality_docs.page_path("x", "2015/16", home / "out") == home / "out" / "2015-16.html"
