"""One test per fact of the "Tekton Results summary API" section of API-FACTS.md.

Expected values are worked out by hand (Unix seconds, PostgreSQL interval text) in comments.
"""

from __future__ import annotations

from typing import Any

import pytest

from qrunner.engine.tekton.summary import Record, TektonQueryError, server_order_by, summarize

PR = "tekton.dev/v1.PipelineRun"
TR = "tekton.dev/v1.TaskRun"


def record(
    rid: str,
    *,
    ns: str = "ns",
    result: str = "r1",
    data_type: str = PR,
    reason: str | None = "Succeeded",
    start: str | None = None,
    end: str | None = None,
    created: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    extra_conditions: list[dict[str, Any]] | None = None,
) -> Record:
    status: dict[str, Any] = {}
    if reason is not None:
        status["conditions"] = [{"type": "Succeeded", "reason": reason}]
    status["conditions"] = status.get("conditions", []) + (extra_conditions or [])
    if start:
        status["startTime"] = start
    if end:
        status["completionTime"] = end
    metadata: dict[str, Any] = {"namespace": ns, "labels": labels or {}}
    if annotations:
        metadata["annotations"] = annotations
    if created:
        metadata["creationTimestamp"] = created
    return Record(
        f"{ns}/results/{result}/records/{rid}",
        ns,
        result,
        rid,
        data_type,
        {"metadata": metadata, "status": status},
        "test",
        1,
    )


def ask(records: list[Record], **params: str) -> dict[str, Any]:
    params.setdefault("parent", "-/results/-")
    return summarize(records, params)


def rejected(records: list[Record], **params: str) -> str:
    with pytest.raises(TektonQueryError) as info:
        ask(records, **params)
    assert info.value.body == {"code": 3, "message": info.value.message}
    return info.value.message


RECORDS = [
    record("a", ns="alpha", result="r1"),
    record("b", ns="alpha", result="r2", reason="Failed"),
    record("c", ns="beta", result="r1", reason="Cancelled"),
]


def test_parent_parts_must_match_the_pattern_and_dash_is_a_wildcard() -> None:
    assert ask(RECORDS, summary="total") == {"summary": [{"total": 3}]}
    assert ask(RECORDS, parent="alpha/results/-", summary="total") == {"summary": [{"total": 2}]}
    assert ask(RECORDS, parent="-/results/r1", summary="total") == {"summary": [{"total": 2}]}
    assert ask(RECORDS, parent="alpha/results/r2", summary="total") == {"summary": [{"total": 1}]}
    message = "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)"
    for bad in ("Alpha/results/-", "a.b/results/-", "alpha/results/" + "x" * 64, "alpha", "-/-"):
        assert rejected(RECORDS, parent=bad, summary="total") == message
    assert rejected(RECORDS, parent="", summary="total") == "parent missing"


def test_summary_is_required_missing_or_empty_is_400() -> None:
    assert rejected(RECORDS) == "invalid aggregate query: "
    assert rejected(RECORDS, summary="") == "invalid aggregate query: "


def test_summary_items_split_on_comma_and_not_trimmed() -> None:
    assert rejected(RECORDS, summary="total, failed") == "invalid aggregate query:  failed"
    assert ask(RECORDS, summary="total,failed") == {"summary": [{"failed": 1, "total": 3}]}


def test_summary_allows_exactly_the_eleven_items() -> None:
    items = (
        "total,succeeded,failed,cancelled,running,others,last_runtime,avg_duration,"
        "min_duration,max_duration,total_duration"
    )
    row = ask(RECORDS, summary=items)["summary"][0]
    assert sorted(row) == sorted(items.split(","))


def test_summary_rejects_group_value_although_documented() -> None:
    assert rejected(RECORDS, summary="total,group_value") == "invalid aggregate query: group_value"


def test_summary_unknown_item_is_named_in_the_400() -> None:
    assert rejected(RECORDS, summary="total,median") == "invalid aggregate query: median"


