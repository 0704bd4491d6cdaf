# qrunner's container image: the package installed (not editable) from this checkout, the
# specs of queries/ (with _templates/ and every subfolder) baked in at /qrunner/queries, run
# as an unprivileged user. Build it from the repository root:
#   docker build -t ghcr.io/OWNER/qrunner:TAG .
# .github/workflows/image.yml builds and pushes it to GHCR when a tag v* is pushed.
# The tests cannot build it (no container runtime where they run); they check what this
# file refers to instead (tests/run/test_deploy.py), and hadolint lints it in CI.

# The base is pinned to a Python patch release on Debian 13; bump it deliberately.
FROM python:3.12.13-slim-trixie AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY qrunner/ qrunner/
COPY schemas/ schemas/
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.12.13-slim-trixie
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QRUNNER_CACHE_DIR=/tmp/qrunner-cache
COPY --from=build /dist/ /dist/
# the wheel's dependencies come from PyPI; qrunner itself only from the wheel built above
RUN python -m pip install --no-cache-dir /dist/*.whl \
    && rm -rf /dist \
    && groupadd --system --gid 10001 qrunner \
    && useradd --no-log-init --system --uid 10001 --gid 10001 --no-create-home qrunner
WORKDIR /qrunner
COPY queries/ queries/
# The routing file of notifications (the CronJob's --notify), reviewed in git like the specs.
COPY notify.yaml ./
# numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd
USER 10001:10001
ENTRYPOINT ["qrunner"]
CMD ["validate", "queries/"]
