"""Least-privilege roles on PostgreSQL: each role can do its job and is refused the rest, on real connections."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from safer_communities.periods import Quarter
from safer_communities.warehouse import roles


def as_role(warehouse, role: str, sql: str) -> str:
    """Run ``sql`` as ``role`` (SET ROLE drops the connecting superuser's rights): 'ok' or 'denied'."""
    with warehouse.engine.connect() as connection:
        connection.execute(text(f"SET ROLE {role}"))
        try:
            connection.execute(text(sql))
        except ProgrammingError as error:
            assert "permission denied" in str(error.orig), error
            return "denied"
        finally:
            connection.rollback()
    return "ok"


def test_each_role_reads_and_writes_what_it_must_and_nothing_else(make_warehouse, home):
    from safer_communities import dashboard

    warehouse = make_warehouse("postgres")
    dashboard.compute(warehouse, Quarter.parse("2015/16 Q1"), run_id="t", export_dir=home / "exports")
    configured = roles.load_roles()
    loader, analyst, reporter = configured.loader, configured.analyst, configured.reporter
    checks = {
        "SELECT * FROM mart.dashboard_published": ("ok", "ok", "ok"),
        "SELECT * FROM mart.dashboard_monthly_published": ("ok", "ok", "ok"),
        "SELECT * FROM mart.dashboard_summary": ("ok", "ok", "ok"),
        "SELECT * FROM mart.dashboard_quarterly": ("ok", "ok", "denied"),  # true values, small numbers in
        "SELECT * FROM core.fact_marac_referral": ("ok", "ok", "denied"),
        "SELECT raw_record FROM audit.quarantine": ("ok", "denied", "denied"),
        "SELECT * FROM audit.source_status": ("ok", "denied", "denied"),
        "SELECT * FROM staging.police_street": ("ok", "denied", "denied"),
        "DELETE FROM core.fact_police_crime": ("ok", "denied", "denied"),
        "INSERT INTO audit.delivery_notice VALUES ('s', 'p', 'r', 'n', now())": ("ok", "denied", "denied"),
        "UPDATE mart.dashboard_summary SET note = 'x'": ("ok", "denied", "denied"),
    }
    found = {sql: tuple(as_role(warehouse, role, sql) for role in (loader, analyst, reporter)) for sql in checks}
    assert found == checks
    # a second migration (a new version) keeps the roles and their grants; they log in only through a member
    warehouse.migrate()
    assert as_role(warehouse, reporter, "SELECT * FROM mart.dashboard_quarterly") == "denied"
    assert as_role(warehouse, reporter, "SELECT * FROM mart.dashboard_published") == "ok"
    logins = warehouse.query("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN (:a, :b, :c)",
                             {"a": loader, "b": analyst, "c": reporter})
    assert {(r["rolname"], r["rolcanlogin"]) for r in logins} == {(loader, False), (analyst, False),
                                                                 (reporter, False)}
    member = warehouse.query(roles.MEMBER_SQL, {"role": loader})
    assert len(member) == 1  # the pipeline's connection user loads through the loader role, granted


def test_role_names_come_from_the_configuration_and_are_checked(tmp_path, monkeypatch):
    assert roles.load_roles() == roles.Roles(loader="sc_loader", analyst="sc_analyst", reporter="sc_reporter")
    bad = tmp_path / "roles.yaml"
    bad.write_text(yaml.safe_dump({"loader": "sc_loader; DROP TABLE x", "analyst": "a", "reporter": "r"}))
    monkeypatch.setattr(roles, "ROLES_PATH", bad)
    with pytest.raises(roles.RolesError, match="loader"):
        roles.load_roles()
