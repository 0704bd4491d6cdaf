"""Reading spec test files: whatever a file holds, the reader returns located diagnostics and
never raises (property-based), and a well-formed file loads."""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qrunner.spec.testfile import load_test_file

VALID = """\
spec: s.yaml
tests:
  - name: a case
    at: 2024-05-01T00:00:00Z
    events: {ci_tests: [{timestamp: "2024-05-01T00:00:00Z"}]}
    expect: [{check: c, status: pass}]
"""

# Fragments that push the reader into its corners: keys it knows, misspelt ones, wrong types.
_FRAGMENTS = st.sampled_from(
    [
        "spec: s.yaml\n",
        "spec: [1]\n",
        "tests:\n",
        "  - name: x\n",
        "    at: 2024-05-01T00:00:00Z\n",
        "    at: 5\n",
        "    events: {ci_test: []}\n",
        "    events: {spans: [{a: 1}]}\n",
        "    records: {}\n",
        "    data: here\n",
        "    expect: [{check: c, status: maybe}]\n",
        "    expect: []\n",
        "    vars: {a: [1]}\n",
        "  - 3\n",
        "key: &a [*a]\n",
        "\t- tab\n",
        "{{\n",
        "",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.lists(_FRAGMENTS, max_size=8).map("".join),
        st.text(alphabet=string.printable, max_size=200),
    )
)
def test_any_file_gives_diagnostics_never_an_exception(tmp_path: Path, text: str) -> None:
    (tmp_path / "s.yaml").write_text("version: 1\n", encoding="utf-8")
    path = tmp_path / "t.test.yaml"
    path.write_text(text, encoding="utf-8")
    _, loaded, diagnostics = load_test_file(path)
    assert (loaded is None) == bool(diagnostics)
    for diagnostic in diagnostics:
        assert diagnostic.location.line >= 1
        assert diagnostic.message


def test_a_well_formed_file_loads(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("version: 1\n", encoding="utf-8")
    path = tmp_path / "t.test.yaml"
    path.write_text(VALID, encoding="utf-8")
    _, loaded, diagnostics = load_test_file(path)
    assert diagnostics == [] and loaded is not None
    assert loaded.model.tests[0].events["ci_tests"][0]["timestamp"] == "2024-05-01T00:00:00Z"
    assert loaded.spec_path == tmp_path / "s.yaml"
