"""Loading records (both layouts, bad data), PostgreSQL intervals, the sample generator."""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qrunner.engine.tekton.summary import (
    format_interval,
    generate_tekton_sample,
    load_tekton_records,
    parse_interval,
    summarize,
)
from qrunner.errors import DataError

RUN = {"metadata": {"namespace": "ns"}, "status": {"conditions": [{"reason": "Failed"}]}}


def b64(value: object) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_loads_json_lines_layout(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    line = {"name": "ns/results/r1/records/a", "type": "tekton.dev/v1.PipelineRun", "data": RUN}
    (tmp_path / "sub" / "runs.jsonl").write_text(json.dumps(line) + "\n\n")
    records, warnings = load_tekton_records(tmp_path)
    assert warnings == []
    [rec] = records
    assert (rec.namespace, rec.result_name, rec.short_name) == ("ns", "r1", "a")
    assert rec.data_type == "tekton.dev/v1.PipelineRun" and rec.data == RUN and rec.line == 1


def test_type_is_derived_from_api_version_and_kind(tmp_path: Path) -> None:
    data = {"apiVersion": "tekton.dev/v1", "kind": "TaskRun"}
    (tmp_path / "a.jsonl").write_text(json.dumps({"name": "n/results/r/records/x", "data": data}))
    records, _ = load_tekton_records(tmp_path)
    assert records[0].data_type == "tekton.dev/v1.TaskRun"


def test_loads_list_records_pages(tmp_path: Path) -> None:
    page = {
        "records": [
            {
                "name": "ns/results/r1/records/a",
                "data": {"type": "tekton.dev/v1.TaskRun", "value": b64(RUN)},
            },
        ],
        "nextPageToken": "abc",
    }
    (tmp_path / "page1.json").write_text(json.dumps(page, indent=2))
    (tmp_path / "pages.jsonl").write_text(
        json.dumps(
            {
                "records": [
                    {"name": "ns/results/r2/records/b", "data": {"type": "t", "value": b64(RUN)}}
                ]
            }
        )
    )
    records, warnings = load_tekton_records(tmp_path)
    assert warnings == []
    assert [(r.short_name, r.data_type) for r in records] == [
        ("a", "tekton.dev/v1.TaskRun"),
        ("b", "t"),
    ]
    assert summarize(records, {"parent": "-/results/-", "summary": "failed"}) == {
        "summary": [{"failed": 2}]
    }


def test_bad_data_is_skipped_with_warnings_naming_file_and_line(tmp_path: Path) -> None:
    good = {"name": "ns/results/r/records/ok", "type": "t", "data": RUN}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"name": "ns/results/r/records/x", "type": "t", "data": [1]}),
        json.dumps({"type": "t", "data": RUN}),
        json.dumps({"name": "bad-name", "type": "t", "data": RUN}),
        json.dumps(
            {"records": [{"name": "ns/results/r/records/y", "data": {"type": "t", "value": "!!!"}}]}
        ),
        json.dumps(good),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines))
    (tmp_path / "broken.json").write_text('{\n  "records": [\n')
    records, warnings = load_tekton_records(tmp_path)
    assert [r.short_name for r in records] == ["ok"]
    where = [(Path(w.path).name, w.line) for w in warnings]
    assert where == [
        ("bad.jsonl", 2),
        ("bad.jsonl", 3),
        ("bad.jsonl", 4),
        ("bad.jsonl", 5),
        ("bad.jsonl", 6),
        ("bad.jsonl", 7),
        ("broken.json", 3),
    ]
    assert "malformed JSON" in warnings[0].message
    assert "not a JSON object" in warnings[1].message
    assert "missing name" in warnings[2].message
    assert "records[0]" in warnings[4].message and "base64" in warnings[4].message
    assert "duplicate" in warnings[5].message


def test_missing_directory_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError):
        load_tekton_records(tmp_path / "nope")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "00:00:00"),
        (1, "00:00:01"),
        (1.5, "00:00:01.5"),
        (58800.333333, "16:20:00.333333"),
        (86400, "1 day"),
        (90000, "1 day 01:00:00"),
        (2 * 86400 + 7525, "2 days 02:05:25"),
        (-5, "-00:00:05"),
        (-90000, "-1 days -01:00:00"),
    ],
)
def test_interval_text_round_trips(seconds: float, text: str) -> None:
    assert format_interval(seconds) == text
    assert parse_interval(text) == pytest.approx(seconds)


def test_parse_interval_reads_unnormalised_sums() -> None:
    assert parse_interval("40:00:00") == 144000
    assert parse_interval("1 day 24:00:00") == 172800
    assert parse_interval("1 mon 1 year") == pytest.approx(30 * 86400 + 365.25 * 86400)
    with pytest.raises(ValueError, match="not a PostgreSQL interval"):
        parse_interval("1h")


def test_sample_is_deterministic_for_a_seed() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    first = generate_tekton_sample(random.Random(7), start, 3)
    assert first == generate_tekton_sample(random.Random(7), start, 3)
    assert first != generate_tekton_sample(random.Random(8), start, 3)


def test_sample_covers_every_reason_and_record_type(tmp_path: Path) -> None:
    sample = generate_tekton_sample(random.Random(1), datetime(2024, 1, 1, tzinfo=UTC), 2)
    reasons = Counter(
        (r["data"]["status"].get("conditions") or [{}])[0].get("reason")
        for r in sample
        if r["type"].startswith("tekton.dev/")
    )
    for reason in (
        "Succeeded",
        "Completed",
        "Failed",
        "Cancelled",
        "Running",
        "PipelineRunTimeout",
        "TaskRunCancelled",
        None,
    ):
        assert reasons[reason], reason
    types = {r["type"] for r in sample}
    assert {
        "tekton.dev/v1.PipelineRun",
        "tekton.dev/v1.TaskRun",
        "results.tekton.dev/v1alpha3.Log",
    } <= types
    assert len({r["name"].split("/")[0] for r in sample}) == 3
    (tmp_path / "s.jsonl").write_text("\n".join(json.dumps(r) for r in sample))
    records, warnings = load_tekton_records(tmp_path)
    assert warnings == [] and len(records) == len(sample)
