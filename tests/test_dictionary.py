"""The data dictionary (``safer_communities.warehouse.dictionary``, ``safer-communities dictionary``) and the typed
exports.

The dictionary is generated from the catalogue of a freshly migrated DuckDB file and PostgreSQL database; the
committed ``docs/data-dictionary.md`` must be exactly what is generated, and every table, view and column must
carry a comment. The exports: whole numbers without ``.0`` in the CSV, typed Parquet read by pandas, and a README
naming every column of every file with its meaning.
"""

from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import text

from safer_communities import cli
from safer_communities.warehouse import dictionary
from safer_communities.warehouse.dictionary import Column, DictionaryError, Relation
from tests.conftest import PG_SERVER

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def generated() -> str:
    return dictionary.generate(PG_SERVER)


def test_every_table_view_and_column_is_commented_on_both_engines(warehouse):
    with warehouse.snapshot() as connection:
        relations = dictionary.read(connection)
    assert dictionary.undescribed(relations) == []
    names = {relation.qualified for relation in relations}
    for expected in ("mart.dashboard_published", "mart.dashboard_quarterly", "core.fact_police_crime",
                     "audit.source_status", "staging.police_street", "core.police_crime_district"):
        assert expected in names
    assert sum(len(relation.columns) for relation in relations) > 500  # every schema's columns, views' too


def test_the_committed_dictionary_is_what_the_catalogue_gives(generated):
    committed = dictionary.DICTIONARY_PATH.read_text(encoding="utf-8")
    assert committed == generated, "docs/data-dictionary.md is out of date: run `safer-communities dictionary`"


def test_the_dictionary_says_what_the_dashboard_columns_mean(generated, make_warehouse):
    with make_warehouse("duckdb").snapshot() as connection:
        view = next(r for r in dictionary.read(connection, ("mart",)) if r.name == "dashboard_published")
    section = generated.split("### `mart.dashboard_published` (view)", 1)[1].split("\n### ", 1)[0]
    rows = {m[1]: (m[2], m[3], m[4]) for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$", section,
                                                         re.MULTILINE)}
    assert list(rows) == [column.name for column in view.columns]  # every column of the view, in its order
    duckdb_type, postgres_type, meaning = rows["change"]
    assert (duckdb_type.strip(), postgres_type.strip()) == ("DOUBLE", "double precision")
    assert "point" in meaning.lower()  # a difference in the indicator's own unit: percentage points for a percentage
    assert "relative" in rows["change_percent"][2].lower() or "%" in rows["change_percent"][2]


def test_a_column_without_a_comment_or_a_disagreement_is_named():
    commented = Relation("mart", "t", "table", "a table", (Column("a", "INTEGER", "the a"),))
    bare = Relation("mart", "t", "table", "a table", (Column("a", "INTEGER", None),))
    other = Relation("mart", "t", "table", "a table", (Column("a", "integer", "another a"),))
    assert dictionary.undescribed([bare]) == ["mart.t.a"]
    with pytest.raises(DictionaryError, match=r"no comment on mart\.t\.a \(PostgreSQL\)"):
        dictionary.markdown([commented], [bare])
    with pytest.raises(DictionaryError, match=r"mart\.t has other comments on PostgreSQL"):
        dictionary.markdown([commented], [other])
    with pytest.raises(DictionaryError, match=r"mart\.t is on DuckDB only"):
        dictionary.markdown([commented], [])
    page = dictionary.markdown([commented], [Relation("mart", "t", "table", "a table",
                                                      (Column("a", "integer", "the a"),))])
    assert "| `a` | INTEGER | integer | the a |" in page


def test_a_new_column_without_a_comment_fails_the_dictionary(make_warehouse):
    warehouse = make_warehouse("duckdb")
    with warehouse.begin() as connection:
        connection.execute(text("ALTER TABLE audit.source_status ADD COLUMN reviewer VARCHAR"))
    with warehouse.snapshot() as connection:
        assert dictionary.undescribed(dictionary.read(connection)) == ["audit.source_status.reviewer"]


def test_the_command_checks_and_writes(generated, tmp_path, capsys):
    cli.main(["dictionary", "--check", "--postgres", PG_SERVER])
    assert capsys.readouterr().out.strip().endswith("is up to date")
    stale = tmp_path / "dictionary.md"
    stale.write_text("# an old dictionary\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="is out of date: run `safer-communities dictionary`"):
        cli.main(["dictionary", "--check", "--out", str(stale), "--postgres", PG_SERVER])
    cli.main(["dictionary", "--out", str(stale), "--postgres", PG_SERVER])
    assert stale.read_text(encoding="utf-8") == generated


def test_exports_are_typed_and_carry_their_dictionary(demo_root):
    import pandas as pd

    from safer_communities import dashboard
    from safer_communities.periods import Quarter

    folder = dashboard.latest_export(Quarter.parse("2015/16 Q1"), demo_root / "exports")
    with (folder / "dashboard.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    marac = next(r for r in rows if r["indicator_id"] == "marac_repeat_rate" and r["area_type"] == "county")
    assert (marac["numerator"], marac["denominator"]) == ("35", "123")
    assert float(marac["value"]) == pytest.approx(100 * 35 / 123)  # a percentage keeps its decimals
    counts = [r[c] for r in rows for c in ("numerator", "denominator", "ytd_numerator", "district_rank",
                                           "districts_ranked", "sort_order") if r[c]]
    assert counts and not [c for c in counts if c.endswith(".0")]
    assert any("." in r["value"] for r in rows if r["value"])  # a rate keeps its decimals
    frame = pd.read_parquet(folder / "dashboard.parquet")
    assert len(frame) == len(rows)
    assert str(frame["sort_order"].dtype) == "int32" and str(frame["suppressed"].dtype) == "bool"
    assert str(frame["numerator"].dtype) == "float64"
    by_csv = {(r["indicator_id"], r["area_code"]): r["numerator"] for r in rows}
    for record in frame.itertuples():
        shown = by_csv[(record.indicator_id, record.area_code)]
        assert (shown == "") == pd.isna(record.numerator)
        if shown:
            assert float(shown) == pytest.approx(record.numerator)

    readme = (folder / dashboard.EXPORT_README).read_text(encoding="utf-8")
    for name, view, _ in dashboard.EXPORTS:
        header = next(csv.reader((folder / f"{name}.csv").open(encoding="utf-8")))
        section = readme.split(f"## {name}.csv, {name}.parquet", 1)[1].split("\n## ", 1)[0]
        assert f"`{view}`" in section
        documented = re.findall(r"^\| `(\w+)` \| (\w+) \| (.+) \|$", section, re.MULTILINE)
        assert [column for column, _, _ in documented] == header  # every column, in the file's order
        assert all(meaning.strip() for _, _, meaning in documented)
