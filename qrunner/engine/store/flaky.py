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

from qrunner.engine.store.columns import quote_ident

FLAKY_COLUMN = "test.is_flaky"
_KEY = ("test.suite", "test.name", "test.status", "git.commit.sha")


def derive_flakiness(con: Any, table: str) -> None:
    """Set ``test.is_flaky`` on the executions of flaky tests in ``table`` (in place)."""
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall())
    if not all(column in types for column in _KEY):
        return
    service = " , ".join(quote_ident(c) for c in ("test.service", "service") if c in types)
    service_sql = f"COALESCE({service})" if service else "NULL"
    status = f"CAST({quote_ident('test.status')} AS VARCHAR)"
    sha = quote_ident("git.commit.sha")
    level = "test_level = 'test'" if "test_level" in types else "true"
    window = (
        f"PARTITION BY {service_sql}, {quote_ident('test.suite')}, {quote_ident('test.name')}, "
        f"{sha}, {level}"
    )
    flaky = (
        f"({sha} IS NOT NULL AND {level} "
        f"AND bool_or({status} = 'pass') OVER ({window}) "
        f"AND bool_or({status} = 'fail') OVER ({window}))"
    )
    column = quote_ident(FLAKY_COLUMN)
    existing = types.get(FLAKY_COLUMN)
    if existing is None:
        value = f"CASE WHEN {flaky} THEN true END AS {column}"
        select = f"SELECT *, {value} FROM {table}"
    else:
        truth = "true" if existing == "BOOLEAN" else "'true'"
        kept = column if existing in ("BOOLEAN", "VARCHAR") else f"CAST({column} AS VARCHAR)"
        value = f"CASE WHEN {flaky} THEN {truth} ELSE {kept} END AS {column}"
        select = f"SELECT * REPLACE ({value}) FROM {table}"
    con.execute(f"CREATE TABLE {table}__flaky AS {select}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {table}__flaky RENAME TO {table}")
