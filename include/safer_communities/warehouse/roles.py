"""Least-privilege PostgreSQL roles for the warehouse (``include/config/roles.yaml``), made by ``migrate``.

Every grant is given again on each migration, so tables and views a new version adds are covered. Roles
are the cluster's, shared by every database on the server; the grants are this database's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from safer_communities.config_files import Strict, load_model
from safer_communities.settings import CONFIG_DIR

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

ROLES_PATH = CONFIG_DIR / "roles.yaml"
NAME = r"^[a-z_][a-z0-9_]{0,62}$"
# The current user is a member of the role by a grant (pg_has_role would say yes to any superuser).
MEMBER_SQL = ("SELECT 1 FROM pg_auth_members AS m JOIN pg_roles AS r ON r.oid = m.roleid "
              "JOIN pg_roles AS u ON u.oid = m.member WHERE r.rolname = :role AND u.rolname = current_user")
PUBLISHED = ("mart.dashboard_published", "mart.dashboard_monthly_published", "mart.dashboard_summary")


class RolesError(ValueError):
    """The roles configuration is unreadable or breaks its schema."""


class Roles(Strict):
    loader: str = Field("sc_loader", pattern=NAME)
    analyst: str = Field("sc_analyst", pattern=NAME)
    reporter: str = Field("sc_reporter", pattern=NAME)


def load_roles() -> Roles:
    return load_model(ROLES_PATH, Roles, RolesError, "the roles configuration")


def grants(roles: Roles) -> list[str]:
    """The statements that give each role exactly its access (after revoking what the schemas give PUBLIC)."""
    statements = [f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC" for schema in ("staging", "core", "mart", "audit")]
    for schema in ("staging", "core", "mart", "audit"):
        statements += [f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {roles.loader}",
                       f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA {schema} "
                       f"TO {roles.loader}"]
    for schema in ("core", "mart"):
        statements += [f"GRANT USAGE ON SCHEMA {schema} TO {roles.analyst}",
                       f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {roles.analyst}"]
    statements.append(f"GRANT USAGE ON SCHEMA mart TO {roles.reporter}")
    statements += [f"GRANT SELECT ON {view} TO {roles.reporter}" for view in PUBLISHED]
    return statements


def apply(connection: Connection, roles: Roles | None = None) -> Roles:
    """Create the roles that do not exist yet (without login) and grant them their access, on PostgreSQL."""
    from sqlalchemy import text

    roles = roles or load_roles()
    for name in (roles.loader, roles.analyst, roles.reporter):
        if not connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": name}).first():
            connection.execute(text(f"CREATE ROLE {name} NOLOGIN"))
    for statement in grants(roles):
        connection.execute(text(statement))
    user = connection.execute(text("SELECT current_user")).scalar()
    if not connection.execute(text(MEMBER_SQL), {"role": roles.loader}).first():  # (a superuser too: explicit)
        connection.execute(text(f'GRANT {roles.loader} TO "{user}"'))  # the pipeline's own user loads
    return roles
