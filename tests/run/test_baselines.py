"""A shift baseline's request: the same request with its window moved back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from qrunner.run.baselines import shifted_request
from qrunner.spec.loader import load_specs
from qrunner.spec.render import Renderer

AT = datetime(2024, 5, 8, 12, tzinfo=UTC)
EPOCH_MS = {
    "2024-04-30T12:00:00": 1714478400000,
    "2024-05-01T00:00:00": 1714521600000,
    "2024-05-01T12:00:00": 1714564800000,
}


def _rendered(tmp_path: Path, body: str) -> tuple[Renderer, object]:
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\nname: s\n" + body)
    [loaded] = load_specs([path]).specs
    renderer = Renderer(at=AT, environ={})
    return renderer, renderer.render(loaded)


def test_date_math_moves_back_and_is_pinned_to_epoch_milliseconds(tmp_path: Path) -> None:
    renderer, rendered = _rendered(
        tmp_path,
        "source: datadog.ci_pipelines\nrequest:\n  compute: [{aggregation: count}]\n"
        "  filter: {from: now-1d, to: now, query: 'ci_level:pipeline'}\n",
    )
    request = shifted_request(rendered, renderer, "7d")  # type: ignore[arg-type]
    assert request["filter"] == {
        "from": str(EPOCH_MS["2024-04-30T12:00:00"]),
        "to": str(EPOCH_MS["2024-05-01T12:00:00"]),
        "query": "ci_level:pipeline",
    }


def test_templates_and_rounding_move_too_in_a_wrapped_spans_request(tmp_path: Path) -> None:
    renderer, rendered = _rendered(
        tmp_path,
        "source: datadog.spans\nrequest:\n  data:\n    type: aggregate_request\n"
        "    attributes:\n      compute: [{aggregation: count}]\n"
        "      filter: {from: \"{{ ago('1d') | iso }}\", to: now/d, query: '*'}\n",
    )
    request = shifted_request(rendered, renderer, "7d")  # type: ignore[arg-type]
    window = request["data"]["attributes"]["filter"]
    assert window["from"] == str(EPOCH_MS["2024-04-30T12:00:00"])
    assert window["to"] == str(EPOCH_MS["2024-05-01T00:00:00"])


def test_a_tekton_filter_moves_with_its_templates(tmp_path: Path) -> None:
    renderer, rendered = _rendered(
        tmp_path,
        "source: tekton.summary\nrequest:\n  summary: total\n"
        "  filter: \"data.status.startTime > timestamp('{{ ago('1d') | iso }}')\"\n",
    )
    request = shifted_request(rendered, renderer, "7d")  # type: ignore[arg-type]
    assert request["filter"] == "data.status.startTime > timestamp('2024-04-30T12:00:00Z')"


def test_a_scheduled_spec_moves_its_tick_and_window(tmp_path: Path) -> None:
    renderer, rendered = _rendered(
        tmp_path,
        "source: datadog.ci_pipelines\nschedule: {cron: '@daily', window: 12h}\n"
        "request:\n  compute: [{aggregation: count}]\n"
        '  filter: {from: "{{ window.start | epoch_ms | string }}",'
        " to: \"{{ window.end | epoch_ms | string }}\", query: '*'}\n",
    )
    request = shifted_request(rendered, renderer, "7d")  # type: ignore[arg-type]
    assert request["filter"]["from"] == str(EPOCH_MS["2024-05-01T00:00:00"] - 12 * 3600_000)
    assert request["filter"]["to"] == str(EPOCH_MS["2024-05-01T00:00:00"])
