"""``qrunner ingest junit``: reports tagged and written to the data folder, then judged."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from qrunner.engine.store.ci_env import read_ci_context

AT = "2024-06-01T12:00:00Z"
SHA = "5e1f0c0ffee"
CI_VARIABLES = (
    "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TEKTON_PIPELINE_RUN", "DD_GIT_COMMIT_SHA",
    "DD_GIT_BRANCH", "DD_GIT_TAG", "DD_GIT_REPOSITORY_URL", "DD_GIT_COMMIT_MESSAGE",
)  # fmt: skip


def report(path: Path, outcome: str, *, stamp: str | None = "2024-06-01T10:00:00Z") -> Path:
    """A report of three cart tests that all pass or all fail."""
    problem = '<failure message="boom" type="AssertionError"/>' if outcome == "fail" else ""
    cases = "".join(
        f'<testcase classname="cart.CartTest" name="{name}" time="0.5">{problem}</testcase>'
        for name in ("adds", "removes", "totals")
    )
    when = f' timestamp="{stamp}"' if stamp else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<testsuite name="cart.CartTest"{when} time="1.5">{cases}</testsuite>')
    return path


def github_env(sha: str = SHA) -> dict[str, str | None]:
    env: dict[str, str | None] = dict.fromkeys(CI_VARIABLES)
    env |= {
        "GITHUB_ACTIONS": "true", "GITHUB_SHA": sha, "GITHUB_REF": "refs/heads/main",
        "GITHUB_REPOSITORY": "acme/cart", "GITHUB_RUN_ID": "42", "GITHUB_WORKFLOW": "ci",
        "GITHUB_HEAD_REF": None,
    }  # fmt: skip
    return env


def ingested(data: Path) -> list[dict[str, Any]]:
    files = sorted((data / "ci_tests").glob("*.jsonl"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def test_two_ingests_of_one_commit_make_a_failing_flakiness_gate(
    run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QRUNNER_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    env = github_env()
    first = run_cli(
        "ingest",
        "junit",
        str(report(tmp_path / "r1" / "TEST-cart.xml", "fail")),
        "--data",
        str(data),
        "--service",
        "cart",
        "--env",
        "ci",
        expect=0,
        env=env,
    )
    assert "3 test executions" in first.stdout
    run_cli(
        "ingest",
        "junit",
        str(report(tmp_path / "r2" / "TEST-cart.xml", "pass")),
        "--data",
        str(data),
        "--service",
        "cart",
        "--tag",
        "team:checkout",
        expect=0,
        env=env,
    )
    written = sorted(p.name for p in (data / "ci_tests").iterdir())
    assert len(written) == 2 and all(n.startswith("ingest-") for n in written)  # no leftovers
    events = ingested(data)
    assert {e["git.commit.sha"] for e in events} == {SHA}
    assert {e["git.branch"] for e in events} == {"main"}
    assert {e["git.repository.id"] for e in events} == {"github.com/acme/cart"}
    assert {e["ci.pipeline.url"] for e in events} == {
        "https://github.com/acme/cart/actions/runs/42"
    }
    assert {e["test.service"] for e in events} == {"cart"}

    spec = Path(__file__).parents[3] / "queries" / "flaky-tests-main.yaml"
    answer = run_cli("query", str(spec), "--data", str(data), "--at", AT, expect=0)
    buckets = json.loads(answer.stdout)["data"]["buckets"]
    assert buckets == [{"by": {"@test.service": "cart"}, "computes": {"c0": 6}}]
    gate = run_cli("run", str(spec), "--data", str(data), "--at", AT, expect=1)
    assert "FAIL" in gate.stdout and "@test.service=cart" in gate.stdout


def test_time_comes_from_the_report_else_the_user_else_the_file(
    run_cli: Any, tmp_path: Path
) -> None:
    untimed = report(tmp_path / "r" / "untimed.xml", "pass", stamp=None)
    os.utime(untimed, (1717236000, 1717236000))  # 2024-06-01T10:00:00Z
    data = tmp_path / "data"
    result = run_cli("ingest", "junit", str(untimed), "--data", str(data), "--no-ci-env", expect=0)
    assert result.stderr.count("modification time") == 1
    assert min(e["timestamp"] for e in ingested(data)) == "2024-06-01T10:00:00.000Z"

    other = tmp_path / "other"
    given = run_cli(
        "ingest",
        "junit",
        str(untimed),
        "--data",
        str(other),
        "--no-ci-env",
        "--time",
        "Sat, 01 Jun 2024 08:00:00 GMT",
        expect=0,
    )
    assert "modification time" not in given.stderr
    assert min(e["timestamp"] for e in ingested(other)) == "2024-06-01T08:00:00.000Z"

    timed = report(tmp_path / "r" / "timed.xml", "pass", stamp="2021-03-07T10:36:56 UTC")
    third = tmp_path / "third"
    run_cli(
        "ingest",
        "junit",
        str(timed),
        "--data",
        str(third),
        "--no-ci-env",
        "--time",
        "2024-06-01T08:00:00Z",
        expect=0,
    )
    assert min(e["timestamp"] for e in ingested(third)) == "2021-03-07T10:36:56.000Z"


def test_bad_input_is_a_one_line_error(run_cli: Any, tmp_path: Path) -> None:
    good = report(tmp_path / "r" / "good.xml", "pass")
    data = str(tmp_path / "data")
    bad_tag = run_cli("ingest", "junit", str(good), "--data", data, "--tag", "nocolon", expect=2)
    assert "--tag: expected KEY:VALUE" in bad_tag.stderr
    bad_time = run_cli("ingest", "junit", str(good), "--data", data, "--time", "soon", expect=2)
    assert "--time: invalid timestamp 'soon'" in bad_time.stderr
    broken = tmp_path / "r" / "broken.xml"
    broken.write_text("<testsuite>\n<testcase name='x'>\n")
    nothing = run_cli("ingest", "junit", str(broken), "--data", data, "--no-ci-env", expect=2)
    assert "nothing written" in nothing.stderr and f"{broken}:3" in nothing.stderr
    assert not (tmp_path / "data" / "ci_tests").exists() or not any(
        (tmp_path / "data" / "ci_tests").iterdir()
    )


def test_report_properties_win_over_tags_and_the_ci_environment(
    run_cli: Any, tmp_path: Path
) -> None:
    path = tmp_path / "r" / "props.xml"
    path.parent.mkdir()
    path.write_text(
        '<testsuite name="s" timestamp="2024-06-01T10:00:00Z"><properties>'
        '<property name="git.branch" value="release"/><property name="test.service" value="own"/>'
        '</properties><testcase name="t" classname="s"/></testsuite>'
    )
    data = tmp_path / "data"
    run_cli(
        "ingest",
        "junit",
        str(tmp_path / "r"),
        "--data",
        str(data),
        "--service",
        "cli",
        "--tag",
        "git.branch:tagged",
        "--tag",
        "team:a:b",
        expect=0,
        env=github_env(),
    )
    (event,) = [e for e in ingested(data) if e["test_level"] == "test"]
    assert (event["git.branch"], event["test.service"], event["team"]) == ("release", "own", "a:b")
    assert event["git.commit.sha"] == SHA


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITLAB_CI": "true", "CI_COMMIT_SHA": "abc", "CI_COMMIT_BRANCH": "dev",
          "CI_REPOSITORY_URL": "https://gitlab-ci-token:s3cr3t@gitlab.com/acme/api.git",
          "CI_PIPELINE_ID": "7", "CI_JOB_NAME": "unit"},
         {"ci.provider.name": "gitlab", "git.commit.sha": "abc", "git.branch": "dev",
          "git.repository_url": "https://gitlab.com/acme/api.git",
          "git.repository.id": "gitlab.com/acme/api", "ci.pipeline.id": "7",
          "ci.job.name": "unit"}),
        ({"JENKINS_URL": "https://ci", "GIT_COMMIT": "def", "GIT_BRANCH": "origin/main",
          "GIT_URL": "git@github.com:acme/web.git", "BUILD_NUMBER": "12", "JOB_NAME": "web"},
         {"ci.provider.name": "jenkins", "git.commit.sha": "def", "git.branch": "main",
          "git.repository_url": "git@github.com:acme/web.git",
          "git.repository.id": "github.com/acme/web", "ci.pipeline.number": "12",
          "ci.pipeline.name": "web"}),
        ({"TEKTON_PIPELINE_RUN": "build-x7", "TEKTON_PIPELINE": "build", "GIT_COMMIT": "0f",
          "GIT_BRANCH": "refs/tags/v1.2", "GIT_URL": "https://user:pw@example.com/a/b"},
         {"ci.provider.name": "tekton", "ci.pipeline.id": "build-x7", "ci.pipeline.name": "build",
          "git.commit.sha": "0f", "git.tag": "v1.2", "git.repository_url": "https://example.com/a/b",
          "git.repository.id": "example.com/a/b"}),
        ({"GITHUB_ACTIONS": "true", "GITHUB_SHA": "1a", "GITHUB_REF": "refs/pull/3/merge",
          "GITHUB_HEAD_REF": "feature/x", "DD_GIT_COMMIT_SHA": "2b"},
         {"ci.provider.name": "github", "git.commit.sha": "2b", "git.branch": "feature/x"}),
        ({"PATH": "/bin"}, {}),
    ],
    ids=["gitlab", "jenkins", "tekton", "github-pr", "not-ci"],
)  # fmt: skip
def test_ci_context_from_each_provider(env: dict[str, str], expected: dict[str, str]) -> None:
    found = read_ci_context(env)
    assert expected.items() <= found.items()
    assert not any("s3cr3t" in v or "pw@" in v for v in found.values())


def test_a_tag_written_as_a_query_attribute_is_stored_without_its_at(
    run_cli: Any, tmp_path: Path
) -> None:
    good = report(tmp_path / "r" / "good.xml", "pass")
    data = tmp_path / "data"
    run_cli("ingest", "junit", str(good), "--data", str(data), "--no-ci-env", "--tag", "@team:core")
    assert {e.get("team") for e in ingested(data)} == {"core"}
    assert not any("@team" in e for e in ingested(data))
    bare = run_cli("ingest", "junit", str(good), "--data", str(data), "--tag", "@:x", expect=2)
    assert "--tag: expected KEY:VALUE" in bare.stderr
