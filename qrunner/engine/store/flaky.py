"""``@test.is_flaky`` derived over a whole loaded ``ci_tests`` table.

The rule (Datadog's, and every flaky-test tool's): a test — (service, suite, name), the service
being ``@test.service`` else ``service`` — is flaky on a commit (``@git.commit.sha``) when it both
passed and failed on that commit, in any file of the data folder and at any time. Every
``test_level: test`` execution of that test on that commit gets ``test.is_flaky = true``, the
passing and the failing ones alike. A query window therefore counts the flaky executions that
fall inside it even when the evidence (the other outcome) lies outside it. Events that already
say ``test.is_flaky`` (the JUnit loader's within-report retries, exported data) keep their value
unless the rule makes them true; events without a commit are never derived flaky.
"""

from __future__ import annotations

from typing import Any

from qrunner.engine.store.columns import FILE_COLUMN, quote_ident, quote_literal

FLAKY_COLUMN = "test.is_flaky"
_KEY = ("test.suite", "test.name", "test.status", "git.commit.sha")


def derive_flakiness(con: Any, table: str, *, files: list[str] | None = None) -> None:
    """Set ``test.is_flaky`` on the executions of flaky tests in ``table`` (in place).

    With ``files`` (just appended), only commits those files' events are on are looked at:
    evidence only ever grows, so what other commits were found stays true."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
    if not all(column in types for column in _KEY):
        return
    column = quote_ident(FLAKY_COLUMN)
    existing = types.get(FLAKY_COLUMN)
    if existing is None:
        con.execute(f"ALTER TABLE {table} ADD COLUMN {column} BOOLEAN")
    elif existing not in ("BOOLEAN", "VARCHAR"):
        con.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR")
    truth = "true" if existing in (None, "BOOLEAN") else "'true'"
    service = ", ".join(f"t.{quote_ident(c)}" for c in ("test.service", "service") if c in types)
    service_sql = f"COALESCE({service})" if service else "NULL"
    suite, name, sha = (
        f"t.{quote_ident(c)}" for c in ("test.suite", "test.name", "git.commit.sha")
    )
    status = f"CAST(t.{quote_ident('test.status')} AS VARCHAR)"
    level = "t.test_level = 'test'" if "test_level" in types else "true"
    scope = ""
    if files is not None:
        listed = ", ".join(quote_literal(f) for f in files) or "NULL"
        scope = (
            f"AND {sha} IN (SELECT t.{quote_ident('git.commit.sha')} FROM {table} t "
            f"WHERE t.{quote_ident(FILE_COLUMN)} IN ({listed}))"
        )
    con.execute(
        f"""UPDATE {table} t SET {column} = {truth}
        FROM (SELECT {service_sql} AS k_service, {suite} AS k_suite, {name} AS k_name,
                     {sha} AS k_sha
              FROM {table} t WHERE {level} AND {sha} IS NOT NULL {scope}
              GROUP BY ALL
              HAVING bool_or({status} = 'pass') AND bool_or({status} = 'fail')) AS f
        WHERE {level} AND {sha} = f.k_sha AND {service_sql} IS NOT DISTINCT FROM f.k_service
          AND {suite} IS NOT DISTINCT FROM f.k_suite AND {name} IS NOT DISTINCT FROM f.k_name"""
    )