def test_group_by_accepts_time_units_with_one_optional_time_field_and_the_three_fields() -> None:
    recs = [record("a", start="2024-01-01T00:00:00Z", created="2024-01-01T00:00:00Z")]
    for unit in ("year", "month", "week", "day", "hour", "minute"):
        for suffix in ("", " completionTime", " startTime"):
            assert "summary" in ask(recs, summary="total", group_by=unit + suffix)
    for field in ("namespace", "pipeline", "repository"):
        assert "summary" in ask(recs, summary="total", group_by=field)
    assert (
        rejected(recs, summary="total", group_by="day creationTimestamp")
        == "group_by does not recognize creationTimestamp"
    )
    for bad in ("day  startTime", "pipeline startTime", "status", "Day"):
        assert rejected(recs, summary="total", group_by=bad) == f"group_by does not recognize {bad}"


def test_order_by_is_field_first_and_the_documented_form_is_rejected() -> None:
    params = {"summary": "total", "group_by": "namespace"}
    for good in ("total ASC", "total asc", "total DESC", "total desc"):
        assert "summary" in ask(RECORDS, order_by=good, **params)
    for bad in ("ASC total", "total Asc", "total", "total  ASC"):
        assert rejected(RECORDS, order_by=bad, **params) == f"order_by does not recognize {bad}"
    # qrunner accepts the documented form in specs and sends the server's form.
    assert server_order_by("ASC running") == "running ASC"
    assert server_order_by("desc avg_duration") == "avg_duration desc"
    assert server_order_by("running ASC") == "running ASC"


def test_order_by_field_must_be_a_requested_item_and_not_group_value() -> None:
    params = {"summary": "total", "group_by": "namespace"}
    assert (
        rejected(RECORDS, order_by="failed ASC", **params)
        == "field name failed is not allowed, must be one of summary"
    )
    assert (
        rejected(RECORDS, order_by="group_value ASC", **params)
        == "field name group_value is not allowed, must be one of summary"
    )


def test_order_by_without_group_by_is_silently_ignored() -> None:
    assert ask(RECORDS, summary="total", order_by="nonsense here now") == {
        "summary": [{"total": 3}]
    }


def test_order_by_asc_puts_nulls_last_and_desc_first() -> None:
    recs = [
        record("a", ns="one", start="2024-01-01T00:00:00Z", end="2024-01-01T00:00:10Z"),
        record("b", ns="two"),  # no times: null durations
        record("c", ns="three", start="2024-01-01T00:00:00Z", end="2024-01-01T00:00:05Z"),
    ]
    params = {"summary": "max_duration", "group_by": "namespace"}
    ascending = ask(recs, order_by="max_duration ASC", **params)["summary"]
    assert [r["group_value"] for r in ascending] == ["three", "one", "two"]
    descending = ask(recs, order_by="max_duration DESC", **params)["summary"]
    assert [r["group_value"] for r in descending] == ["two", "one", "three"]


def test_filter_variables_and_data_fields_compare_as_text() -> None:
    recs = [
        record("a", ns="alpha", result="r1", labels={"tekton.dev/pipeline": "build"}),
        record("b", ns="beta", result="r2", data_type=TR),
    ]
    assert ask(recs, summary="total", filter="parent == 'alpha'")["summary"] == [{"total": 1}]
    assert ask(recs, summary="total", filter="result_name == 'r2'")["summary"] == [{"total": 1}]
    assert ask(recs, summary="total", filter="name == 'b'")["summary"] == [{"total": 1}]
    assert ask(recs, summary="total", filter=f"data_type == '{TR}'")["summary"] == [{"total": 1}]
    flt = "data.metadata.labels['tekton.dev/pipeline'] == 'build'"
    assert ask(recs, summary="total", filter=flt)["summary"] == [{"total": 1}]
    flt = "data.status.conditions[0].reason == 'Succeeded'"
    assert ask(recs, summary="total", filter=flt)["summary"] == [{"total": 2}]


def test_filter_field_compared_with_timestamp_is_read_as_timestamp() -> None:
    recs = [
        record("a", start="2024-01-01T10:00:00+02:00"),  # 08:00 UTC
        record("b", start="2024-01-01T09:00:00Z"),
        record("c"),  # no startTime: the comparison is unknown, not an error
    ]
    flt = "data.status.startTime > timestamp('2024-01-01T08:30:00Z')"
    assert ask(recs, summary="total", filter=flt) == {"summary": [{"total": 1}]}
    # As text, "2024-01-01T10:00:00+02:00" > "2024-01-01T08:30:00Z" would have been true.
    assert ask(recs, summary="total", filter="data.status.startTime > '2024-01-01T08:30:00Z'") == {
        "summary": [{"total": 2}]
    }


