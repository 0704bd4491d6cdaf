"""The container image, as far as it can be checked without a container runtime.

Nothing here builds the image (no Docker daemon where the tests run). What is checked: the
Dockerfile's instructions refer to files that exist and that .dockerignore lets through, it
installs this checkout (never the registry name), its entrypoint is the console script
pyproject.toml declares, its user is the non-root one the manifests run as, its base is a
pinned official slim Python, and hadolint passes. Its COPY steps are replayed into a scratch
root, and the CronJob's command runs there: the specs reach the pod with their templates.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CRONJOB = ROOT / "deploy" / "kubernetes" / "30-cronjob.yaml"


@dataclass
class Instruction:
    stage: int  # 0-based index of the FROM this instruction follows
    keyword: str
    args: str


def instructions() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found: list[Instruction] = []
    stage = -1
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        stage += keyword.upper() == "FROM"
        found.append(Instruction(stage, keyword.upper(), args.strip()))
    return found


def _final(keyword: str) -> list[str]:
    steps = instructions()
    last = steps[-1].stage
    return [i.args for i in steps if i.stage == last and i.keyword == keyword]


def _copies_from_context() -> list[tuple[list[str], str, str]]:
    """(sources, destination, workdir) of every COPY from the build context."""
    out = []
    workdir = {}
    for step in instructions():
        if step.keyword == "WORKDIR":
            workdir[step.stage] = step.args
        if step.keyword == "COPY" and "--from" not in step.args:
            *sources, dest = shlex.split(step.args)
            out.append((sources, dest, workdir.get(step.stage, "/")))
    return out


def _ignored(relative: str) -> bool:
    """.dockerignore's verdict for a path (its last matching pattern wins; ! re-includes)."""
    verdict = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = PurePosixPath(relative).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        plain = pattern.removeprefix("**/")
        if any(fnmatch.fnmatch(p, pattern) for p in prefixes) or (
            pattern.startswith("**/") and any(fnmatch.fnmatch(part, plain) for part in parts)
        ):
            verdict = not negate
    return verdict


def test_every_file_the_dockerfile_copies_exists_and_reaches_the_build() -> None:
    copies = _copies_from_context()
    assert copies
    for sources, _, _ in copies:
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"Dockerfile copies {source}, which does not exist"
            assert not _ignored(source.rstrip("/")), f".dockerignore keeps {source} out"
    assert _ignored("tests/run/test_image.py") and _ignored(".git")
    assert _ignored("qrunner/__pycache__/x.pyc") and not _ignored("queries/_templates/ci.j2")


def test_the_entrypoint_is_the_console_script_pyproject_declares() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    (entrypoint,) = _final("ENTRYPOINT")
    assert json.loads(entrypoint) == ["qrunner"] and "qrunner" in scripts


def test_it_installs_this_checkout_not_the_registry_name() -> None:
    commands = [c.strip() for i in instructions() if i.keyword == "RUN" for c in i.args.split("&&")]
    installs = [c for c in commands if re.search(r"pip (install|wheel)\b", c)]
    assert installs and all(" -e " not in c and "--editable" not in c for c in installs)
    assert any(c.endswith(" .") for c in installs)  # the wheel of this checkout
    bare = re.compile(r"[\"']?qrunner([\[=<>~!].*)?[\"']?")  # the registry's name
    assert not any(bare.fullmatch(arg) for c in installs for arg in c.split())


def _pod_spec(path: Path) -> dict[str, Any]:
    (doc,) = [d for d in yaml.safe_load_all(path.read_text()) if d]
    spec = doc["spec"]
    return (spec.get("jobTemplate", {}).get("spec") or spec)["template"]["spec"]  # type: ignore[no-any-return]


def test_it_runs_as_the_non_root_user_the_manifests_require() -> None:
    (user,) = _final("USER")
    uid = int(user.split(":")[0])  # numeric: runAsNonRoot can check it without /etc/passwd
    assert uid != 0
    for manifest in [CRONJOB, ROOT / "deploy/kubernetes/sharded/job.yaml"]:
        context = _pod_spec(manifest)["securityContext"]
        assert context["runAsNonRoot"] and context["runAsUser"] == uid


def test_the_base_is_a_pinned_official_slim_python() -> None:
    bases = [i.args.split()[0] for i in instructions() if i.keyword == "FROM"]
    for base in bases:
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base), base


def test_the_manifests_and_the_readme_name_the_image_and_how_to_build_it() -> None:
    build = "docker build -t ghcr.io/OWNER/qrunner:TAG ."
    readme = (ROOT / "README.md").read_text()
    assert build in readme and build in DOCKERFILE.read_text()
    for manifest in [CRONJOB, ROOT / "deploy/kubernetes/sharded/job.yaml"]:
        (container,) = _pod_spec(manifest)["containers"]
        assert container["image"] == "ghcr.io/OWNER/qrunner:TAG", manifest
    workflow = yaml.safe_load((ROOT / ".github/workflows/image.yml").read_text())
    assert workflow["permissions"]["packages"] == "write"
    assert workflow[True]["push"]["tags"]  # YAML 1.1 reads the key `on` as True


def test_hadolint_passes() -> None:
    scripts = Path(sys.executable).parent
    hadolint = str(scripts / "hadolint") if (scripts / "hadolint").exists() else "hadolint"
    assert shutil.which(hadolint), "hadolint is not installed (pip install '.[test]')"
    done = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def build_context_copies(root: Path) -> None:
    """Replay the Dockerfile's COPY steps from the build context into ``root``, as
    `docker build` would (a folder's contents, recursively; .dockerignore applied)."""
    for sources, dest, workdir in _copies_from_context():
        target = root / PurePosixPath(workdir, dest).relative_to("/")
        for source in sources:
            path = ROOT / source
            if path.is_dir():
                for file in path.rglob("*"):
                    relative = file.relative_to(ROOT).as_posix()
                    if file.is_file() and not _ignored(relative):
                        out = target / file.relative_to(path)
                        out.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(file, out)
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)


@pytest.mark.slow
def test_the_cronjob_runs_the_baked_in_specs_with_their_templates(tmp_path: Path) -> None:
    image = tmp_path / "image"
    build_context_copies(image)
    (state := tmp_path / "state").mkdir()
    (container,) = _pod_spec(CRONJOB)["containers"]
    args = [
        a.replace("/qrunner/", f"{image}/qrunner/").replace("/state/", f"{state}/")
        for a in container["args"]
    ]
    assert Path(args[1]).is_dir(), "the CronJob's spec path is not where the Dockerfile puts them"
    assert (Path(args[1]) / "_templates" / "ci.j2").is_file()
    # No notification secrets here: the CronJob's notify step fails to deliver (exit 5 when
    # the gates pass) and reaches no network.
    notify = ("GITHUB_TOKEN", "GITHUB_API_URL", "SLACK_WEBHOOK_URL", "GATES_HOOK_URL")
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QRUNNER_", "DD_")) and k not in notify
    }
    qrunner = [sys.executable, "-m", "qrunner"]
    validate = subprocess.run(
        [*qrunner, "validate", args[1]], capture_output=True, text=True, env=environ, check=False
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr  # templates resolved
    # the CronJob's own command, on the local engine instead of Tekton Results
    local = [a if a != "--target=tekton" else "--target=local" for a in args]
    done = subprocess.run(
        [*qrunner, *local], capture_output=True, text=True, env=environ, check=False
    )
    assert done.returncode in (0, 1, 5), done.stdout + done.stderr
    report = json.loads((state / "reports" / "last.json").read_text())
    assert {s["source"] for s in report["specs"]} == {"tekton.summary"}
