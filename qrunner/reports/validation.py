"""Presentation of ``qrunner validate`` results: text lines or JSON."""

from __future__ import annotations

import json
from typing import Any


def format_validation(report: Any, fmt: str) -> str:
    """``report`` is a :class:`qrunner.validate.specs.ValidationReport`."""
    diagnostics = report.diagnostics
    warnings = getattr(report, "warnings", [])
    if fmt == "json":
        payload = {
            "valid": not diagnostics,
            "specs": report.total,
            "invalid_specs": len(report.failed),
            "errors": [
                {
                    "file": d.location.path,
                    "line": d.location.line,
                    "col": d.location.col,
                    "pointer": d.pointer,
                    "message": d.message,
                }
                for d in diagnostics
            ],
            "warnings": [
                {
                    "file": d.location.path,
                    "line": d.location.line,
                    "col": d.location.col,
                    "pointer": d.pointer,
                    "message": d.message.removeprefix("warning: "),
                }
                for d in warnings
            ],
        }
        return json.dumps(payload, indent=2) + "\n"
    lines = [str(d) for d in diagnostics] + [str(d) for d in warnings]
    if diagnostics:
        lines.append(
            f"{len(diagnostics)} error(s) in {len(report.failed)} of {report.total} spec(s)"
        )
    else:
        lines.append(f"{report.total} spec(s) valid")
    return "\n".join(lines) + "\n"