def test_constants_pipeline_run_and_task_run_match_only_v1_types() -> None:
    recs = [
        record("a"),
        record("b", data_type=TR),
        record("c", data_type="tekton.dev/v1beta1.PipelineRun"),
        record("d", data_type="PIPELINE_RUN"),
    ]
    assert ask(recs, summary="total", filter="data_type == PIPELINE_RUN") == {
        "summary": [{"total": 1}]
    }
    assert ask(recs, summary="total", filter="data_type == TASK_RUN") == {"summary": [{"total": 1}]}
    # In quotes it is only a string (our record "d" has that odd type on purpose).
    assert ask(recs, summary="total", filter="data_type == 'PIPELINE_RUN'") == {
        "summary": [{"total": 1}]
    }
    assert ask(recs[:3], summary="total", filter="data_type == 'PIPELINE_RUN'") == {
        "summary": [{"total": 0}]
    }


def test_without_filter_logs_and_eventlists_are_counted_too() -> None:
    recs = [
        record("a"),
        record("l", data_type="results.tekton.dev/v1alpha3.Log", reason=None),
        record("e", data_type="results.tekton.dev/v1.EventList", reason=None),
    ]
    assert ask(recs, summary="total") == {"summary": [{"total": 3}]}
    assert ask(recs, summary="total", filter="data_type == PIPELINE_RUN") == {
        "summary": [{"total": 1}]
    }


def test_filter_supported_operators_and_functions() -> None:
    recs = [record("build-1", labels={"app": "web"}), record("test-2", reason="Failed")]
    cases = {
        "name != 'build-1'": 1,
        "name < 'c' || name >= 'test'": 2,
        "name <= 'build-1' && !(name > 'build-1')": 1,
        "name in ['build-1', 'x']": 1,
        "name + '!' == 'test-2!'": 1,
        "data.metadata.labels['app'] == 'web'": 1,
        "data.status.conditions[0].reason == 'Failed'": 1,
        "name.startsWith('build')": 1,
        "name.endsWith('-2')": 1,
        "name.contains('st-')": 1,
        "name.matches('^[a-z]+-[0-9]$')": 2,
    }
    for flt, expected in cases.items():
        assert ask(recs, summary="total", filter=flt) == {"summary": [{"total": expected}]}, flt


def test_filter_timestamp_getters_are_zero_based_where_cel_says() -> None:
    # 2024-03-03T12:00:00Z is a Sunday, the 63rd day of a leap year.
    recs = [record("a", start="2024-03-03T12:00:00Z")]
    cases = {
        "data.status.startTime.getDate() == 3": 1,
        "data.status.startTime.getDayOfMonth() == 2": 1,
        "data.status.startTime.getDayOfWeek() == 0": 1,
        "data.status.startTime.getDayOfYear() == 62": 1,
        "data.status.startTime.getFullYear() == 2024": 1,
        "timestamp('2024-03-03T12:00:00Z').getDayOfWeek() == 1": 0,
    }
    for flt, expected in cases.items():
        assert ask(recs, summary="total", filter=flt) == {"summary": [{"total": expected}]}, flt


@pytest.mark.parametrize(
    ("flt", "function", "column"),
    [
        # the "column" is the offset of the call's "(": 10 + 22 + 1 + len(".getHours") = 42
        ("timestamp('2024-01-01T00:00:00Z').getHours() == 1", "getHours", 42),
        ("timestamp('2024-01-01T00:00:00Z').getMinutes() == 1", "getMinutes", 44),
        ("timestamp('2024-01-01T00:00:00Z').getSeconds() == 1", "getSeconds", 44),
        ("size(name) > 0", "size", 4),
        ("duration('1h') == duration('60m')", "duration", 8),
        ("string(1) == '1'", "string", 6),
        ("has(data.status)", "has", 3),
    ],
)
def test_filter_rejects_functions_the_server_cannot_translate(
    flt: str, function: str, column: int
) -> None:
    assert (
        rejected(RECORDS, summary="total", filter=flt)
        == f"unsupported CEL `{function}` function statement at line 1, column {column}"
    )


@pytest.mark.parametrize(
    ("flt", "name"),
    [
        ("create_time > timestamp('2024-01-01T00:00:00Z')", "create_time"),
        ("summary.status == 1", "summary"),
        ("record.x == 'a'", "record"),
        ("total > 1", "total"),
    ],
)
def test_filter_unknown_names_fail_to_compile(flt: str, name: str) -> None:
    message = rejected(RECORDS, summary="total", filter=flt)
    assert message.startswith("error compiling CEL filters: ")
    assert f"undeclared reference to '{name}'" in message


