"""Git and CI context read from a CI provider's environment variables.

``qrunner ingest junit`` tags reports with what they lack, the way ``datadog-ci junit upload``
does. Each provider is one function in :data:`PROVIDERS`, tried in order; the first whose marker
variable is set answers. ``DD_GIT_*`` variables then override the git attributes, as with
datadog-ci. Repository URLs lose any user and password (GitLab's ``CI_REPOSITORY_URL`` carries a
job token).

Tekton sets no variables of its own; a Task passes its context as environment variables with
these names (``$(context.pipelineRun.name)`` and so on): ``TEKTON_PIPELINE_RUN`` (the marker),
``TEKTON_PIPELINE``, ``TEKTON_TASK_RUN``, ``TEKTON_NAMESPACE``, and ``GIT_COMMIT``,
``GIT_BRANCH``, ``GIT_URL`` (for example from Pipelines-as-Code's ``{{revision}}``,
``{{source_branch}}``, ``{{repo_url}}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

Env = Mapping[str, str]


def _without_credentials(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _repository(url: str) -> dict[str, str]:
    clean = _without_credentials(url)
    if not clean:
        return {}
    parts = urlsplit(clean)
    host = parts.hostname or ""
    path = parts.path.removesuffix(".git").strip("/")
    if not parts.scheme and ":" in clean:  # scp-like "git@host:owner/repo.git"
        host, _, path = clean.rpartition("@")[2].partition(":")
        path = path.removesuffix(".git").strip("/")
    found = {"git.repository_url": clean}
    if host and path:
        found["git.repository.id"] = f"{host}/{path}"
    return found


def _branch(ref: str) -> dict[str, str]:
    for prefix in ("refs/tags/", "origin/tags/"):
        if ref.startswith(prefix):
            return {"git.tag": ref.removeprefix(prefix)}
    for prefix in ("refs/heads/", "origin/", "refs/"):
        ref = ref.removeprefix(prefix)
    return {"git.branch": ref} if ref else {}


def _github(env: Env) -> dict[str, str]:
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    repo = env.get("GITHUB_REPOSITORY", "")
    run = env.get("GITHUB_RUN_ID", "")
    found = {
        "ci.provider.name": "github",
        "ci.pipeline.id": run,
        "ci.pipeline.name": env.get("GITHUB_WORKFLOW", ""),
        "ci.pipeline.number": env.get("GITHUB_RUN_NUMBER", ""),
        "ci.pipeline.url": f"{server}/{repo}/actions/runs/{run}" if repo and run else "",
        "ci.job.name": env.get("GITHUB_JOB", ""),
        "ci.workspace_path": env.get("GITHUB_WORKSPACE", ""),
        "git.commit.sha": env.get("GITHUB_SHA", ""),
    }
    if repo:
        found |= _repository(f"{server}/{repo}.git")
    head = env.get("GITHUB_HEAD_REF")  # set on pull requests: the source branch
    return found | (_branch(head) if head else _branch(env.get("GITHUB_REF", "")))


def _gitlab(env: Env) -> dict[str, str]:
    found = {
        "ci.provider.name": "gitlab",
        "ci.pipeline.id": env.get("CI_PIPELINE_ID", ""),
        "ci.pipeline.name": env.get("CI_PROJECT_PATH", ""),
        "ci.pipeline.number": env.get("CI_PIPELINE_IID", ""),
        "ci.pipeline.url": env.get("CI_PIPELINE_URL", ""),
        "ci.stage.name": env.get("CI_JOB_STAGE", ""),
        "ci.job.name": env.get("CI_JOB_NAME", ""),
        "ci.job.url": env.get("CI_JOB_URL", ""),
        "ci.workspace_path": env.get("CI_PROJECT_DIR", ""),
        "git.commit.sha": env.get("CI_COMMIT_SHA", ""),
        **_repository(env.get("CI_REPOSITORY_URL", "")),
    }
    if env.get("CI_COMMIT_TAG"):
        return found | {"git.tag": env["CI_COMMIT_TAG"]}
    branch = env.get("CI_COMMIT_BRANCH") or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "")
    return found | {"git.branch": branch}


def _jenkins(env: Env) -> dict[str, str]:
    return {
        "ci.provider.name": "jenkins",
        "ci.pipeline.id": env.get("BUILD_TAG", ""),
        "ci.pipeline.name": env.get("JOB_NAME", ""),
        "ci.pipeline.number": env.get("BUILD_NUMBER", ""),
        "ci.pipeline.url": env.get("BUILD_URL", ""),
        "ci.workspace_path": env.get("WORKSPACE", ""),
        "git.commit.sha": env.get("GIT_COMMIT", ""),
        **_repository(env.get("GIT_URL") or env.get("GIT_URL_1", "")),
        **_branch(env.get("GIT_BRANCH", "")),
    }


def _tekton(env: Env) -> dict[str, str]:
    return {
        "ci.provider.name": "tekton",
        "ci.pipeline.id": env.get("TEKTON_PIPELINE_RUN", ""),
        "ci.pipeline.name": env.get("TEKTON_PIPELINE", ""),
        "ci.job.name": env.get("TEKTON_TASK_RUN", ""),
        "ci.namespace": env.get("TEKTON_NAMESPACE", ""),
        "git.commit.sha": env.get("GIT_COMMIT", ""),
        **_repository(env.get("GIT_URL", "")),
        **_branch(env.get("GIT_BRANCH", "")),
    }


# (marker variable, reader), tried in order.
PROVIDERS: dict[str, tuple[str, Callable[[Env], dict[str, str]]]] = {
    "github": ("GITHUB_ACTIONS", _github),
    "gitlab": ("GITLAB_CI", _gitlab),
    "jenkins": ("JENKINS_URL", _jenkins),
    "tekton": ("TEKTON_PIPELINE_RUN", _tekton),
}
_DD_OVERRIDES = {
    "DD_GIT_COMMIT_SHA": "git.commit.sha",
    "DD_GIT_BRANCH": "git.branch",
    "DD_GIT_TAG": "git.tag",
    "DD_GIT_COMMIT_MESSAGE": "git.commit.message",
}


def read_ci_context(env: Env) -> dict[str, str]:
    """The git and CI attributes this environment describes (empty outside CI)."""
    found: dict[str, str] = {}
    for marker, reader in PROVIDERS.values():
        if env.get(marker):
            found = reader(env)
            break
    if env.get("DD_GIT_REPOSITORY_URL"):
        found |= _repository(env["DD_GIT_REPOSITORY_URL"])
    for variable, attribute in _DD_OVERRIDES.items():
        if env.get(variable):
            found[attribute] = env[variable]
    return {key: value for key, value in found.items() if value}
