"""Tekton summary parameters: what the server trims, and which error it names first (API-FACTS)."""

from __future__ import annotations

import pytest

from tests.engine.tekton.test_tekton_facts import RECORDS, ask, rejected


@pytest.mark.parametrize("padded", [" day ", "day ", "\tday\n", " day startTime ", "  namespace"])
def test_whole_group_by_values_are_trimmed(padded: str) -> None:
    assert ask(RECORDS, summary="total", group_by=padded) == ask(
        RECORDS, summary="total", group_by=padded.strip()
    )


def test_spaces_inside_group_by_are_not_trimmed() -> None:
    message = rejected(RECORDS, summary="total", group_by="day  startTime")
    assert message.startswith("group_by does not recognize")


@pytest.mark.parametrize("padded", [" total desc ", "total desc\n", "  failed ASC"])
def test_whole_order_by_values_are_trimmed(padded: str) -> None:
    params = {"summary": "total,failed", "group_by": "namespace"}
    assert ask(RECORDS, **params, order_by=padded) == ask(
        RECORDS, **params, order_by=padded.strip()
    )


def test_spaces_inside_order_by_are_not_trimmed() -> None:
    message = rejected(RECORDS, summary="total", group_by="namespace", order_by="total  desc")
    assert message == "order_by does not recognize total  desc"


@pytest.mark.parametrize("summary", [" total", "total ", "total, failed"])
def test_spaces_around_summary_items_are_not_trimmed(summary: str) -> None:
    assert rejected(RECORDS, summary=summary).startswith("invalid aggregate query: ")


@pytest.mark.parametrize(
    "other", [{"group_by": "fortnight"}, {"group_by": "day", "order_by": "nonsense"}]
)
def test_when_summary_and_another_parameter_are_wrong_the_400_names_the_summary(
    other: dict[str, str],
) -> None:
    assert rejected(RECORDS, summary="totals", **other) == "invalid aggregate query: totals"