def test_filter_must_be_boolean() -> None:
    assert (
        rejected(RECORDS, summary="total", filter="name")
        == "expected boolean expression, but got string"
    )
    assert (
        rejected(RECORDS, summary="total", filter="1 + 2")
        == "expected boolean expression, but got int"
    )


def test_status_buckets_use_only_the_first_conditions_reason() -> None:
    recs = [
        record("a", reason="Succeeded"),
        record("b", reason="Completed"),
        record("c", reason="Failed", extra_conditions=[{"reason": "Succeeded"}]),
        record("d", reason="Cancelled"),
        record("e", reason="Running"),
        record("f", reason="PipelineRunTimeout"),
        record("g", reason="TaskRunCancelled"),
        record("h", reason=None),  # no reason: total only
    ]
    row = ask(recs, summary="total,succeeded,failed,cancelled,running,others")["summary"][0]
    assert row == {
        "total": 8,
        "succeeded": 2,
        "failed": 1,
        "cancelled": 1,
        "running": 1,
        "others": 2,
    }


@pytest.mark.parametrize(
    ("item", "spans", "expected"),
    [
        ("max_duration", [("00:00:00", "00:00:01")], "00:00:01"),
        ("max_duration", [("00:00:00", "00:00:01.5")], "00:00:01.5"),
        # (16:20:00 + 16:20:00 + 16:20:01) / 3 = 16:20:00.333333
        (
            "avg_duration",
            [("00:00:00", "16:20:00"), ("01:00:00", "17:20:00"), ("02:00:00", "18:20:01")],
            "16:20:00.333333",
        ),
        ("max_duration", [("00:00:00", "+1 00:00:00")], "1 day"),
        ("max_duration", [("00:00:00", "+1 01:00:00")], "1 day 01:00:00"),
        ("max_duration", [("00:00:00", "+2 02:05:25")], "2 days 02:05:25"),
        # 20h + 20h: sums keep hours in the time part
        ("total_duration", [("00:00:00", "20:00:00"), ("01:00:00", "21:00:00")], "40:00:00"),
        # "1 day 12:00:00" + "12:00:00": days and time are added apart
        (
            "total_duration",
            [("00:00:00", "+1 12:00:00"), ("00:00:00", "12:00:00")],
            "1 day 24:00:00",
        ),
        ("min_duration", [("00:00:05", "00:00:00")], "-00:00:05"),
    ],
)
def test_durations_are_postgresql_interval_text(
    item: str, spans: list[tuple[str, str]], expected: str
) -> None:
    def moment(clock: str) -> str:
        days = 0
        if clock.startswith("+"):
            day_text, clock = clock[1:].split(" ")
            days = int(day_text)
        return f"2024-01-{1 + days:02d}T{clock}Z"

    recs = [record(f"r{i}", start=moment(s), end=moment(e)) for i, (s, e) in enumerate(spans)]
    assert ask(recs, summary=item) == {"summary": [{item: expected}]}


def test_durations_are_null_when_no_record_has_both_times() -> None:
    recs = [record("a", start="2024-01-01T00:00:00Z"), record("b", end="2024-01-01T00:00:00Z")]
    items = "avg_duration,min_duration,max_duration,total_duration"
    assert ask(recs, summary=items) == {"summary": [dict.fromkeys(items.split(","))]}


def test_last_runtime_is_the_latest_start_in_unix_seconds() -> None:
    recs = [
        record("a", start="2023-12-06T07:55:12Z", end="2023-12-07T00:00:00Z"),
        record("b", start="2023-12-06T07:55:10.5Z", end="2023-12-09T00:00:00Z"),
    ]
    # 2023-12-06T07:55:12Z = 1701849300 (minute, per the doc's table) + 12
    assert ask(recs, summary="last_runtime") == {"summary": [{"last_runtime": 1701849312}]}
    assert ask(recs[1:], summary="last_runtime") == {"summary": [{"last_runtime": 1701849310.5}]}


def test_time_groups_are_unix_seconds_of_the_utc_bucket_start_weeks_from_monday() -> None:
    # Wednesday 2023-12-06T07:55:12Z. 2023-01-01 = 1672531200; +334 days = Dec 1 = 1701388800;
    # Dec 6 = 1701820800; Monday Dec 4 = 1701648000; 07:00 = 1701846000; 07:55 = 1701849300.
    recs = [record("a", created="2023-12-06T07:55:12Z"), record("n")]  # "n" has no timestamp
    expected = {
        "year": 1672531200,
        "month": 1701388800,
        "week": 1701648000,
        "day": 1701820800,
        "hour": 1701846000,
        "minute": 1701849300,
    }
    for unit, value in expected.items():
        assert ask(recs, summary="total", group_by=unit) == {
            "summary": [{"group_value": value, "total": 1}, {"group_value": None, "total": 1}]
        }, unit


def test_time_groups_can_use_start_or_completion_time() -> None:
    recs = [
        record(
            "a",
            created="2023-12-06T07:55:12Z",
            start="2023-12-07T01:00:00Z",
            end="2023-12-08T01:00:00Z",
        )
    ]
    assert ask(recs, summary="total", group_by="day startTime")["summary"][0]["group_value"] == (
        1701820800 + 86400
    )
    assert ask(recs, summary="total", group_by="day completionTime")["summary"][0][
        "group_value"
    ] == (1701820800 + 2 * 86400)


def test_pipeline_and_repository_groups_are_namespace_slash_value() -> None:
    recs = [
        record(
            "a",
            ns="web",
            labels={"tekton.dev/pipeline": "build"},
            annotations={"pipelinesascode.tekton.dev/repository": "web-app"},
        ),
        record("b", ns="web"),
    ]
    assert ask(recs, summary="total", group_by="pipeline") == {
        "summary": [{"group_value": "web/", "total": 1}, {"group_value": "web/build", "total": 1}]
    }
    assert ask(recs, summary="total", group_by="repository") == {
        "summary": [{"group_value": "web/", "total": 1}, {"group_value": "web/web-app", "total": 1}]
    }
    assert ask(recs, summary="total", group_by="namespace") == {
        "summary": [{"group_value": "web", "total": 2}]
    }


def test_doc_unix_table_is_wrong_and_iso_column_right() -> None:
    # The doc says day 2023-12-06 is 1701782400; 2023-12-06T00:00:00Z really is 1701820800.
    recs = [record("a", created="2023-12-06T07:55:00Z")]
    value = ask(recs, summary="total", group_by="day")["summary"][0]["group_value"]
    documented = 1701782400
    assert value == 1701820800
    assert value != documented


def test_responses_hold_only_requested_keys_plus_group_value() -> None:
    assert ask(RECORDS, summary="failed") == {"summary": [{"failed": 1}]}
    rows = ask(RECORDS, summary="failed", group_by="namespace")["summary"]
    assert rows == [{"failed": 1, "group_value": "alpha"}, {"failed": 0, "group_value": "beta"}]


def test_ungrouped_always_returns_exactly_one_row() -> None:
    items = "total,succeeded,last_runtime,avg_duration"
    assert ask(RECORDS, summary=items, filter="name == 'nothing'") == {
        "summary": [{"total": 0, "succeeded": 0, "last_runtime": None, "avg_duration": None}]
    }
    assert ask([], summary="total") == {"summary": [{"total": 0}]}


def test_grouped_with_no_match_returns_empty_object() -> None:
    assert ask(RECORDS, summary="total", group_by="namespace", filter="name == 'x'") == {}


def test_server_sql_failure_answers_empty_object() -> None:
    recs = [record("a", start="not a time", end="2024-01-01T00:00:00Z")]
    assert ask(recs, summary="avg_duration") == {}
    assert ask(recs, summary="total", filter="data.status.startTime == 5") == {}  # text = int


def test_quote_inside_filter_string_works_locally() -> None:
    recs = [record("it's")]
    assert ask(recs, summary="total", filter='name == "it\'s"') == {"summary": [{"total": 1}]}


def test_errors_carry_code_3_body() -> None:
    with pytest.raises(TektonQueryError) as info:
        ask(RECORDS, summary="nope")
    assert info.value.body == {"code": 3, "message": "invalid aggregate query: nope"}


def test_unknown_query_parameters_are_ignored() -> None:
    assert ask(RECORDS, summary="total", page_size="3") == {"summary": [{"total": 3}]}
